"""The trash: what the person forgets waits here, restorable, for `MEMORY_TRASH_DAYS` days.

A trashed memory (`forgotten_at` set) is no longer current: retrieval, the write path's
duplicate and same-fact checks, reminders and the person's lists leave it out, and its tokens
leave the term statistics when it goes in (and come back if it is restored while current).
After the grace period the beat job erases it for good through the one forget service
(`memories_forget`): the row goes, with its ciphertext, vector and provenance, and the audit
records the ids.
"""

from collections import Counter, defaultdict
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from memory.ingest.write import memories_forget, person_write_lock
from memory.learning.rewards import rewards_record
from memory.models import Memory
from memory.privacy.audit import AuditAction, audit_record
from memory.retrieval.lexical import term_stats_shift

PURGE_PURPOSE = "trash emptied after the grace period"
PURGE_BATCH = 500


def trash_days() -> int:
    return settings.MEMORY_TRASH_DAYS


def trash_cutoff(now: datetime | None = None) -> datetime:
    """Memories trashed at or before this moment are past the grace period."""
    return (now or timezone.now()) - timedelta(days=trash_days())


def memories_trash(*, user, memory_ids: list[int], now: datetime | None = None) -> list[int]:
    """Move the person's memories to the trash; returns the ids moved (ids that are not theirs,
    or already in the trash, are left alone)."""
    now = now or timezone.now()
    with transaction.atomic():
        person_write_lock(user.id)
        rows = list(
            Memory.objects.filter(user=user, pk__in=memory_ids, forgotten_at__isnull=True)
            .order_by("id")
            .values_list("pk", "valid_to", "lexical_tokens")
        )
        if not rows:
            return []
        ids = [pk for pk, _, _ in rows]
        change: Counter = Counter()
        for _, valid_to, tokens in rows:
            if valid_to is None:
                change.subtract(set(tokens))
        term_stats_shift(user_id=user.id, change=change)
        Memory.objects.filter(pk__in=ids).update(forgotten_at=now, updated_at=now)
        # a memory the person forgot: it should not have been kept
        rewards_record(user_id=user.id, memory_ids=ids, signal="forgotten", at=now)
        audit_record(
            actor=user,
            subject_user_id=user.id,
            action=AuditAction.TRASH,
            purpose="person forgot memories (restorable)",
            memory_ids=ids,
        )
    return ids


def _settle_slot(user, memory: Memory) -> Memory | None:
    """A restored fact may meet a newer statement of the same fact written while it was in the
    trash: as on the write path, the one said last stays current, the other becomes history.
    Returns the memory that was current before and is history now, if any."""
    other = (
        Memory.objects.filter(
            user=user, valid_to__isnull=True, forgotten_at__isnull=True, slot_key=memory.slot_key
        )
        .exclude(pk=memory.pk)
        .only("id", "valid_from", "lexical_tokens")
        .order_by("-valid_from", "-id")
        .first()
    )
    if other is None:
        return None
    older, newer = (memory, other) if other.valid_from >= memory.valid_from else (other, memory)
    Memory.objects.filter(pk=older.pk).update(valid_to=newer.valid_from, updated_at=timezone.now())
    older.valid_to = newer.valid_from
    return other if older is other else None


def memories_restore(*, user, memory_ids: list[int], now: datetime | None = None) -> list[int]:
    """Take the person's memories back out of the trash; returns the ids restored. Ids that are
    not theirs, not in the trash, or past the grace period are left alone."""
    cutoff = trash_cutoff(now)
    with transaction.atomic():
        person_write_lock(user.id)
        trashed = list(
            Memory.objects.filter(user=user, pk__in=memory_ids, forgotten_at__gt=cutoff)
            .only("id", "valid_from", "valid_to", "slot_key", "lexical_tokens")
            .order_by("valid_from", "id")
        )
        if not trashed:
            return []
        ids = sorted(memory.pk for memory in trashed)
        Memory.objects.filter(pk__in=ids).update(forgotten_at=None, updated_at=timezone.now())
        change: Counter = Counter()
        for memory in trashed:
            if memory.valid_to is None and memory.slot_key is not None:
                demoted = _settle_slot(user, memory)
                if demoted is not None:  # it was counted as current until now
                    change.subtract(set(demoted.lexical_tokens))
        # The restored memories count again if they are current once everything has settled.
        for memory in trashed:
            if memory.valid_to is None:
                change.update(set(memory.lexical_tokens))
        term_stats_shift(user_id=user.id, change=change)
        audit_record(
            actor=user,
            subject_user_id=user.id,
            action=AuditAction.RESTORE,
            purpose="person restored memories",
            memory_ids=ids,
        )
    return ids


def memories_trash_empty(*, user, memory_ids: list[int] | None = None) -> int:
    """The person erases memories in their trash for good now (all of it without ids)."""
    trashed = Memory.objects.filter(user=user, forgotten_at__isnull=False)
    if memory_ids is not None:
        trashed = trashed.filter(pk__in=memory_ids)
    ids = list(trashed.values_list("pk", flat=True))
    if not ids:
        return 0
    return memories_forget(user=user, memory_ids=ids, trashed_before=timezone.now())


def memories_trash_purge(*, now: datetime | None = None, batch: int = PURGE_BATCH) -> int:
    """Erase for good every memory in the trash past the grace period (the beat job); returns
    how many. Idempotent: a purged memory is gone, and one restored meanwhile is skipped."""
    cutoff = trash_cutoff(now)
    purged = 0
    while True:
        rows = list(
            Memory.objects.filter(forgotten_at__lte=cutoff)
            .order_by("forgotten_at", "id")
            .values_list("user_id", "pk")[:batch]
        )
        if not rows:
            return purged
        by_user: dict[int, list[int]] = defaultdict(list)
        for user_id, pk in rows:
            by_user[user_id].append(pk)
        for user in User.objects.filter(pk__in=by_user):
            purged += memories_forget(
                user=user,
                memory_ids=by_user[user.pk],
                purpose=PURGE_PURPOSE,
                trashed_before=cutoff,
            )
        if len(rows) < batch:
            return purged
