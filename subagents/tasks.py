"""Thin, idempotent Celery tasks of the sub-agent runtime."""

from celery import shared_task

from subagents.reminders import reminders_raise_due


@shared_task(
    name="subagents.raise_due_reminders", acks_late=True, time_limit=300, soft_time_limit=240
)
def raise_due_reminders() -> int:
    return reminders_raise_due()
