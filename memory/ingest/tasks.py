"""The ingestion tasks (registered with Celery through memory.tasks): ids in, never text."""

import logging

from celery import shared_task

from memory.ingest.late import memories_late_encode
from memory.ingest.process import BATCH_SIZE, messages_process, messages_unprocessed
from memory.models import Message

logger = logging.getLogger(__name__)

SWEEP_AFTER_S = 30  # a message still unprocessed this long after it was stored is re-enqueued


@shared_task(
    name="memory.process_messages",
    acks_late=True,
    time_limit=300,
    soft_time_limit=240,
)
def process_messages(message_ids: list[int]) -> int:
    done = messages_process(message_ids=message_ids, fill=True)
    if done:
        people = Message.objects.filter(pk__in=message_ids).values_list("user_id", flat=True)
        for user_id in set(people):
            encode_late_vectors.apply_async(args=[user_id], retry=False)
    return done


@shared_task(name="memory.encode_late_vectors", acks_late=True, time_limit=900, soft_time_limit=840)
def encode_late_vectors(user_id: int | None = None) -> int:
    """Token vectors for the second stage: a person's new memories right after they are
    written, and (with no person, from beat) whatever an import, an edit or a lost task left."""
    return memories_late_encode(user_id=user_id)


@shared_task(name="memory.sweep_unprocessed", time_limit=120, soft_time_limit=100)
def sweep_unprocessed() -> int:
    """Re-enqueue what a dead worker or a lost broker message left unprocessed."""
    ids = messages_unprocessed(older_than_s=SWEEP_AFTER_S)
    for start in range(0, len(ids), BATCH_SIZE):
        process_messages.delay(ids[start : start + BATCH_SIZE])
    return len(ids)


def processing_enqueue(message_ids: list[int]) -> None:
    """Ask a worker to process these messages; when the broker is down the messages wait,
    stored, for the sweep (the send never fails because of the broker)."""
    try:
        process_messages.apply_async(args=[message_ids], retry=False)
    except Exception:  # kombu raises transport-specific errors; all mean "broker down"
        logger.warning("broker unavailable: %d message(s) left for the sweep", len(message_ids))
