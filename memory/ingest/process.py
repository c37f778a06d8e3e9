"""Store-first ingestion, the slow half: gate, extraction (LLM or offline), embedding,
deduplication and term statistics for messages already stored.

`messages_process` is the one processing service: the Celery task and the synchronous
`messages_ingest` (the LoCoMo replay, imports) both call it. It is idempotent and safe to run
concurrently, in three steps:

1. claim: `SELECT … FOR UPDATE SKIP LOCKED` on message ids only, stamping `claimed_at` (a lease
   of settings.MEMORY_CLAIM_LEASE_S) in one short statement; no lock is held afterwards;
2. the slow work (decrypt, candidates, one batched embedding call) with no transaction open;
3. per person, a short transaction under the person's write lock that re-checks
   `processed_at IS NULL` (row locks), writes the memories and sets `processed_at`.

A message is processed exactly once even when a worker dies (its lease expires and the sweep
re-enqueues it) or two workers take the same message (the second finds it processed).
"""

from collections import defaultdict
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from macaron.timezones import local_time
from macaron.vault import UserCipher, cipher_for
from memory.ingest.extraction import candidates_for
from memory.ingest.hooks import conversation_grew
from memory.ingest.write import CONTEXT_CHARS, remember_embed, remember_write, reply_context
from memory.models import Conversation, Memory, Message

BATCH_SIZE = 64

CLAIM_SQL = """
UPDATE memory_message SET claimed_at = now() WHERE id IN (
    SELECT id FROM memory_message
    WHERE processed_at IS NULL
      AND (claimed_at IS NULL OR claimed_at < now() - make_interval(secs => %(lease)s))
      AND (id = ANY(%(ids)s) OR %(fill)s)
    ORDER BY (id = ANY(%(ids)s)) DESC, id
    LIMIT %(limit)s
    FOR UPDATE SKIP LOCKED
) RETURNING id
"""


def messages_claim(
    *, message_ids: list[int], fill: bool = False, limit: int = BATCH_SIZE
) -> list[int]:
    """Lease unprocessed messages: these ids first, then (with `fill`) the oldest others."""
    with connection.cursor() as cursor:
        cursor.execute(
            CLAIM_SQL,
            {
                "ids": list(message_ids),
                "fill": fill,
                "limit": limit,
                "lease": settings.MEMORY_CLAIM_LEASE_S,
            },
        )
        return sorted(row[0] for row in cursor.fetchall())


def _previous_texts(rows: list[Message], ciphers: dict[int, UserCipher]) -> dict[int, str]:
    """The text of the message before each one in its conversation (the reply's context)."""
    if not CONTEXT_CHARS:
        return {}
    last = (
        Message.objects.filter(
            conversation_id=OuterRef("conversation_id"), sent_at__lte=OuterRef("sent_at")
        )
        .exclude(pk=OuterRef("pk"))
        .exclude(sent_at=OuterRef("sent_at"), id__gt=OuterRef("id"))
        .order_by("-sent_at", "-id")
        .values("text_ct")[:1]
    )
    found = dict(  # one query for the whole batch, not one per message
        Message.objects.filter(pk__in=[row.pk for row in rows])
        .annotate(previous_ct=Subquery(last))
        .values_list("pk", "previous_ct")
    )
    return {
        row.id: ciphers[row.user_id].decrypt(found[row.id]) if found.get(row.id) else ""
        for row in rows
    }


def messages_process(
    *,
    message_ids: list[int],
    fill: bool = False,
    limit: int = BATCH_SIZE,
    schedule_compression: bool = True,
) -> int:
    """Process stored messages into long-term memory; returns how many this call processed."""
    claimed = messages_claim(message_ids=message_ids, fill=fill, limit=limit)
    if not claimed:
        return 0
    rows = list(
        Message.objects.filter(pk__in=claimed)
        .order_by("sent_at", "id")
        .only("id", "user_id", "conversation_id", "role", "text_ct", "sent_at", "external_id")
    )
    users = get_user_model().objects.in_bulk({row.user_id for row in rows})
    ciphers = {user_id: cipher_for(user_id) for user_id in users}
    previous = _previous_texts([r for r in rows if r.role == Message.Role.USER], ciphers)

    pending: dict[int, list[tuple]] = defaultdict(list)
    for row in rows:  # what the companion says is not a fact about the person
        if row.role != Message.Role.USER:
            continue
        text = ciphers[row.user_id].decrypt(row.text_ct)
        found = candidates_for(text, local_time(row.sent_at, users[row.user_id]))
        for candidate in found:
            candidate.context = reply_context(previous.get(row.id, ""), candidate.text)
            pending[row.user_id].append((row, candidate))
    everything = [item for items in pending.values() for item in items]
    vectors, model_name = remember_embed(everything)  # one batch, no transaction open
    vector_of = {id(item): vector for item, vector in zip(everything, vectors, strict=True)}

    done = 0
    by_user: dict[int, list[Message]] = defaultdict(list)
    for row in rows:
        by_user[row.user_id].append(row)
    for user_id, user_rows in by_user.items():
        with transaction.atomic():
            fresh = set(
                Message.objects.select_for_update()
                .filter(pk__in=[r.pk for r in user_rows], processed_at__isnull=True)
                .values_list("pk", flat=True)
            )
            if not fresh:
                continue  # another worker finished them while this one embedded
            todo = [item for item in pending[user_id] if item[0].pk in fresh]
            remember_write(
                user=users[user_id],
                cipher=ciphers[user_id],
                pending=todo,
                vectors=[vector_of[id(item)] for item in todo],
                source=Memory.Source.CHAT,
                model_name=model_name,
            )
            Message.objects.filter(pk__in=fresh).update(processed_at=timezone.now())
            done += len(fresh)
            if schedule_compression:
                conversation_ids = {r.conversation_id for r in user_rows if r.pk in fresh}
                for conversation in Conversation.objects.filter(pk__in=conversation_ids):
                    conversation_grew(conversation)  # episodes schedules compression when due
    return done


def messages_unprocessed(*, older_than_s: float, limit: int = 10 * BATCH_SIZE) -> list[int]:
    """Stored, unprocessed, unleased messages older than `older_than_s` (for the sweep)."""
    now = timezone.now()
    return list(
        Message.objects.filter(
            processed_at__isnull=True, created_at__lt=now - timedelta(seconds=older_than_s)
        )
        .exclude(claimed_at__gte=now - timedelta(seconds=settings.MEMORY_CLAIM_LEASE_S))
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )
