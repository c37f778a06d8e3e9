"""The person's API tokens and sessions: list, create (the secret is shown once; from a
session only), revoke one, and log out everywhere. Someone else's token id is always a 404."""

from datetime import timedelta

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api.views import TokenOutput, issued_body
from accounts.models import ApiToken
from accounts.selectors import api_tokens_for_user
from accounts.services import (
    TOKEN_NAME_MAX,
    api_token_create,
    api_token_revoke,
    user_sign_out_everywhere,
)
from macaron.api import PAGE_PARAMETERS, Pagination, StrictSerializer
from macaron.errors import PermissionDenied

MAX_LIFETIME_DAYS = 366


class ApiTokenOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    prefix = serializers.CharField(help_text="The secret's first characters, to tell tokens apart.")
    created_at = serializers.DateTimeField()
    last_used_at = serializers.DateTimeField(allow_null=True, help_text="Within a minute.")
    expires_at = serializers.DateTimeField()
    current = serializers.BooleanField(help_text="Whether this request used this token.")


class ApiTokenCreateInput(StrictSerializer):
    name = serializers.CharField(max_length=TOKEN_NAME_MAX, allow_blank=True, default="")
    lifetime_days = serializers.IntegerField(
        min_value=1, max_value=MAX_LIFETIME_DAYS, required=False
    )


def token_body(token: ApiToken, *, current: ApiToken | None) -> dict:
    body = {
        field: getattr(token, field)
        for field in ("id", "name", "prefix", "created_at", "last_used_at", "expires_at")
    }
    return {**body, "current": isinstance(current, ApiToken) and current.pk == token.pk}


class ApiTokensApi(APIView):
    pagination_class = Pagination  # the schema shows the paginated shape

    @extend_schema(
        parameters=PAGE_PARAMETERS,
        responses=ApiTokenOutput(many=True),
    )
    def get(self, request, *args, **kwargs):
        paginator = Pagination()
        page = paginator.paginate_queryset(
            api_tokens_for_user(user=request.user), request, view=self
        )
        items = [token_body(token, current=request.auth) for token in page]
        return paginator.get_paginated_response(ApiTokenOutput(items, many=True).data)

    @extend_schema(request=ApiTokenCreateInput, responses={201: TokenOutput})
    def post(self, request, *args, **kwargs):
        if isinstance(request.auth, ApiToken):  # else a stolen token could outlive its expiry
            raise PermissionDenied(
                "A token cannot create tokens: log in, or use auth/token/ with your password.",
                code="token_cannot_create_tokens",
            )
        data = ApiTokenCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        days = data.validated_data.get("lifetime_days")
        issued = api_token_create(
            user=request.user,
            name=data.validated_data["name"],
            lifetime=timedelta(days=days) if days else None,
        )
        return Response(issued_body(issued), status=status.HTTP_201_CREATED)


class ApiTokenDetailApi(APIView):
    @extend_schema(request=None, responses={204: None})
    def delete(self, request, token_id: int, *args, **kwargs):
        api_token_revoke(user=request.user, token_id=token_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class LogoutEverywhereApi(APIView):
    """End every session and revoke every API token of the person, this one included."""

    @extend_schema(request=None, responses={204: None})
    def post(self, request, *args, **kwargs):
        user_sign_out_everywhere(user=request.user)
        session = getattr(request._request, "session", None)
        if session is not None:
            session.flush()
        return Response(status=status.HTTP_204_NO_CONTENT)
