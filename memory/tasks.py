"""Thin, idempotent Celery tasks: ids in, a service call, nothing personal in arguments."""

from celery import shared_task
from django.utils import timezone

from accounts.hooks import purgers_run
from memory.companion.reminders import reminders_raise_due
from memory.episodes.tasks import compress_conversation
from memory.ingest.expiry import memories_purge_expired
from memory.ingest.tasks import encode_late_vectors, process_messages, sweep_unprocessed
from memory.ingest.trash import memories_trash_purge
from memory.ingest.write import memories_reembed
from memory.learning.tasks import (
    fade_memories,
    fit_person_policies,
    fit_person_policy,
    prune_retrieval_logs,
)
from memory.privacy.retention import audit_reads_compact
from memory.retrieval.scoring import memories_decay
from memory.retrieval.vector_index import user_vector_index_ensure, user_vector_indexes_sync
from memory.transfer.tasks import build_export, expire_transfers, restore_import

__all__ = [
    "audit_compact",
    "build_export",
    "compress_conversation",
    "decay_strength",
    "encode_late_vectors",
    "ensure_user_vector_index",
    "expire_transfers",
    "fade_memories",
    "fit_person_policies",
    "fit_person_policy",
    "process_messages",
    "prune_retrieval_logs",
    "purge_expired",
    "purge_trash",
    "raise_due_reminders",
    "reembed",
    "restore_import",
    "sweep_unprocessed",
    "sync_user_vector_indexes",
]


@shared_task(name="memory.decay_strength", acks_late=True, time_limit=1800, soft_time_limit=1700)
def decay_strength() -> int:
    return memories_decay()


@shared_task(
    name="memory.ensure_user_vector_index",
    acks_late=True,
    max_retries=3,
    autoretry_for=(OSError,),
    retry_backoff=True,
    time_limit=3600,
    soft_time_limit=3500,
)
def ensure_user_vector_index(user_id: int) -> bool:
    return user_vector_index_ensure(user_id=user_id)


@shared_task(name="memory.sync_user_vector_indexes", time_limit=600, soft_time_limit=540)
def sync_user_vector_indexes() -> int:
    wanted = user_vector_indexes_sync()
    for user_id in wanted:
        ensure_user_vector_index.delay(user_id)
    return len(wanted)


@shared_task(name="memory.reembed", acks_late=True, time_limit=3600, soft_time_limit=3500)
def reembed() -> int:
    return memories_reembed()


@shared_task(name="memory.raise_due_reminders", acks_late=True, time_limit=120, soft_time_limit=100)
def raise_due_reminders() -> int:
    return reminders_raise_due()


@shared_task(name="memory.audit_compact", acks_late=True, time_limit=3600, soft_time_limit=3500)
def audit_compact() -> int:
    return audit_reads_compact()


@shared_task(name="memory.purge_expired", acks_late=True, time_limit=1800, soft_time_limit=1700)
def purge_expired() -> int:
    """Expired memories, then every registered purger's items (sub-agent entries)."""
    now = timezone.now()
    return memories_purge_expired(now=now) + sum(purgers_run(now).values())


@shared_task(name="memory.purge_trash", acks_late=True, time_limit=1800, soft_time_limit=1700)
def purge_trash() -> int:
    """Memories in the trash past MEMORY_TRASH_DAYS, erased for good (idempotent)."""
    return memories_trash_purge()
