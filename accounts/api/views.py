from django.conf import settings
from django.contrib.auth import authenticate
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.authtoken.models import Token
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from accounts.models import TIME_ZONE_CHOICES
from accounts.services import profile_update, user_signup
from macaron.api import StrictSerializer
from macaron.errors import DomainError

LANGUAGE_CODES = [code for code, _ in settings.LANGUAGES]


class UserOutput(serializers.Serializer):
    id = serializers.IntegerField()
    email = serializers.EmailField()
    display_name = serializers.CharField()
    time_zone = serializers.CharField()
    preferred_language = serializers.CharField()
    date_joined = serializers.DateTimeField()


class SignupInput(StrictSerializer):
    email = serializers.EmailField()
    password = serializers.CharField(write_only=True)
    display_name = serializers.CharField(
        max_length=80, required=False, allow_blank=True, default=""
    )
    time_zone = serializers.ChoiceField(choices=TIME_ZONE_CHOICES, required=False, default="UTC")
    preferred_language = serializers.ChoiceField(
        choices=LANGUAGE_CODES, required=False, default="en"
    )


class SignupOutput(UserOutput):
    token = serializers.CharField()


class SignupApi(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "auth"

    @extend_schema(request=SignupInput, responses={201: SignupOutput})
    def post(self, request, *args, **kwargs):
        data = SignupInput(data=request.data)
        data.is_valid(raise_exception=True)
        user = user_signup(**data.validated_data)
        token, _ = Token.objects.get_or_create(user=user)
        body = {**UserOutput(user).data, "token": token.key}
        return Response(body, status=status.HTTP_201_CREATED)


class TokenInput(StrictSerializer):
    email = serializers.EmailField()
    password = serializers.CharField(write_only=True)


class TokenOutput(serializers.Serializer):
    token = serializers.CharField()


class TokenApi(APIView):
    """Exchange e-mail + password for an API token (rate-limited, lockout after failures)."""

    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "auth"

    @extend_schema(request=TokenInput, responses={200: TokenOutput})
    def post(self, request, *args, **kwargs):
        data = TokenInput(data=request.data)
        data.is_valid(raise_exception=True)
        user = authenticate(
            request._request,  # axes reads and marks the Django request, not DRF's wrapper
            username=data.validated_data["email"],
            password=data.validated_data["password"],
        )
        if user is None:  # a locked-out attempt is answered with 429 by accounts.lockout
            raise DomainError(
                "That e-mail and password do not match an account.", code="invalid_login"
            )
        token, _ = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})


class ProfileInput(StrictSerializer):
    display_name = serializers.CharField(max_length=80, required=False, allow_blank=True)
    time_zone = serializers.ChoiceField(choices=TIME_ZONE_CHOICES, required=False)
    preferred_language = serializers.ChoiceField(choices=LANGUAGE_CODES, required=False)


class MeApi(APIView):
    @extend_schema(responses=UserOutput)
    def get(self, request, *args, **kwargs):
        return Response(UserOutput(request.user).data)

    @extend_schema(request=ProfileInput, responses=UserOutput)
    def patch(self, request, *args, **kwargs):
        data = ProfileInput(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        user = profile_update(user=request.user, **data.validated_data)
        return Response(UserOutput(user).data)
