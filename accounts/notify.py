"""E-mails about a person's account, in their own language."""

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.utils import translation

from accounts.models import User


def _send(*, user: User, template: str) -> None:
    with translation.override(user.preferred_language):
        subject, _, body = render_to_string(template, {"user": user}).strip().partition("\n")
    send_mail(subject.strip(), body.strip() + "\n", settings.DEFAULT_FROM_EMAIL, [user.email])


def welcome_email(*, user: User) -> None:
    """Sent to a new account's address: the account is ready (and who to tell if it was not
    them)."""
    _send(user=user, template="accounts/email/welcome.txt")


def signup_attempt_notice(*, user: User) -> None:
    """Sent instead of creating a second account: someone tried to sign up with this address."""
    _send(user=user, template="accounts/email/signup_attempt.txt")
