"""Scheduling a reminder for a memory that was just written or edited (part of the write path).

A plan or event memory with a future date gets a `Reminder`, due on the morning before (or of)
the day in the person's time zone; companion.reminders raises, shows and dismisses them.
"""

from datetime import UTC, datetime, time, timedelta, tzinfo

from django.db import transaction
from django.utils import timezone

from macaron.timeexpr import TimeRange
from macaron.timezones import user_zone
from memory.models import Memory, Reminder

REMINDABLE_KINDS = (Memory.Kind.PLAN, Memory.Kind.EVENT)
MORNING = time(9, 0)  # reminders are raised in the person's morning
# Event bounds are midnight-to-midnight in the time zone of the message they came from; noon of
# the first day names the same calendar day in any zone less than 12 hours away.
HALF_DAY = timedelta(hours=12)


def event_days(memory: Memory, zone: tzinfo) -> TimeRange:
    """The calendar days (in `zone`) of a dated memory."""
    event_time, event_end = memory.event_time, memory.event_end
    if event_time is None:
        raise ValueError("The memory has no date.")
    start = (event_time + HALF_DAY).astimezone(zone).date()
    end = (event_end - HALF_DAY).astimezone(zone).date() if event_end else start
    return TimeRange(start, max(start, end))


def reminder_due_at(*, memory: Memory, now: datetime) -> datetime | None:
    """When to raise a reminder for this memory, or None when it needs none.

    Plans and events dated after the message that mentioned them and after `now`: the morning
    (09:00 in the person's time zone) of the day before when the event was more than a day ahead
    when it was mentioned, else the morning of the event day; never earlier than `now` (a
    moment that has passed while the event is still ahead is due at once).
    """
    if memory.kind not in REMINDABLE_KINDS or memory.event_time is None:
        return None
    if memory.valid_to is not None or memory.event_time <= memory.valid_from:
        return None
    if memory.event_time <= now:
        return None
    zone = user_zone(memory.user)
    day = event_days(memory, zone).start
    said_on = memory.valid_from.astimezone(zone).date()
    remind_on = day - timedelta(days=1) if day > said_on + timedelta(days=1) else day
    return max(datetime.combine(remind_on, MORNING, tzinfo=zone).astimezone(UTC), now)


@transaction.atomic
def reminder_schedule_for(memory: Memory, *, now: datetime | None = None) -> Reminder | None:
    """Schedule (or move, or cancel) the reminder of a memory that was just written or edited.

    Idempotent: an unchanged due time leaves the reminder as it is (raised stays raised). A
    memory that no longer needs a reminder loses its scheduled one; raised and dismissed ones
    are history and stay.
    """
    now = now or timezone.now()
    due_at = reminder_due_at(memory=memory, now=now)
    existing = Reminder.objects.select_for_update().filter(memory=memory).first()
    if due_at is None:
        if existing is not None and existing.state == Reminder.State.SCHEDULED:
            existing.delete()
        return None
    if existing is None:
        return Reminder.objects.create(user_id=memory.user_id, memory=memory, due_at=due_at)
    if existing.state == Reminder.State.SCHEDULED or existing.due_at != due_at:
        existing.due_at = due_at
        existing.state = Reminder.State.SCHEDULED
        existing.raised_at = existing.dismissed_at = None
        existing.save(update_fields=["due_at", "state", "raised_at", "dismissed_at"])
    return existing
