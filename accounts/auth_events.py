"""Django's sign-in and sign-out signals, turned into security events (ids only).

Django's auth views and `login()` announce these only through signals, so receivers are the one
place to hear them; they do nothing but hand the event on."""

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed

from accounts.hooks import SecurityKind, security_event
from accounts.models import User


def _logged_in(sender, request, user, **kwargs) -> None:
    security_event(SecurityKind.LOGIN, user_id=user.pk, actor_id=user.pk)


def _logged_out(sender, request, user, **kwargs) -> None:
    if user is not None:  # logging out without a session is no event
        security_event(SecurityKind.LOGOUT, user_id=user.pk, actor_id=user.pk)


def _login_failed(sender, credentials, request=None, **kwargs) -> None:
    """Recorded on the account's own stream when it exists (the person sees it); an unknown
    address is recorded without it: what was typed is never stored."""
    credentials = credentials or {}
    typed = credentials.get("email") or credentials.get("username") or ""
    email = typed.strip() if isinstance(typed, str) else ""
    user_id = User.objects.filter(email__iexact=email).values_list("pk", flat=True).first()
    security_event(
        SecurityKind.LOGIN_FAILED, user_id=user_id, detail={"known_account": user_id is not None}
    )


def auth_events_connect() -> None:
    user_logged_in.connect(_logged_in, dispatch_uid="accounts.security.login")
    user_logged_out.connect(_logged_out, dispatch_uid="accounts.security.logout")
    user_login_failed.connect(_login_failed, dispatch_uid="accounts.security.login_failed")
