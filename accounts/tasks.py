"""Thin, idempotent Celery tasks of accounts."""

from celery import shared_task

from accounts.erasure import erasures_due_execute


@shared_task(
    name="accounts.erase_due_accounts", acks_late=True, time_limit=1800, soft_time_limit=1700
)
def erase_due_accounts() -> int:
    """Erase every account whose deletion grace period has passed (state in ErasureRequest)."""
    return erasures_due_execute()
