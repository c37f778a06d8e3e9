"""Thin, idempotent Celery tasks: ids in, a service call, nothing personal in arguments."""

from celery import shared_task

from memory.episodes import conversation_compress
from memory.services import memories_decay


@shared_task(
    name="memory.compress_conversation",
    acks_late=True,
    max_retries=3,
    autoretry_for=(OSError,),
    retry_backoff=True,
    time_limit=300,
    soft_time_limit=240,
)
def compress_conversation(conversation_id: int) -> int:
    return conversation_compress(conversation_id=conversation_id)


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
    from memory.vector_index import user_vector_index_ensure

    return user_vector_index_ensure(user_id=user_id)


@shared_task(name="memory.sync_user_vector_indexes", time_limit=600, soft_time_limit=540)
def sync_user_vector_indexes() -> int:
    from memory.vector_index import user_vector_indexes_sync

    wanted = user_vector_indexes_sync()
    for user_id in wanted:
        ensure_user_vector_index.delay(user_id)
    return len(wanted)


@shared_task(name="memory.reembed", acks_late=True, time_limit=3600, soft_time_limit=3500)
def reembed() -> int:
    from memory.services import memories_reembed

    return memories_reembed()


@shared_task(name="memory.raise_due_reminders", acks_late=True, time_limit=120, soft_time_limit=100)
def raise_due_reminders() -> int:
    from memory.reminders import reminders_raise_due

    return reminders_raise_due()
