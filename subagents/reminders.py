"""Reminders of installed tools, from their specs: daily, weekly (weekdays 0=Mon..6) or every N
days, at HH:MM times in the person's time zone.

Each installation keeps its schedules in clear (no messages) and its next slot precomputed, so
the beat job reads due rows through one partial index and decrypts nothing. A slot fires once:
`ReminderFire` is unique per (installation, reminder, slot) and rows are claimed with SKIP
LOCKED, so a beat that runs twice (or two workers) raises nothing twice. A raised, not dismissed
fire is a notification; the message comes from the encrypted spec when it is shown.
"""

from datetime import UTC, date, datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from macaron.errors import NotFound
from macaron.timezones import zone_named
from subagents.models import Installation, ReminderFire
from subagents.usage import usage_emit

LOOKAHEAD_DAYS = 400  # longer than any interval (365) plus a week
RAISE_BATCH = 200


def schedule_for(reminders: list[dict]) -> list[dict]:
    """The clear, message-free schedules of the effective reminders (settings applied)."""
    return [
        {
            "index": reminder["index"],
            "kind": reminder["schedule"]["kind"],
            "times": sorted(reminder["schedule"]["times"]),
            "weekdays": reminder["schedule"].get("weekdays", []),
            "every_days": reminder["schedule"].get("every_days", 1),
        }
        for reminder in reminders
    ]


def _day_matches(item: dict, day: date, anchor: date) -> bool:
    if item["kind"] == "weekly":
        return day.weekday() in item["weekdays"]
    if item["kind"] == "interval":
        return (day - anchor).days % max(1, item["every_days"]) == 0
    return True


def _slots_on(item: dict, day: date, zone) -> list[datetime]:
    slots = []
    for text in item["times"]:
        hour, minute = (int(part) for part in text.split(":"))
        slots.append(datetime.combine(day, time(hour, minute), tzinfo=zone))
    return slots


def next_slot(
    *, schedule: list[dict], after: datetime, zone_name: str, anchor: date
) -> tuple[datetime, list[int]] | None:
    """The first slot strictly after `after` (UTC) and the reminder indexes due then."""
    zone = zone_named(zone_name)
    start = after.astimezone(zone).date()
    for offset in range(LOOKAHEAD_DAYS):
        day = start + timedelta(days=offset)
        due: dict[datetime, list[int]] = {}
        for item in schedule:
            if _day_matches(item, day, anchor):
                for slot in _slots_on(item, day, zone):
                    if slot > after:
                        due.setdefault(slot, []).append(item["index"])
        if due:
            first = min(due)
            return first.astimezone(UTC), sorted(set(due[first]))
    return None


def _anchor(installation: Installation, zone_name: str) -> date:
    return installation.installed_at.astimezone(zone_named(zone_name)).date()


def installation_schedule_refresh(
    *, installation: Installation, reminders: list[dict], now: datetime | None = None
) -> None:
    """Store the clear schedule and the next slot after `now` (called on install and on every
    settings change; the caller holds the row)."""
    now = now or timezone.now()
    zone_name = installation.user.time_zone
    installation.schedule = schedule_for(reminders)
    upcoming = next_slot(
        schedule=installation.schedule,
        after=now,
        zone_name=zone_name,
        anchor=_anchor(installation, zone_name),
    )
    installation.next_reminder_at = upcoming[0] if upcoming else None
    installation.save(update_fields=["schedule", "next_reminder_at"])


def reminders_raise_due(*, now: datetime | None = None) -> int:
    """Raise every due reminder slot of active installations; returns how many were raised.

    Queries per batch: one claim (SKIP LOCKED), one insert, one update per installation.
    """
    now = now or timezone.now()
    raised = 0
    while True:
        with transaction.atomic():
            batch = list(
                Installation.objects.select_for_update(skip_locked=True, of=("self",))
                .filter(paused=False, uninstalled_at__isnull=True, next_reminder_at__lte=now)
                .select_related("user")
                .only(
                    "id",
                    "user_id",
                    "schedule",
                    "next_reminder_at",
                    "installed_at",
                    "user__time_zone",
                )
                .order_by("next_reminder_at", "id")[:RAISE_BATCH]
            )
            if not batch:
                return raised
            fires = []
            for installation in batch:
                zone_name = installation.user.time_zone
                anchor = _anchor(installation, zone_name)
                slot = installation.next_reminder_at
                if slot is None:  # the query selects due slots only
                    continue
                # Which reminders are due at this slot: the first slot after a moment before it.
                due = next_slot(
                    schedule=installation.schedule,
                    after=slot - timedelta(seconds=1),
                    zone_name=zone_name,
                    anchor=anchor,
                )
                if due is not None and due[0] == slot:
                    fires += [
                        ReminderFire(
                            installation_id=installation.id,
                            user_id=installation.user_id,
                            reminder_index=index,
                            slot_at=slot,
                            raised_at=now,
                        )
                        for index in due[1]
                    ]
                # A beat that was down for a while raises the latest slot once, not every one.
                upcoming = next_slot(
                    schedule=installation.schedule, after=now, zone_name=zone_name, anchor=anchor
                )
                installation.next_reminder_at = upcoming[0] if upcoming else None
            ReminderFire.objects.bulk_create(fires, ignore_conflicts=True)
            Installation.objects.bulk_update(batch, ["next_reminder_at"])
            raised += ReminderFire.objects.filter(
                installation_id__in=[installation.id for installation in batch], raised_at=now
            ).count()
        if len(batch) < RAISE_BATCH:
            return raised


def reminder_dismiss(*, user, fire_id: int, acted: bool = False) -> ReminderFire:
    """Dismiss a tool's reminder notification; `acted` when the person followed it (opened the
    tool to log), which counts as usage."""
    with transaction.atomic():
        fire = (
            ReminderFire.objects.select_for_update()
            .select_related("installation")
            .filter(user=user, pk=fire_id)
            .first()
        )
        if fire is None:
            raise NotFound("No such reminder.")
        first_time = fire.dismissed_at is None
        if first_time:
            fire.dismissed_at = timezone.now()
            if acted:
                fire.acted_at = fire.dismissed_at
            fire.save(update_fields=["dismissed_at", "acted_at"])
    if acted and first_time:
        usage_emit(installation=fire.installation, kind="reminder_acted")
    return fire


def tool_reminder_count(*, user) -> int:
    return ReminderFire.objects.filter(
        user=user, dismissed_at__isnull=True, installation__uninstalled_at__isnull=True
    ).count()
