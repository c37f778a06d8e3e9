"""Step-up: re-entering the password shortly before reading an item that requires it.

The web keeps the moment in the session, the API on the token row; either counts for
settings.STEP_UP_MINUTES. A wrong password goes through django-axes like a failed login.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import authenticate
from django.http import HttpRequest
from django.utils import timezone

from accounts.models import ApiToken, User
from macaron.errors import DomainError

SESSION_KEY = "step_up_at"


def step_up_fresh(at: datetime | None, *, now: datetime | None = None) -> bool:
    if at is None:
        return False
    return (now or timezone.now()) < _valid_until(at)


def _check_password(request: HttpRequest, user: User, password: str) -> None:
    # authenticate() (not check_password) so that axes counts a failure and enforces lockout
    if authenticate(request, username=user.email, password=password) != user:
        raise DomainError(
            "That password is not right.",
            code="invalid_password",
            fields={"password": ["Wrong password."]},
        )


def _valid_until(at: datetime) -> datetime:
    return at + timedelta(minutes=settings.STEP_UP_MINUTES)


def step_up_session(request: HttpRequest, *, password: str) -> datetime:
    _check_password(request, request.user, password)  # type: ignore[arg-type]
    now = timezone.now()
    request.session[SESSION_KEY] = now.isoformat()
    return _valid_until(now)


def step_up_token(request: HttpRequest, *, token: ApiToken, password: str) -> datetime:
    """Record a step-up on this token only (another token of the same person stays locked)."""
    _check_password(request, token.user, password)
    now = timezone.now()
    ApiToken.objects.filter(pk=token.pk).update(step_up_at=now)
    return _valid_until(now)


def stepped_up(request) -> bool:
    """Whether this request (web session or API token) re-entered the password recently."""
    token = getattr(request, "auth", None)
    if isinstance(token, ApiToken):
        return step_up_fresh(token.step_up_at)
    value = request.session.get(SESSION_KEY) if hasattr(request, "session") else None
    return step_up_fresh(datetime.fromisoformat(value) if value else None)
