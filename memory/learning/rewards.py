"""Reward events: what a memory earned when it was shown, from where, and tied to the
retrieval that showed it (`RetrievalLog`), so the fits know what it was ranked against.

Sources: thumbs on a chip, a memory used in a reply (exposure, no reward of its own), the
person continuing from that reply, a correction ("no, that's wrong"), a sub-agent task completed
after a recommendation, an edited or forgotten memory."""

import re
from datetime import datetime, timedelta

from django.utils import timezone

from memory.models import Memory, Message, ReplyMemory, RetrievalLog, RewardEvent

Source = RewardEvent.Source
# signal -> (source, reward). "used" is exposure: the fits learn from what followed it.
SIGNALS: dict[str, tuple[str, float]] = {
    "up": (Source.THUMBS, 1.0),
    "down": (Source.THUMBS, -1.0),
    "used": (Source.USED, 0.5),
    "continued": (Source.CONTINUED, 0.3),
    "correction": (Source.CORRECTION, -1.0),
    "completed": (Source.SUBAGENT, 1.0),
    "edited": (Source.EDITED, -0.3),
    "forgotten": (Source.FORGOTTEN, -1.0),
}
PERSON_SIGNALS = ("up", "down", "used", "completed")  # what the API/chips may send
RETRIEVAL_WINDOW = timedelta(days=7)  # a reward goes to the latest read that showed it
# "No, that's wrong" and its kin at the start of the next message, in the app's languages.
CORRECTION = re.compile(
    r"^\s*(?:no[,.!\s]+(?:that'?s|that is|it'?s|it is)?\s*(?:not|wrong|incorrect)"
    r"|that'?s\s+(?:not\s+(?:right|true|correct)|wrong|incorrect)"
    r"|wrong[,.!]|incorrect[,.!]|you'?re\s+wrong"
    r"|違(?:う|います)|間違(?:い|って)|そうじゃない"
    r"|아니(?:에요|야|요)|틀렸|그게 아니)",
    re.IGNORECASE,
)


def is_correction(text: str) -> bool:
    return bool(CORRECTION.search(text[:200]))


def showing_retrievals(user_id: int, memory_ids: list[int], at: datetime) -> dict[int, int]:
    """For each memory, the latest logged read (within RETRIEVAL_WINDOW) that showed it."""
    wanted = set(memory_ids)
    found: dict[int, int] = {}
    logs = (
        RetrievalLog.objects.filter(
            user_id=user_id,
            created_at__lte=at,
            created_at__gte=at - RETRIEVAL_WINDOW,
            shown_ids__overlap=list(wanted),
        )
        .order_by("-created_at", "-id")
        .values_list("id", "shown_ids")
    )
    for log_id, shown in logs.iterator():
        for memory_id in wanted.intersection(shown) - found.keys():
            found[memory_id] = log_id
        if len(found) == len(wanted):
            break
    return found


def rewards_record(
    *,
    user_id: int,
    memory_ids: list[int],
    signal: str,
    features: dict | None = None,
    retrieval_id: int | None = None,
    at: datetime | None = None,
) -> list[RewardEvent]:
    """One `signal` event per memory, each tied to `retrieval_id` (if it is the person's) or
    else to the latest read that showed that memory; one lookup and one insert for all."""
    source, reward = SIGNALS[signal]
    at = at or timezone.now()
    if retrieval_id is not None:
        if not RetrievalLog.objects.filter(pk=retrieval_id, user_id=user_id).exists():
            retrieval_id = None  # never tie a reward to someone else's read
        showing = dict.fromkeys(memory_ids, retrieval_id)
    else:
        showing = showing_retrievals(user_id, memory_ids, at) if memory_ids else {}
    return RewardEvent.objects.bulk_create(
        RewardEvent(
            user_id=user_id,
            memory_id=memory_id,
            retrieval_id=showing.get(memory_id),
            signal=signal,
            source=source,
            reward=reward,
            features=features or {},
        )
        for memory_id in memory_ids
    )


def reward_record(
    *,
    user_id: int,
    memory_id: int,
    signal: str,
    features: dict | None = None,
    retrieval_id: int | None = None,
    at: datetime | None = None,
) -> RewardEvent:
    [event] = rewards_record(
        user_id=user_id,
        memory_ids=[memory_id],
        signal=signal,
        features=features,
        retrieval_id=retrieval_id,
        at=at,
    )
    return event


def turn_outcome(
    *, user_id: int, conversation_id: int, message_id: int, sent_at: datetime, text: str
) -> int:
    """The person wrote again after a reply that used memories: each chip of that reply earns
    `continued`, or `correction` if the message starts by saying it was wrong. Once per reply
    (a retried send finds the events there); returns the events written."""
    reply = (
        Message.objects.filter(
            conversation_id=conversation_id,
            role=Message.Role.COMPANION,
            sent_at__lte=sent_at,
        )
        .exclude(pk=message_id)
        .order_by("-sent_at", "-id")
        .values_list("id", flat=True)
        .first()
    )
    if reply is None:
        return 0
    if RewardEvent.objects.filter(
        user_id=user_id,
        signal__in=("continued", "correction"),
        features__message_id=reply,
    ).exists():
        return 0
    signal = "correction" if is_correction(text) else "continued"
    chips = ReplyMemory.objects.filter(message_id=reply, kind=ReplyMemory.Kind.USED).order_by(
        "rank"
    )
    live = set(
        Memory.objects.filter(
            user_id=user_id, pk__in=[c.memory_id for c in chips], forgotten_at__isnull=True
        ).values_list("pk", flat=True)
    )
    written = 0
    for chip in chips:
        if chip.memory_id in live:
            reward_record(
                user_id=user_id,
                memory_id=chip.memory_id,
                signal=signal,
                features={"message_id": reply, "rank": chip.rank},
            )
            written += 1
    return written
