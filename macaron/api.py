"""API plumbing shared by every app: one error shape, strict input serializers, pagination.

Every error answers `{"error": {"code": ..., "message": ..., "fields": {...}}}`.
"""

from functools import cache

from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import Http404, JsonResponse
from drf_spectacular.utils import inline_serializer
from rest_framework import exceptions, serializers
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from macaron.errors import DomainError


class Pagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 100


class StrictSerializer(serializers.Serializer):
    """An input serializer that refuses fields it does not know instead of ignoring them."""

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
