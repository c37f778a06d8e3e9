"""The API's JSON parser: refuses oversized or deeply nested bodies before they cost anything.

Python's json module recurses per nesting level, so a body like `[[[[...]]]]` 100k deep raises
RecursionError (a 500) inside DRF's parser. The depth is measured first by a flat scan of the
bytes (strings skipped), then the body is parsed as usual.
"""

from io import BytesIO

from django.conf import settings
from rest_framework import parsers
from rest_framework.exceptions import ParseError

from macaron.errors import TooLarge


def json_depth_exceeds(body: bytes, limit: int) -> bool:
    """Whether arrays/objects in this JSON text nest deeper than `limit` (no recursion)."""
    if body.count(b"[") + body.count(b"{") <= limit:  # the common case, at C speed
        return False
    depth = 0
    in_string = escaped = False
    for byte in body:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # closing quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):  # [ {
            depth += 1
            if depth > limit:
                return True
        elif byte in (0x5D, 0x7D):  # ] }
            depth -= 1
    return False


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser with a size limit (413) and a nesting-depth limit (400)."""

    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.API_JSON_MAX_BYTES
        body = stream.read(limit + 1) if stream is not None else b""
        if len(body) > limit:
            raise TooLarge(f"The request body is larger than {limit} bytes.", code="body_too_large")
        if json_depth_exceeds(body, settings.API_JSON_MAX_DEPTH):
            raise ParseError(
                f"JSON parse error - nested deeper than {settings.API_JSON_MAX_DEPTH} levels."
            )
        return super().parse(BytesIO(body), media_type, parser_context)
