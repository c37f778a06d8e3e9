"""The API's JSON parser: refuses oversized or deeply nested bodies before they cost anything.

Python's json module recurses per nesting level, so a body like `[[[[...]]]]` 100k deep raises
RecursionError (a 500) inside DRF's parser. The depth is measured first by a flat scan of the
bytes (strings skipped), then the body is parsed as usual.
"""

import re
from io import BytesIO

import numpy as np
from django.conf import settings
from rest_framework import parsers
from rest_framework.exceptions import ParseError

from macaron.errors import TooLarge

# A JSON string, escapes included. An unterminated one runs to the end of the body, so every
# quote matches at once: no backtracking, linear time on any input.
STRING = re.compile(rb'"[^"\\]*+(?:\\.[^"\\]*+)*+"?', re.DOTALL)
# Opening brackets become +1, closing ones -1 (as int8), everything else is dropped.
BRACKETS = bytes.maketrans(b"[{]}", b"\x01\x01\xff\xff")
NOT_BRACKETS = bytes(set(range(256)) - set(b"[{]}"))


def json_depth_exceeds(body: bytes, limit: int) -> bool:
    """Whether arrays/objects in this JSON text nest deeper than `limit`, found without
    recursion or a Python-level loop: strings are cut out, the brackets left become ±1 and
    their running sum is the depth."""
    if body.count(b"[") + body.count(b"{") <= limit:  # the common case
        return False
    steps = STRING.sub(b"", body).translate(BRACKETS, NOT_BRACKETS)
    return (
        bool(steps)
        and int(np.cumsum(np.frombuffer(steps, dtype=np.int8), dtype=np.int32).max()) > limit
    )


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
