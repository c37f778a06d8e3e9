"""The demo person's month of conversations, memory's part of `make run`'s living demo account.

A month in which Alex told the companion about work, an allergy, running, a sister's birthday,
a trip, their own birthday and a few plans. Every message goes through the real write path
(`messages_ingest`: gate, extraction, embedding, reminders), so the memories carry provenance
and embeddings and the dated plans become reminders; every companion reply is the one the
companion gives (`reply_preview`: the same recall and provider as a chat turn, on the day it
was said). Dates are relative to today in the demo person's time zone, so the birthday and the
trip are always still ahead.

Idempotent: the seeded messages carry external ids starting with DEMO_ID; when the person has
any, nothing is added (a second `make run` starts at once).
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.utils import timezone

from accounts.selectors import demo_user
from macaron.timezones import user_zone
from memory.companion.chat import reply_preview, title_from
from memory.ingest.store import messages_ingest, messages_store
from memory.ingest.write import MessageIn, conversation_create
from memory.models import Message

DEMO_ID = "demo-seed"
REPLY_DELAY = timedelta(seconds=40)
LINE_GAP = timedelta(minutes=3)


@dataclass(frozen=True)
class Talk:
    days_ago: int
    at: time
    lines: tuple[str, ...]


# Future dates are days from today ("{lena}" is Lena's birthday); each line is said on its day.
AHEAD = {"dinner": 2, "dentist": 4, "lena": 9, "lisbon": 18, "lisbon_back": 22, "birthday": 26}
TALKS = (
    Talk(
        31,
        time(20, 15),
        (
            "I work as a product designer at a small bike company in Amsterdam.",
            "I'm allergic to peanuts, so please keep that in mind when we talk about food.",
        ),
    ),
    Talk(
        27,
        time(7, 40),
        (
            "I started training for a 10k race and I want to finish it under 55 minutes.",
            "I prefer running early in the morning, before work.",
        ),
    ),
    Talk(
        23,
        time(21, 5),
        (
            "My sister Lena's birthday is on {lena}.",
            "Lena loves orchids and dark chocolate.",
        ),
    ),
    Talk(
        19,
        time(16, 30),
        ("I switched from coffee to green tea in the afternoons and I sleep much better.",),
    ),
    Talk(
        15,
        time(19, 50),
        (
            "My partner Sam and I are flying to Lisbon on {lisbon} and coming back on "
            "{lisbon_back}.",
            "In Lisbon I really want to try the pastel de nata at Manteigaria.",
        ),
    ),
    Talk(
        11,
        time(22, 10),
        ("My birthday is on {birthday}, I'm turning 34.",),
    ),
    Talk(
        8,
        time(12, 20),
        ("I have a dentist appointment on {dentist} at 10 am.",),
    ),
    Talk(
        5,
        time(8, 5),
        (
            "I ran 8 km this morning, my longest run so far!",
            "My left knee felt a bit sore after the run.",
        ),
    ),
    Talk(
        2,
        time(18, 45),
        (
            "Sam and I are hosting a dinner for six friends on {dinner}.",
            "I'm learning Japanese and I practise fifteen minutes every day.",
        ),
    ),
)


def _day_name(day: date) -> str:
    return f"{day:%B} {day.day}"  # "December 9": the resolver reads it in the year ahead


def demo_script(today: date) -> list[tuple[datetime, list[str]]]:
    """The conversations as (local start, lines), dated from `today` (the person's local day)."""
    names = {key: _day_name(today + timedelta(days=days)) for key, days in AHEAD.items()}
    return [
        (
            datetime.combine(today - timedelta(days=talk.days_ago), talk.at),
            [line.format(**names) for line in talk.lines],
        )
        for talk in TALKS
    ]


def demo_conversations_seed(*, user, now: datetime | None = None) -> int:
    """Seed the demo person's conversations once; returns how many messages were added."""
    if Message.objects.filter(user=user, external_id__startswith=DEMO_ID).exists():
        return 0
    zone = user_zone(user)
    now = now or timezone.now()
    added = 0
    for talk_index, (start, lines) in enumerate(demo_script(now.astimezone(zone).date())):
        conversation = conversation_create(user=user, title=title_from(lines[0]))
        moment = start.replace(tzinfo=zone)
        for line_index, text in enumerate(lines):
            external_id = f"{DEMO_ID}-{talk_index}-{line_index}"
            messages_ingest(
                user=user,
                conversation=conversation,
                messages=[MessageIn(text=text, sent_at=moment, external_id=external_id)],
            )
            # Nothing stored or reinforced: the reply the companion gave on that day.
            reply = reply_preview(user=user, text=text, now=moment)
            messages_store(
                user=user,
                conversation=conversation,
                messages=[
                    MessageIn(
                        text=reply,
                        sent_at=moment + REPLY_DELAY,
                        role=Message.Role.COMPANION,
                        external_id=f"{external_id}-reply",
                    )
                ],
                enqueue=False,
            )
            added += 2
            moment += LINE_GAP
    return added


def demo_conversations_lines() -> list[str]:
    """`make run`'s start-up preparer (after accounts created the demo person)."""
    user = demo_user()
    if user is None:
        return []
    added = demo_conversations_seed(user=user)
    return [f"Demo conversations: {added} messages added."] if added else []
