"""State changes for people's accounts."""

import hashlib
import os
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import F, Field, Q
from django.utils import timezone
from django.utils.translation import gettext

from accounts import notify
from accounts import onboarding as quiz
from accounts.hooks import ErasureOptions, SecurityKind, Welcome, security_event, welcome_install
from accounts.models import ApiToken, Companion, Onboarding, User
from accounts.selectors import demo_email
from macaron.errors import Conflict, DomainError, NotFound
from macaron.sealed import seal

PROFILE_FIELDS = ("display_name", "time_zone", "preferred_language")
DISPLAY_NAME_MAX = 80


def _validate_profile(fields: dict) -> None:
    errors: dict[str, list[str]] = {}
    name = fields.get("display_name", "")
    if not isinstance(name, str) or len(name) > DISPLAY_NAME_MAX or not name.isprintable():
        errors["display_name"] = [
            gettext("At most %(n)s characters, no control characters.") % {"n": DISPLAY_NAME_MAX}
        ]
    # The name is not a column (it is encrypted): the probe checks the others.
    columns = {k: v for k, v in fields.items() if k in PROFILE_FIELDS and k != "display_name"}
    probe = User(**columns)
    for name in columns:
        try:
            field = probe._meta.get_field(name)
            assert isinstance(field, Field)  # profile fields are concrete columns
            field.clean(getattr(probe, name), probe)
        except ValidationError as exc:
            errors[name] = list(exc.messages)
    if errors:
        raise DomainError(gettext("Please correct the profile fields."), fields=errors)


def user_signup(
    *,
    email: str,
    password: str,
    display_name: str = "",
    time_zone: str = "UTC",
    preferred_language: str = "en",
) -> User | None:
    """Create an account, usable at once; or, when the address is taken, create nothing and
    e-mail its owner instead. Callers answer both cases the same way, so sign-up never reveals
    which addresses have accounts: the new account (or None) is for logging in only.

    Every check that can refuse runs before the address is looked up, so refusals do not
    depend on it either. Both outcomes hash the password once and send one e-mail."""
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError as exc:
        raise DomainError(
            gettext("Enter a valid e-mail address."), fields={"email": exc.messages}
        ) from None
    profile = {
        "display_name": display_name.strip(),
        "time_zone": time_zone,
        "preferred_language": preferred_language,
    }
    _validate_profile(profile)
    try:
        password_validation.validate_password(
            password, User(email=email, time_zone=time_zone, preferred_language=preferred_language)
        )
    except ValidationError as exc:
        raise DomainError(
            exc.messages[0], code="weak_password", fields={"password": exc.messages}
        ) from None
    user = None
    if not User.objects.filter(email__iexact=email).exists():
        try:
            with transaction.atomic():
                user = User.objects.create_user(email, password, **profile)
        except IntegrityError:  # a concurrent sign-up with the same e-mail won the race
            user = None
    if user is None:
        make_password(password)  # the same work as creating the account
        owner = User.objects.filter(email__iexact=email).first()
        if owner is not None:
            notify.signup_attempt_notice(user=owner)
        return None
    notify.welcome_email(user=user)
    return user


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
        columns = {"display_name": "display_name_ct"}
        user.save(update_fields=[columns.get(name, name) for name in fields])
    return user


def profile_language_set(*, user: User, language: str) -> bool:
    """Keep the language chosen in the switcher on the profile; an unknown code changes
    nothing (the switcher is a public form). Returns whether the profile changed."""
    if language not in dict(settings.LANGUAGES) or language == user.preferred_language:
        return False
    user.preferred_language = language
    user.save(update_fields=["preferred_language"])
    return True


# API tokens and sessions ---------------------------------------------------------------------

TOKEN_PREFIX = "mac_"
TOKEN_NAME_MAX = 80
LAST_USED_RESOLUTION = timedelta(minutes=1)  # last_used_at is written at most once a minute


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    secret: str  # shown to the person once; only its digest is stored


def token_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def api_token_create(
    *, user: User, name: str = "", lifetime: timedelta | None = None
) -> IssuedToken:
    name = " ".join(name.split()) if isinstance(name, str) else ""
    if len(name) > TOKEN_NAME_MAX or not name.isprintable():
        raise DomainError(
            gettext("A token name has at most %(n)s characters.") % {"n": TOKEN_NAME_MAX},
            fields={"name": [f"At most {TOKEN_NAME_MAX} characters, no control characters."]},
        )
    if lifetime is None:
        lifetime = timedelta(days=settings.API_TOKEN_LIFETIME_DAYS)
    if lifetime <= timedelta(0):
        raise DomainError(
            gettext("A token must live for some time."),
            fields={"lifetime": [gettext("Too short.")]},
        )
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = timezone.now()
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user,
            name_ct=seal(user.id, name),
            digest=token_digest(secret),
            prefix=secret[: len(TOKEN_PREFIX) + 6],
            created_at=now,
            expires_at=now + lifetime,
        )
        security_event(
            SecurityKind.TOKEN_CREATE,
            user_id=user.pk,
            actor_id=user.pk,
            detail={"token_id": token.pk},
        )
    return IssuedToken(token=token, secret=secret)


def api_token_use(*, secret: str) -> ApiToken | None:
    """The live token with this secret (its user loaded), or None if unknown, expired, revoked
    or its person is inactive. Records the use, at most once a minute."""
    if not isinstance(secret, str) or not secret.startswith(TOKEN_PREFIX) or len(secret) > 200:
        return None
    now = timezone.now()
    token = (
        ApiToken.objects.select_related("user")
        .filter(digest=token_digest(secret), revoked_at__isnull=True, expires_at__gt=now)
        .first()
    )
    if token is None or not token.user.is_active:
        return None
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        _token_used(token, now)
    return token


def _token_used(token: ApiToken, now) -> None:
    """Move last_used_at on; the first use in each clock hour is also a security event. The
    conditional UPDATE decides which request was first, so concurrent calls record it once:
    at most 24 audit records a day per token, however busy it is."""
    hour = now.replace(minute=0, second=0, microsecond=0)
    with transaction.atomic():
        first_this_hour = (
            ApiToken.objects.filter(pk=token.pk)
            .filter(Q(last_used_at__isnull=True) | Q(last_used_at__lt=hour))
            .update(last_used_at=now)
        )
        if first_this_hour:
            security_event(
                SecurityKind.TOKEN_USE,
                user_id=token.user_id,
                actor_id=token.user_id,
                detail={"token_id": token.pk},
            )
        else:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    token.last_used_at = now


def api_token_revoke(*, user: User, token_id: int) -> ApiToken:
    """Revoke one of the person's tokens; someone else's id is "not found"."""
    with transaction.atomic():
        token = ApiToken.objects.select_for_update().filter(user=user, pk=token_id).first()
        if token is None:
            raise NotFound(gettext("No such token."))
        if token.revoked_at is None:
            token.revoked_at = timezone.now()
            token.save(update_fields=["revoked_at"])
            security_event(
                SecurityKind.TOKEN_REVOKE,
                user_id=user.pk,
                actor_id=user.pk,
                detail={"token_id": token.pk},
            )
    return token


def api_tokens_revoke_all(*, user: User) -> int:
    """Revoke every live token of the person; how many were revoked."""
    return ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )


def user_password_changed(*, user: User) -> None:
    """After a password change or reset: every API token stops working. Sessions made with the
    old password already fail Django's auth-hash check; the view keeps (and rotates) its own."""
    with transaction.atomic():
        revoked = api_tokens_revoke_all(user=user)
        security_event(
            SecurityKind.PASSWORD_CHANGE,
            user_id=user.pk,
            actor_id=user.pk,
            detail={"tokens_revoked": revoked},
        )


def user_sign_out_everywhere(*, user: User) -> None:
    """End every session of the person (the epoch is part of the session auth hash) and revoke
    every API token."""
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(session_epoch=F("session_epoch") + 1)
        revoked = api_tokens_revoke_all(user=user)
        security_event(
            SecurityKind.LOGOUT_EVERYWHERE,
            user_id=user.pk,
            actor_id=user.pk,
            detail={"tokens_revoked": revoked},
        )
    user.refresh_from_db(fields=["session_epoch"])


def user_credentials_erase(user: User, options: ErasureOptions) -> dict[str, int]:
    """The eraser for accounts: the person's API tokens, sessions and django-axes records."""
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog
    from django.contrib.sessions.models import Session

    from accounts.lockout import login_username

    tokens, _ = ApiToken.objects.filter(user=user).delete()
    # Database sessions are not indexed by user: decode the live ones (erasure is rare).
    mine = str(user.pk)
    session_keys = [
        session.session_key
        for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator()
        if session.get_decoded().get("_auth_user_id") == mine
    ]
    sessions, _ = Session.objects.filter(session_key__in=session_keys).delete()
    username = login_username(None, {"email": user.email}) or ""
    names = {username, user.email}
    axes = sum(
        model.objects.filter(username__in=names).delete()[0]
        for model in (AccessAttempt, AccessLog, AccessFailureLog)
    )
    return {"api_tokens": tokens, "sessions": sessions, "login_records": axes}


@dataclass(frozen=True)
class DemoAccount:
    email: str
    password: str
    user: User


DEMO_NAME = "Alex"
DEMO_TIME_ZONE = "Europe/Amsterdam"
DEMO_AGE_DAYS = 35  # the demo person joined five weeks ago: a month of life to show
# The demo person's test answers (option ids) and interests: a cheerful, curious companion and
# the welcome gift's workout log, hydration log and mood journal.
DEMO_ANSWERS = {
    "alarm": "jump_up",
    "snack": "mystery",
    "friend": "laugh",
    "superpower": "speed_read",
    "planning": "learn",
}
DEMO_INTERESTS = ["fitness", "health", "mood"]


def demo_account_ensure(*, now: datetime | None = None) -> DemoAccount:
    """The demo login `make run` prints; created once (with a finished onboarding, as if five
    weeks ago), its password reset to the known one on every start."""
    email = demo_email()
    password = os.environ.get("DEMO_PASSWORD", "macaron-demo-2026")
    now = now or timezone.now()
    joined = now - timedelta(days=DEMO_AGE_DAYS)
    user = User.objects.filter(email=email).first() or User.objects.create_user(
        email, None, display_name=DEMO_NAME, time_zone=DEMO_TIME_ZONE, date_joined=joined
    )
    user.set_password(password)
    fields = ["password"]
    if not Onboarding.objects.filter(user=user, completed_at__isnull=False).exists():
        # An empty demo account from an earlier version becomes Alex before the month is seeded.
        user.display_name, user.time_zone = DEMO_NAME, DEMO_TIME_ZONE
        fields += ["display_name_ct", "time_zone"]
    user.save(update_fields=fields)
    demo_onboarding_ensure(user=user, now=joined)
    return DemoAccount(email=email, password=password, user=user)


def demo_onboarding_ensure(*, user: User, now) -> Onboarding:
    """Take the test, pick interests and meet the companion through the real services, once.
    Questions the fixed answers do not cover take their first option."""
    onboarding = Onboarding.objects.filter(user=user).first()
    if onboarding is not None and onboarding.completed_at is not None:
        return onboarding
    for question in quiz.QUESTIONS:
        option = DEMO_ANSWERS.get(question.id, question.options[0].id)
        onboarding = onboarding_answer(user=user, question_id=question.id, option_id=option)
    onboarding_choose_interests(user=user, interests=DEMO_INTERESTS)
    return onboarding_complete(user=user, now=now)


def demo_login_lines() -> list[str]:
    """Ensure the demo account; the line `make run` prints (registered in AccountsConfig)."""
    demo = demo_account_ensure()
    return [f"Demo login: {demo.email} / {demo.password}"]


# Onboarding --------------------------------------------------------------------------------

COMPANION_NAME_MAX = 40


def onboarding_lock(*, user: User) -> Onboarding:
    """The person's onboarding row, created on first use and locked for this transaction."""
    Onboarding.objects.get_or_create(user=user)
    return Onboarding.objects.select_for_update().get(user=user)


def _refuse_if_complete(onboarding: Onboarding) -> None:
    if onboarding.completed_at is not None:
        raise Conflict(gettext("Onboarding is already complete."), code="onboarding_complete")


def onboarding_answer(*, user: User, question_id: str, option_id: str) -> Onboarding:
    """Record one answer (an option id); the last answer brings the companion to life, and a
    changed answer afterwards refreshes its personality."""
    if quiz.option_for(question_id, option_id) is None:
        known = question_id in quiz.QUESTIONS_BY_ID
        raise DomainError(
            gettext("Unknown option for this question.") if known else "Unknown question.",
            code="unknown_option" if known else "unknown_question",
            fields={"option" if known else "question": [gettext("Not one of the choices.")]},
        )
    with transaction.atomic():
        onboarding = onboarding_lock(user=user)
        _refuse_if_complete(onboarding)
        answers = quiz.clean_answers({**onboarding.answers, question_id: option_id})
        if answers != onboarding.answers:
            onboarding.answers = answers
            onboarding.save(update_fields=["answers", "updated_at"])
        if quiz.next_question(answers) is None:
            companion_create(user=user)
    return onboarding


def companion_create(*, user: User) -> Companion:
    """Give the companion its colour, traits and (first time only) name from the answers."""
    with transaction.atomic():
        onboarding = onboarding_lock(user=user)
        if quiz.next_question(onboarding.answers) is not None:
            raise DomainError(
                gettext("Answer all %(n)s questions first.") % {"n": quiz.QUESTION_COUNT},
                code="unanswered",
            )
        personality = quiz.personality_from_answers(onboarding.answers)
        companion, _ = Companion.objects.update_or_create(
            user=user,
            defaults={
                "colour": personality.colour,
                "traits": personality.traits,
                "personality_code": personality.code,
            },
            create_defaults={
                "name_ct": seal(user.id, personality.names[0]),
                "colour": personality.colour,
                "traits": personality.traits,
                "personality_code": personality.code,
            },
        )
    return companion


def companion_get(*, user: User) -> Companion:
    companion = Companion.objects.filter(user=user).first()
    if companion is None:
        raise NotFound(gettext("There is no companion yet; take the personality test first."))
    return companion


def clean_companion_name(name) -> str:
    name = " ".join(name.split()) if isinstance(name, str) else ""
    if not name:
        raise DomainError(
            gettext("Give your companion a name."),
            code="invalid_name",
            fields={"name": [gettext("Required.")]},
        )
    if len(name) > COMPANION_NAME_MAX or not name.isprintable():
        raise DomainError(
            gettext("A name has at most %(n)s letters.") % {"n": COMPANION_NAME_MAX},
            code="invalid_name",
            fields={"name": [f"At most {COMPANION_NAME_MAX} characters, no control characters."]},
        )
    return name


def companion_rename(*, user: User, name: str) -> Companion:
    name = clean_companion_name(name)
    companion = companion_get(user=user)
    if companion.name != name:
        companion.name = name
        companion.save(update_fields=["name_ct", "updated_at"])
    return companion


def onboarding_choose_interests(*, user: User, interests: list[str]) -> Onboarding:
    if not isinstance(interests, list | tuple) or not all(isinstance(i, str) for i in interests):
        raise DomainError(
            gettext("Interests are a list of names."), fields={"interests": [gettext("A list.")]}
        )
    unknown = sorted(set(interests) - set(quiz.INTERESTS_BY_SLUG))
    if unknown:
        raise DomainError(
            gettext("Unknown interest."),
            code="unknown_interest",
            fields={"interests": [f"Choose from: {', '.join(quiz.INTERESTS_BY_SLUG)}."]},
        )
    chosen = quiz.sorted_interests(interests)
    if not quiz.MIN_INTERESTS <= len(chosen) <= quiz.MAX_INTERESTS:
        raise DomainError(
            gettext("Pick between %(min)s and %(max)s interests.")
            % {"min": quiz.MIN_INTERESTS, "max": quiz.MAX_INTERESTS},
            code="interest_count",
            fields={"interests": [f"Pick {quiz.MIN_INTERESTS} to {quiz.MAX_INTERESTS}."]},
        )
    with transaction.atomic():
        onboarding = onboarding_lock(user=user)
        _refuse_if_complete(onboarding)
        onboarding.interests = chosen
        onboarding.save(update_fields=["interests", "updated_at"])
    return onboarding


def onboarding_skip(*, user: User) -> Onboarding:
    """Not now: home stops sending the person to the test; they can come back any time."""
    with transaction.atomic():
        onboarding = onboarding_lock(user=user)
        if onboarding.completed_at is None and onboarding.skipped_at is None:
            onboarding.skipped_at = timezone.now()
            onboarding.save(update_fields=["skipped_at", "updated_at"])
    return onboarding


def onboarding_complete(*, user: User, now: datetime | None = None) -> Onboarding:
    """Finish onboarding in three steps, so that no embedding runs inside a transaction:

    1. one short transaction validates, brings the companion to life and records the gift;
    2. after it has committed, the welcome installers that memory and sub-agents registered
       (`accounts.hooks`: the first memories, embedded in one batch, the companion's opening
       conversation, the gift's tools) run with no transaction open; each is idempotent;
    3. a short transaction records the first conversation and marks onboarding complete.

    Safe to call again: after a failure in step 2 a second call finishes the work without
    duplicating any of it; once complete, a call changes nothing. `now` dates the companion's
    opening message and the gift's installations (the demo account's past)."""
    with transaction.atomic():
        onboarding = onboarding_lock(user=user)
        if onboarding.completed_at is not None:
            return onboarding
        if quiz.next_question(onboarding.answers) is not None:
            raise DomainError(
                gettext("Answer all %(n)s questions first.") % {"n": quiz.QUESTION_COUNT},
                code="unanswered",
            )
        if not onboarding.interests:
            raise DomainError(
                gettext("Pick at least one interest first."),
                code="no_interests",
                fields={"interests": [gettext("Pick at least one.")]},
            )
        companion = companion_create(user=user)
        onboarding.welcome_gift = quiz.gift_for(onboarding.interests)
        onboarding.save(update_fields=["welcome_gift", "updated_at"])
    first_conversation_id = welcome_install(
        Welcome(
            user=user,
            onboarding=onboarding,
            companion=companion,
            gift=list(onboarding.welcome_gift),
            language=quiz.language_of(user.preferred_language),
            now=now,
        )
    )
    with transaction.atomic():
        onboarding = onboarding_lock(user=user)
        if onboarding.completed_at is None:
            onboarding.first_conversation_id = first_conversation_id
            onboarding.completed_at = now or timezone.now()
            onboarding.save(update_fields=["first_conversation_id", "completed_at", "updated_at"])
    return onboarding
