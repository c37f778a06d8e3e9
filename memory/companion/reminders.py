"""Proactive reminders: dates the person mentioned (a friend's birthday, a concert) are raised by
the companion at the right time, and shown as notifications until dismissed.

One concept: a `Reminder` is scheduled when a plan or event memory with a future date is written,
raised by the beat task when it is due (then it is a notification), and dismissed by the person.
Every lookup is scoped by the acting person; the text is decrypted only for display.
"""

import calendar
from dataclasses import dataclass
from datetime import date, datetime

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from macaron.errors import NotFound
from macaron.i18n import LANGUAGES, _
from macaron.timeexpr import TimeRange
from macaron.timezones import user_zone
from macaron.vault import cipher_for
from memory.ingest.schedule import event_days
from memory.ingest.store import messages_ingest
from memory.ingest.write import MessageIn
from memory.models import Conversation, Memory, Reminder

RAISE_BATCH = 200
UPCOMING_LIMIT = 50
SECRET_TEXT = _("something you asked me to keep secret")
REMINDER_TEXT = _("Don't forget: {text} — {when}")


def reminders_raise_due(*, now: datetime | None = None) -> int:
    """Raise every scheduled reminder that is due; returns how many were raised.

    Safe to run twice and concurrently: rows are claimed with SKIP LOCKED and only scheduled
    ones are raised, so no reminder is raised twice. The claim commits first; then each raised
    reminder is said by the companion in the person's most recent conversation, outside the
    locked batch, with a fixed number of queries per batch plus one write per conversation.
    """
    now = now or timezone.now()
    raised = 0
    while True:
        with transaction.atomic():
            batch = list(
                Reminder.objects.select_for_update(skip_locked=True, of=("self",))
                .filter(state=Reminder.State.SCHEDULED, due_at__lte=now)
                .filter(memory__forgotten_at__isnull=True)  # raised if restored in time
                .select_related("memory", "user")
                .only(*_DISPLAY_FIELDS)
                .order_by("due_at", "id")[:RAISE_BATCH]
            )
            if not batch:
                return raised
            # A memory replaced by a newer statement ("the party moved to Sunday") is not raised.
            live = [r for r in batch if r.memory.valid_to is None]
            Reminder.objects.filter(pk__in=[r.pk for r in batch if r.memory.valid_to]).delete()
            Reminder.objects.filter(pk__in=[r.pk for r in live]).update(
                state=Reminder.State.RAISED, raised_at=now
            )
        _say_in_conversations(live, now=now)
        raised += len(live)
        if len(batch) < RAISE_BATCH:
            return raised


def _latest_conversations(user_ids: set[int]) -> dict[int, Conversation]:
    """Each person's most recent conversation, in one query."""
    rows = (
        Conversation.objects.filter(user_id__in=user_ids)
        .order_by("user_id", F("last_message_at").desc(nulls_last=True), "-id")
        .distinct("user_id")
    )
    return {conversation.user_id: conversation for conversation in rows}


def _say_in_conversations(reminders: list[Reminder], *, now: datetime) -> None:
    """The companion raises the reminders in each person's most recent conversation, if any,
    one write per conversation. Secret memories are never written into a conversation."""
    said = [r for r in reminders if r.memory.privacy != Memory.Privacy.SECRET]
    if not said:
        return
    conversations = _latest_conversations({r.user_id for r in said})
    by_user: dict[int, list[Reminder]] = {}
    for reminder in said:
        if reminder.user_id in conversations:
            by_user.setdefault(reminder.user_id, []).append(reminder)
    for user_id, own in by_user.items():
        user = own[0].user
        cipher = cipher_for(user_id)
        messages_ingest(
            user=user,
            conversation=conversations[user_id],
            messages=[
                MessageIn(text=_item(r, cipher, user=user).text, sent_at=now, role="companion")
                for r in own
            ],
        )


def reminder_dismiss(*, user, reminder_id: int) -> Reminder:
    """Dismiss a notification (or cancel an upcoming reminder). Someone else's id: NotFound."""
    with transaction.atomic():
        reminder = Reminder.objects.select_for_update().filter(user=user, pk=reminder_id).first()
        if reminder is None:
            raise NotFound("No such reminder.")
        if reminder.state != Reminder.State.DISMISSED:
            reminder.state = Reminder.State.DISMISSED
            reminder.dismissed_at = timezone.now()
            reminder.save(update_fields=["state", "dismissed_at"])
    return reminder


# Selectors -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReminderItem:
    id: int
    memory_id: int
    state: str
    due_at: datetime
    raised_at: datetime | None
    memory_text: str
    when: str  # the event's date, in the person's language
    text: str  # what the companion says


_DISPLAY_FIELDS = (
    "id",
    "user_id",
    "memory_id",
    "state",
    "due_at",
    "raised_at",
    "memory__text_ct",
    "memory__event_time",
    "memory__event_end",
    "memory__privacy",
    "memory__valid_to",
    "user__time_zone",
    "user__preferred_language",
)


# Year, month, day and the range sign of the CJK date order, per language.
CJK_DATE_PARTS = {"ja": ("年", "月", "日", "〜"), "ko": ("년 ", "월 ", "일", " ~ ")}


def _date_label(days: TimeRange, language: str) -> str:
    if language not in CJK_DATE_PARTS:
        return days.label()
    year, month, day_sign, until = CJK_DATE_PARTS[language]
    start, end = days.start, days.end

    def day(d: date) -> str:
        return f"{d.year}{year}{d.month}{month}{d.day}{day_sign}"

    if start == end:
        return day(start)
    whole_month = start.day == 1 and end.day == calendar.monthrange(end.year, end.month)[1]
    if whole_month and (start.year, start.month) == (end.year, end.month):
        return f"{start.year}{year}{start.month}{month}".rstrip()
    return f"{day(start)}{until}{day(end)}"


def _compose(text: str, when: str, language: str) -> str:
    return REMINDER_TEXT[language].format(text=text, when=when)


def _item(reminder: Reminder, cipher, *, user) -> ReminderItem:
    language = user.preferred_language if user.preferred_language in LANGUAGES else "en"
    memory = reminder.memory
    if memory.privacy == Memory.Privacy.SECRET:
        text = SECRET_TEXT[language]
    else:
        text = cipher.decrypt(memory.text_ct)
    when = _date_label(event_days(memory, user_zone(user)), language) if memory.event_time else ""
    return ReminderItem(
        id=reminder.id,
        memory_id=reminder.memory_id,
        state=reminder.state,
        due_at=reminder.due_at,
        raised_at=reminder.raised_at,
        memory_text=text,
        when=when,
        text=_compose(text, when, language),
    )


def _items(user, reminders) -> list[ReminderItem]:
    reminders = list(reminders)
    if not reminders:
        return []
    cipher = cipher_for(user.id)
    return [_item(reminder, cipher, user=user) for reminder in reminders]


def notifications_for(*, user) -> list[ReminderItem]:
    """Raised, not dismissed reminders, newest first."""
    return _items(
        user,
        Reminder.objects.filter(
            user=user, state=Reminder.State.RAISED, memory__forgotten_at__isnull=True
        )
        .select_related("memory", "user")
        .only(*_DISPLAY_FIELDS)
        .order_by("-raised_at", "-id"),
    )


def upcoming_reminders_for(*, user, limit: int = UPCOMING_LIMIT) -> list[ReminderItem]:
    """Scheduled reminders, soonest first."""
    return _items(
        user,
        Reminder.objects.filter(
            user=user,
            state=Reminder.State.SCHEDULED,
            memory__valid_to__isnull=True,
            memory__forgotten_at__isnull=True,
        )
        .select_related("memory", "user")
        .only(*_DISPLAY_FIELDS)
        .order_by("due_at", "id")[:limit],
    )


def notification_count(*, user) -> int:
    return Reminder.objects.filter(
        user=user, state=Reminder.State.RAISED, memory__forgotten_at__isnull=True
    ).count()
