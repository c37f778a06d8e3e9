"""API plumbing shared by every app: one error shape, strict input serializers, pagination.

Every error answers `{"error": {"code": ..., "message": ..., "fields": {...}}}`.
"""

from functools import cache

from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import Http404, JsonResponse, QueryDict
from drf_spectacular.utils import OpenApiParameter, extend_schema_field, inline_serializer
from rest_framework import exceptions, serializers
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from macaron.errors import DomainError


class Pagination(PageNumberPagination):
    """Pages of `page_size` (1 to 100, default 20); a page_size that is not such a number is a
    400, not silently the default, and a page past the last (or not a number) is a 404."""

    page_size_query_param = "page_size"
    max_page_size = 100

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= self.max_page_size:
            message = f"A whole number from 1 to {self.max_page_size}."
            raise exceptions.ValidationError({self.page_size_query_param: [message]})
        return int(raw)


PAGE = OpenApiParameter("page", {"type": "integer", "minimum": 1})
PAGE_PARAMETERS = [
    PAGE,
    OpenApiParameter(
        "page_size", {"type": "integer", "minimum": 1, "maximum": Pagination.max_page_size}
    ),
]


def _json_type_error(field: serializers.Field, value) -> str | None:
    """Why `value`, read from a JSON body, is not of the JSON type `field` documents (a number
    is not text, "true" is not a boolean), or None when it is."""
    if value is None:
        return None  # the field's own allow_null decides
    if isinstance(field, serializers.ListField):
        if not isinstance(value, list):
            return "Not a list."
        return next(filter(None, (_json_type_error(field.child, item) for item in value)), None)
    if isinstance(field, serializers.DictField):
        if not isinstance(value, dict):
            return "Not an object."
        errors = (_json_type_error(field.child, item) for item in value.values())
        return next(filter(None, errors), None)
    if isinstance(field, serializers.BooleanField):
        return None if isinstance(value, bool) else "Not a boolean."
    if isinstance(field, serializers.IntegerField):
        return None if type(value) is int else "Not a whole number."
    if isinstance(field, serializers.FloatField | serializers.DecimalField):
        return None if type(value) in (int, float) else "Not a number."
    if isinstance(field, serializers.ChoiceField):
        textual = all(isinstance(key, str) for key in field.choices)
        return "Not a string." if textual and not isinstance(value, str) else None
    if isinstance(field, serializers.CharField):
        return None if isinstance(value, str) else "Not a string."
    if isinstance(field, serializers.Serializer):
        return None if isinstance(value, dict) else "Not an object."
    return None


@extend_schema_field({"type": "object", "additionalProperties": {}})
class JsonObjectField(serializers.JSONField):
    """A JSON object (a spec, an entry's values, a policy): any other JSON value is a 400."""

    default_error_messages = {"not_an_object": "Not a JSON object."}

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if not isinstance(value, dict):
            self.fail("not_an_object")
        return value


# An input serializer that refuses fields it does not know instead of ignoring them, and, in a
# JSON body, values of another JSON type than the field's (DRF would coerce 5 to "5" or "yes" to
# true). A form body is all text, so its values are converted as usual. (A comment, not a
# docstring: the schema would give it as the description of every input.)
class StrictSerializer(serializers.Serializer):
    def to_internal_value(self, data):
        if isinstance(data, dict) and not isinstance(data, QueryDict):
            errors = {}
            for name, field in self.fields.items():
                if name in data and not field.read_only:
                    error = _json_type_error(field, data[name])
                    if error:
                        errors[name] = [error]
            if errors:
                raise serializers.ValidationError(errors)
        return super().to_internal_value(data)

    def validate(self, attrs):
        if hasattr(self, "initial_data") and isinstance(self.initial_data, dict):
            unknown = sorted(set(self.initial_data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError({name: ["Unknown field."] for name in unknown})
        return super().validate(attrs)


@cache  # one component per serializer: views sharing a shape share its schema name
def results_of(serializer: type[serializers.Serializer]) -> serializers.Serializer:
    """The schema of an unpaginated list answered as `{"results": [...]}`."""
    return inline_serializer(
        name=f"{serializer.__name__}Results", fields={"results": serializer(many=True)}
    )


@cache
def pages_of(serializer: type[serializers.Serializer]) -> serializers.Serializer:
    """The schema of a list answered page by page as `{"count", "page", "pages", "results"}`."""
    return inline_serializer(
        name=f"{serializer.__name__}Pages",
        fields={
            "count": serializers.IntegerField(),
            "page": serializers.IntegerField(),
            "pages": serializers.IntegerField(),
            "results": serializer(many=True),
        },
    )


def error_body(code: str, message: str, fields: dict | None = None) -> dict:
    return {"error": {"code": code, "message": message, "fields": fields or {}}}


def _first_message(detail) -> str:
    if isinstance(detail, list) and detail:
        return _first_message(detail[0])
    if isinstance(detail, dict) and detail:
        key, value = next(iter(detail.items()))
        message = _first_message(value)
        return message if key == "non_field_errors" else f"{key}: {message}"
    return str(detail)


def exception_handler(exc, context):
    if isinstance(exc, DomainError):
        return Response(error_body(exc.code, exc.message, exc.fields), status=exc.status_code)
    if isinstance(exc, RequestDataTooBig):
        return Response(error_body("body_too_large", "The request body is too large."), status=413)
    if isinstance(exc, TooManyFieldsSent | TooManyFilesSent):
        return Response(
            error_body("too_many_fields", "The request has too many fields."), status=400
        )
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    detail = response.data
    if isinstance(exc, exceptions.ValidationError):
        fields = detail if isinstance(detail, dict) else {"non_field_errors": detail}
        response.data = error_body("invalid", _first_message(detail), fields)
    else:
        code = getattr(exc, "default_code", "error")
        message = detail.get("detail", str(exc)) if isinstance(detail, dict) else str(detail)
        response.data = error_body(str(code), str(message))
    return response


def json_not_found(request, exception=None):
    return JsonResponse(error_body("not_found", "No such endpoint."), status=404)


def json_server_error(request):
    return JsonResponse(error_body("server_error", "Something went wrong on our side."), status=500)
