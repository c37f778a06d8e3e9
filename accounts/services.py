"""State changes for people's accounts."""

import os
from dataclasses import dataclass

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction

from accounts.models import User
from macaron.errors import Conflict, DomainError

PROFILE_FIELDS = ("display_name", "time_zone", "preferred_language")


def _validate_profile(fields: dict) -> None:
    errors: dict[str, list[str]] = {}
    probe = User(**{k: v for k, v in fields.items() if k in PROFILE_FIELDS})
    for name in PROFILE_FIELDS:
        if name not in fields:
            continue
        try:
            probe._meta.get_field(name).clean(getattr(probe, name), probe)
        except ValidationError as exc:
            errors[name] = list(exc.messages)
    if errors:
        raise DomainError("Please correct the profile fields.", fields=errors)


def user_signup(
    *,
    email: str,
    password: str,
    display_name: str = "",
    time_zone: str = "UTC",
    preferred_language: str = "en",
) -> User:
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError as exc:
        raise DomainError("Enter a valid e-mail address.", fields={"email": exc.messages}) from None
    if User.objects.filter(email__iexact=email).exists():
        raise Conflict(
            "An account with this e-mail already exists.",
            code="email_taken",
            fields={"email": ["An account with this e-mail already exists."]},
        )
    profile = {
        "display_name": display_name.strip(),
        "time_zone": time_zone,
        "preferred_language": preferred_language,
    }
    _validate_profile(profile)
    try:
        password_validation.validate_password(password, User(email=email, **profile))
    except ValidationError as exc:
        raise DomainError(
            exc.messages[0], code="weak_password", fields={"password": exc.messages}
        ) from None
    try:
        with transaction.atomic():
            return User.objects.create_user(email, password, **profile)
    except IntegrityError:  # a concurrent sign-up with the same e-mail won the race
        raise Conflict("An account with this e-mail already exists.", code="email_taken") from None


def profile_update(*, user: User, **fields) -> User:
    unknown = set(fields) - set(PROFILE_FIELDS)
    if unknown:
        raise DomainError(f"Unknown profile fields: {', '.join(sorted(unknown))}.")
    if "display_name" in fields:
        fields["display_name"] = fields["display_name"].strip()
    _validate_profile(fields)
    for name, value in fields.items():
        setattr(user, name, value)
    if fields:
        user.save(update_fields=list(fields))
    return user


@dataclass(frozen=True)
class DemoAccount:
    email: str
    password: str


def demo_account_ensure() -> DemoAccount:
    """The demo login `make run` prints; created once, its password reset to the known one."""
    email = os.environ.get("DEMO_EMAIL", "demo@macaron.local")
    password = os.environ.get("DEMO_PASSWORD", "macaron-demo-2026")
    user, _ = User.objects.get_or_create(email=email, defaults={"display_name": "Demo"})
    user.set_password(password)
    user.save(update_fields=["password"])
    return DemoAccount(email=email, password=password)
