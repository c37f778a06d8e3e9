"""The accounts part of export and import (registered in `accounts.apps`), and the small
helpers every app's exporter and restorer share: times as ISO strings, checked values, and
restoring `created_at` columns that Django would otherwise set to now."""

import re
from datetime import datetime
from typing import Any

from django.db import models
from django.db.models import Case, Value, When
from django.utils.dateparse import parse_datetime

from accounts.hooks import ExportContext, ImportContext, Transfer
from accounts.models import Companion, Onboarding
from accounts.services import profile_update

HEX_COLOUR = re.compile(r"^#[0-9a-f]{6}$")


def iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def at(value: Any) -> datetime:
    """An archive time (ISO 8601 with an offset) as an aware datetime; ValueError otherwise."""
    moment = parse_datetime(value) if isinstance(value, str) else None
    if moment is None or moment.tzinfo is None:
        raise ValueError("A time in the archive is not an ISO 8601 time with an offset.")
    return moment


def when(value: Any) -> datetime | None:
    """An optional archive time (null allowed)."""
    return None if value is None else at(value)


def text(value: Any, *, limit: int, blank: bool = True) -> str:
    if not isinstance(value, str) or len(value) > limit or (not blank and not value.strip()):
        raise ValueError("A text in the archive is missing, too long or not text.")
    return value


def strings(value: Any, *, limit: int = 64) -> list[str]:
    if not isinstance(value, list) or not all(
        isinstance(v, str) and len(v) <= limit for v in value
    ):
        raise ValueError("A list of words in the archive is malformed.")
    return value


def stamps_restore(model: type[models.Model], field: str, stamps: dict[int, datetime]) -> None:
    """Set `field` (an auto_now_add column) of many rows to their archived times, one query."""
    if stamps:
        model._default_manager.filter(pk__in=list(stamps)).update(
            **{field: Case(*[When(pk=pk, then=Value(at)) for pk, at in stamps.items()])}
        )


def accounts_export(ctx: ExportContext) -> dict[str, Any]:
    user = ctx.user
    companion = Companion.objects.filter(user=user).first()
    onboarding = Onboarding.objects.filter(user=user).first()
    return {
        "account": {
            "email": user.email,
            "date_joined": iso(user.date_joined),
            "is_staff": user.is_staff,
        },
        "profile": {
            "display_name": user.display_name,
            "time_zone": user.time_zone,
            "preferred_language": user.preferred_language,
        },
        "companion": None
        if companion is None
        else {
            "name": companion.name,
            "colour": companion.colour,
            "traits": list(companion.traits),
            "personality_code": companion.personality_code,
        },
        "onboarding": None
        if onboarding is None
        else {
            "answers": onboarding.answers,
            "interests": list(onboarding.interests),
            "welcome_gift": list(onboarding.welcome_gift),
            "skipped_at": iso(onboarding.skipped_at),
            "completed_at": iso(onboarding.completed_at),
            "first_conversation": ctx.ref("conversation", onboarding.first_conversation_id),
        },
    }


def accounts_restore(ctx: ImportContext) -> None:
    """Profile, companion and onboarding replace the target account's own; the account section
    (e-mail, join date) is the old account's identity and is not restored."""
    user = ctx.user
    profile = ctx.section("profile", dict)
    if profile:
        profile_update(
            user=user,
            display_name=text(profile.get("display_name", ""), limit=80),
            time_zone=text(profile.get("time_zone", "UTC"), limit=64),
            preferred_language=text(profile.get("preferred_language", "en"), limit=8),
        )
    companion = ctx.sections.get("companion")
    if isinstance(companion, dict):
        colour = text(companion.get("colour"), limit=7)
        if not HEX_COLOUR.match(colour):
            raise ValueError("The companion's colour is not #rrggbb.")
        Companion.objects.update_or_create(
            user=user,
            defaults={
                "name": text(companion.get("name"), limit=40, blank=False),
                "colour": colour,
                "traits": strings(companion.get("traits", []), limit=24),
                "personality_code": text(companion.get("personality_code", ""), limit=80),
            },
        )
        ctx.counts["companion"] = 1
    onboarding = ctx.sections.get("onboarding")
    if isinstance(onboarding, dict):
        answers = onboarding.get("answers", {})
        if not isinstance(answers, dict) or not all(
            isinstance(v, str) and len(v) <= 64 for v in answers.values()
        ):
            raise ValueError("The onboarding answers are malformed.")
        row, _ = Onboarding.objects.update_or_create(
            user=user,
            defaults={
                "answers": answers,
                "interests": strings(onboarding.get("interests", []), limit=24),
                "welcome_gift": strings(onboarding.get("welcome_gift", [])),
                "skipped_at": when(onboarding.get("skipped_at")),
                "completed_at": when(onboarding.get("completed_at")),
                "first_conversation_id": None,
            },
        )
        first = onboarding.get("first_conversation")

        def link_first_conversation() -> None:
            Onboarding.objects.filter(pk=row.pk).update(
                first_conversation_id=ctx.new_id("conversation", first)
            )

        ctx.finishers.append(link_first_conversation)


# The account section is the old account's identity (e-mail, join date): not restored.
ACCOUNTS_TRANSFER = Transfer(
    export=accounts_export, restore=accounts_restore, not_restored=("account",)
)
