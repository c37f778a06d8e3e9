from celery import shared_task
from celery.signals import worker_ready

from macaron.health import broker_prune, heartbeat_record


@shared_task(name="macaron.ping", time_limit=10, soft_time_limit=8)
def ping(nonce: str) -> dict:
    """Round-trip probe used by the staff view of /healthz and the worker tests."""
    import os

    return {"pong": nonce, "worker_pid": os.getpid()}


@shared_task(name="macaron.heartbeat", time_limit=30, soft_time_limit=25)
def heartbeat() -> None:
    """Scheduled by beat every HEARTBEAT_EVERY_S: a worker ran it, so beat, broker and a
    worker are alive. Also prunes consumed rows of the database broker."""
    heartbeat_record(name="worker")
    broker_prune()


@worker_ready.connect
def _worker_ready(**kwargs) -> None:  # infrastructure, not business logic
    heartbeat_record(name="worker")


@shared_task(
    name="macaron.rotate_master_key_if_due", acks_late=True, time_limit=1800, soft_time_limit=1700
)
def rotate_master_key_if_due() -> str | None:
    """Retire the master key after erasures (or finish an interrupted rotation)."""
    from macaron.vault import master_key_rotate_if_due

    rotation = master_key_rotate_if_due()
    return rotation.key_id if rotation else None
