"""The ingestion tasks (registered with Celery through memory.tasks): ids in, never text."""

import logging

from celery import shared_task

from memory.ingest.process import BATCH_SIZE, messages_process, messages_unprocessed

logger = logging.getLogger(__name__)

SWEEP_AFTER_S = 30  # a message still unprocessed this long after it was stored is re-enqueued


@shared_task(
    name="memory.process_messages",
    acks_late=True,
    time_limit=300,
    soft_time_limit=240,
)
def process_messages(message_ids: list[int]) -> int:
    return messages_process(message_ids=message_ids, fill=True)


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
