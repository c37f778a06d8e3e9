"""The beat jobs run on a real Celery worker against the test database."""

from datetime import UTC, datetime

import pytest

from community import services
from community.models import DailyUsage, Score
from community.tasks import aggregate_usage, recompute_scores
from tests.community.factories import blueprint_factory
from tests.factories import UserFactory


@pytest.mark.django_db(transaction=True)
def test_aggregation_and_scoring_jobs_on_a_real_worker(celery_worker):
    blueprint = blueprint_factory()
    readers = [UserFactory() for _ in range(3)]
    at = datetime.now(UTC)
    day = at.date().isoformat()
    for reader in readers:
        services.usage_record(user_id=reader.id, blueprint_id=blueprint.id, kind="open", at=at)
    assert aggregate_usage.delay(day).get(timeout=120) == 1
    assert recompute_scores.delay(day).get(timeout=120) == 1
    assert recompute_scores.delay(day).get(timeout=120) == 1  # idempotent
    usage = DailyUsage.objects.get(blueprint=blueprint)
    assert (usage.unique_users, usage.weighted_users) == (3, pytest.approx(3 / 7))
    score = Score.objects.get(blueprint=blueprint)
    assert score.day.isoformat() == day and score.trending > 0
