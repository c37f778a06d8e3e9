"""The demo community: alive (dozens of blueprints, forks several levels deep, use over weeks,
scores), and seeding twice changes nothing."""

import pytest
from django.db.models import Max

from community import selectors
from community.models import ActiveDay, Blueprint, Import, Rating, Score, UsageEvent
from community.seed import AUTHORS, community_seed

pytestmark = pytest.mark.django_db


def test_seed_builds_a_living_community_once():
    first = community_seed()
    assert first.created == first.blueprints >= 48
    demo = Blueprint.objects.filter(author__email__startswith="community-author-")
    assert demo.values("author").distinct().count() == len(AUTHORS) == 20
    assert demo.aggregate(depth=Max("depth"))["depth"] >= 3
    assert Import.objects.count() >= 36 and Rating.objects.count() >= 15
    days = ActiveDay.objects.aggregate(first=Max("day"))  # aggregated up to today
    assert days["first"] is not None
    span = (
        UsageEvent.objects.order_by("at").first().at,
        UsageEvent.objects.order_by("-at").first().at,
    )
    assert (span[1] - span[0]).days >= 28
    assert Score.objects.values("day").distinct().count() == 7
    trending = selectors.blueprints_ranked(sort="trending", limit=10)
    assert len(trending) == 10
    assert selectors.blueprint_explanation(blueprint=trending[0])["trending"] > 0
    assert selectors.blueprint_stats(blueprint=trending[0]).imports > 0

    counts = (Blueprint.objects.count(), Import.objects.count(), UsageEvent.objects.count())
    again = community_seed()
    assert again.created == 0 and again.blueprints == first.blueprints
    assert (Blueprint.objects.count(), Import.objects.count(), UsageEvent.objects.count()) == counts
