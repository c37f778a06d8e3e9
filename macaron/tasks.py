from celery import shared_task


@shared_task(name="macaron.ping", time_limit=10, soft_time_limit=8)
def ping(nonce: str) -> dict:
    """Round-trip probe used by /healthz and the worker tests: proves a worker took the task."""
    import os

    return {"pong": nonce, "worker_pid": os.getpid()}


@shared_task(
    name="macaron.rotate_master_key_if_due", acks_late=True, time_limit=1800, soft_time_limit=1700
)
def rotate_master_key_if_due() -> str | None:
    """Retire the master key after erasures (or finish an interrupted rotation)."""
    from macaron.vault import master_key_rotate_if_due

    rotation = master_key_rotate_if_due()
    return rotation.key_id if rotation else None
