"""Thin, idempotent Celery jobs: no arguments but a day, a service call each."""

from datetime import date

from celery import shared_task
from django.utils import timezone

from community.services import scores_compute, usage_aggregate_pending


def _day(day: str | None) -> date:
    return date.fromisoformat(day) if day else timezone.now().date()


@shared_task(name="community.aggregate_usage", acks_late=True, time_limit=900, soft_time_limit=840)
def aggregate_usage(day: str | None = None) -> int:
    """Aggregate every day from the last aggregated one up to `day` (default today)."""
    return len(usage_aggregate_pending(today=_day(day)))


@shared_task(name="community.recompute_scores", acks_late=True, time_limit=900, soft_time_limit=840)
def recompute_scores(day: str | None = None) -> int:
    """Aggregate pending usage, then score every blueprint for `day` (default today)."""
    today = _day(day)
    usage_aggregate_pending(today=today)
    return len(scores_compute(day=today))
