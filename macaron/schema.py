"""The OpenAPI schema class: every operation documents the errors it can answer, in the one
error shape of macaron.api, so the schema is true to the API (schemathesis checks it)."""

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from rest_framework import serializers
from rest_framework.permissions import AllowAny

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


class ErrorDetail(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()
    fields = serializers.DictField(child=serializers.JSONField())


class ErrorOutput(serializers.Serializer):
    error = ErrorDetail()


class AutoSchema(SpectacularAutoSchema):
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
