from django.conf import settings
from django.contrib.auth import authenticate
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.authentication import ApiTokenAuthentication
from accounts.erasure import account_deletion_request, deletion_state_for_login
from accounts.models import TIME_ZONE_CHOICES, ApiToken
from accounts.services import api_token_create, profile_update, user_signup
from accounts.stepup import step_up_token
from macaron.api import StrictSerializer
from macaron.errors import Conflict, DomainError
from macaron.throttling import ScopedRateThrottle

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


class SignupOutput(serializers.Serializer):
    detail = serializers.CharField()


SIGNUP_ANSWER = (
    "Thanks! We sent an e-mail to that address. If it is new, the account is ready: "
    "get an API token from /api/v1/auth/token/ with the same e-mail and password."
)


class SignupApi(APIView):
    """Sign up. The answer is the same whether or not the address already has an account (its
    owner gets an e-mail instead), so it never tells who uses Macaron; a new account can log in
    at once."""

    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "auth"

    @extend_schema(request=SignupInput, responses={202: SignupOutput})
    def post(self, request, *args, **kwargs):
        data = SignupInput(data=request.data)
        data.is_valid(raise_exception=True)
        user_signup(**data.validated_data)
        return Response({"detail": SIGNUP_ANSWER}, status=status.HTTP_202_ACCEPTED)


class TokenInput(StrictSerializer):
    email = serializers.EmailField()
    password = serializers.CharField(write_only=True)
    name = serializers.CharField(max_length=80, required=False, allow_blank=True, default="")


class TokenOutput(serializers.Serializer):
    """A new token: `token` is the secret, shown this once (only its digest is kept)."""

    id = serializers.IntegerField()
    token = serializers.CharField()
    name = serializers.CharField()
    expires_at = serializers.DateTimeField()


def issued_body(issued) -> dict:
    token = issued.token
    return TokenOutput(
        {"id": token.pk, "token": issued.secret, "name": token.name, "expires_at": token.expires_at}
    ).data


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
            deletion = deletion_state_for_login(
                email=data.validated_data["email"], password=data.validated_data["password"]
            )
            if deletion is not None:
                due = deletion.request.due_at.isoformat() if deletion.request.due_at else ""
                raise Conflict(
                    f"This account is scheduled for deletion at {due}. To keep it, log in on "
                    "the website before then and choose to keep it.",
                    code="deletion_scheduled",
                )
            raise DomainError(
                "That e-mail and password do not match an account.", code="invalid_login"
            )
        issued = api_token_create(user=user, name=data.validated_data["name"] or "API login")
        return Response(issued_body(issued))


class ProfileInput(StrictSerializer):
    display_name = serializers.CharField(max_length=80, required=False, allow_blank=True)
    time_zone = serializers.ChoiceField(choices=TIME_ZONE_CHOICES, required=False)
    preferred_language = serializers.ChoiceField(choices=LANGUAGE_CODES, required=False)


class AccountDeleteInput(StrictSerializer):
    password = serializers.CharField(write_only=True, trim_whitespace=False)
    confirm = serializers.CharField(help_text="The account's e-mail address, typed to confirm.")
    keep_published = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Keep your published sub-agents for the community, anonymised (default: "
        "remove them; their lineage keeps anonymous removed entries).",
    )


class AccountDeleteOutput(serializers.Serializer):
    state = serializers.ChoiceField(choices=["pending", "done"])
    scheduled_for = serializers.DateTimeField(
        help_text="When the account is erased (the grace period ends); log in before to cancel."
    )


class MeApi(APIView):
    def get_authenticate_header(self, request):
        # Anonymous DELETE answers 401 with the token challenge (the other verbs keep the
        # project-wide 403 until every endpoint moves to 401).
        if request.method == "DELETE":
            return ApiTokenAuthentication().authenticate_header(request)
        return super().get_authenticate_header(request)

    @extend_schema(responses=UserOutput)
    def get(self, request, *args, **kwargs):
        return Response(UserOutput(request.user).data)

    @extend_schema(request=ProfileInput, responses=UserOutput)
    def patch(self, request, *args, **kwargs):
        data = ProfileInput(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        user = profile_update(user=request.user, **data.validated_data)
        return Response(UserOutput(user).data)

    @extend_schema(request=AccountDeleteInput, responses={202: AccountDeleteOutput})
    def delete(self, request, *args, **kwargs):
        """Delete your account: it is deactivated at once (sessions ended, tokens revoked) and
        erased when the grace period ends (at once when it is 0)."""
        data = AccountDeleteInput(data=request.data)
        data.is_valid(raise_exception=True)
        erasure = account_deletion_request(
            user=request.user,
            password=data.validated_data["password"],
            confirmation=data.validated_data["confirm"],
            keep_published=data.validated_data["keep_published"],
        )
        body = {"state": erasure.state, "scheduled_for": erasure.due_at}
        return Response(AccountDeleteOutput(body).data, status=status.HTTP_202_ACCEPTED)


class StepUpInput(StrictSerializer):
    password = serializers.CharField(write_only=True, max_length=4096)


class StepUpOutput(serializers.Serializer):
    valid_until = serializers.DateTimeField()


class StepUpApi(APIView):
    """Re-enter your password to read reauth_required memories with this token for a while."""

    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "auth"

    @extend_schema(request=StepUpInput, responses={200: StepUpOutput})
    def post(self, request, *args, **kwargs):
        if not isinstance(request.auth, ApiToken):
            raise DomainError("Step-up over the API needs an API token.", code="token_required")
        data = StepUpInput(data=request.data)
        data.is_valid(raise_exception=True)
        until = step_up_token(
            request._request, token=request.auth, password=data.validated_data["password"]
        )
        return Response(StepUpOutput({"valid_until": until}).data)
