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
