"""The compression task (registered with Celery through memory.tasks) and its trigger."""

from celery import shared_task

from memory.episodes.compress import EPISODE_MESSAGES, SHORT_TERM_WINDOW, conversation_compress
from memory.models import Conversation, Message


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


def compression_schedule(conversation: Conversation) -> None:
    """Enqueue compression (after commit) once enough messages wait outside any episode.
    Registered with the write path's `conversation_grew` hook in `MemoryConfig.ready`."""
    pending = Message.objects.filter(conversation=conversation, episode__isnull=True).count()
    if pending >= SHORT_TERM_WINDOW + EPISODE_MESSAGES:
        compress_conversation.delay_on_commit(conversation.id)
