from celery import shared_task


@shared_task(name="macaron.ping", time_limit=10, soft_time_limit=8)
def ping(nonce: str) -> dict:
    """Round-trip probe used by /healthz and the worker tests: proves a worker took the task."""
    import os

    return {"pong": nonce, "worker_pid": os.getpid()}
