"""The OpenAPI schema class: every operation documents the errors it can answer, in the one
error shape of macaron.api, so the schema is true to the API (schemathesis checks it).

Request bodies are documented as JSON, the API's format, with strict types (see
macaron.api.StrictSerializer) and no properties beyond the listed ones. The form parsers stay
for the browsable API and Django's test client: a form body is all text, and neither its types
nor its empty lists can be told apart, so it is not part of the documented contract (an upload,
whose view parses only multipart, is documented as multipart)."""

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.plumbing import force_instance
from rest_framework import serializers
from rest_framework.permissions import AllowAny

from macaron.api import StrictSerializer

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


class ErrorDetail(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()
    fields = serializers.DictField(child=serializers.JSONField())


class ErrorOutput(serializers.Serializer):
    error = ErrorDetail()


class AutoSchema(SpectacularAutoSchema):
    def map_parsers(self):
        media_types = super().map_parsers()
        return ["application/json"] if "application/json" in media_types else media_types

    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        if direction != "request":
            return schema
        if isinstance(field, serializers.CharField) and schema.get("type") == "string":
            # DRF refuses NUL characters; spaces alone are trimmed to "", a blank. (Not a pattern
            # when a blank is allowed: drf-spectacular would make it a oneOf that "" fits twice.)
            if field.allow_blank or not field.trim_whitespace:
                schema.setdefault("not", {"pattern": r"\x00"})
            else:
                schema.setdefault("pattern", r"^[^\x00]*[^\x00\s][^\x00]*$")
        if isinstance(field, serializers.ListField) and not field.allow_empty:
            schema.setdefault("minItems", 1)
        return schema

    def _map_basic_serializer(self, serializer, direction):
        schema = super()._map_basic_serializer(serializer, direction)
        if direction == "request" and isinstance(force_instance(serializer), StrictSerializer):
            schema["additionalProperties"] = False  # an unknown field is refused with a 400
            schema.update(getattr(serializer, "schema_extra", {}))
        return schema

    def _error_statuses(self) -> list[str]:
        view = self.view
        codes = ["400"]  # malformed query strings or bodies
        if view.get_authenticators():
            codes.append("401")  # anonymous, or a refused token
            if not all(isinstance(p, AllowAny) for p in view.get_permissions()):
                codes.append("403")
        if codes[-1] == "403" or "{" in self.path:
            # not yours, no such object, nothing yet (a companion) or a page past the last one
            codes.append("404")
        if self.method in UNSAFE:
            # a state that refuses the change; a body over the limit; an unknown body type
            codes += ["409", "413", "415"]
        if self.method in UNSAFE or view.get_throttles():
            codes.append("429")
        return codes

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        for code in self._error_statuses():
            if code not in responses:
                responses[code] = self._get_response_for_code(ErrorOutput, code)
        return responses
