"""Community services against real Postgres: publish (privacy, versions), fork, import, rate,
report, moderation, rate limits, aggregation."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import IntegrityError, transaction

from community import services
from community.models import (
    ActiveDay,
    Blueprint,
    BlueprintVersion,
    DailyUsage,
    Import,
    Rating,
    Report,
    Score,
    UsageEvent,
)
from community.privacy import spec_strip_personal
from macaron.errors import Conflict, DomainError, NotFound, PermissionDenied, RateLimited, TooLarge
from memory.services import memory_create
from subagents.spec import SpecError
from tests.community.factories import blueprint_factory, listing_factory, spec_factory
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
CANARY = "Quillonbrae"


def counts() -> tuple:
    return (
        Blueprint.objects.count(),
        BlueprintVersion.objects.count(),
        Import.objects.count(),
        Rating.objects.count(),
        Report.objects.count(),
    )


def test_publish_stores_only_the_spec_with_generic_reminder_times(user):
    spec = spec_factory()
    spec["reminders"][0]["schedule"]["times"] = ["06:47", "22:13"]
    blueprint = services.blueprint_publish(
        user=user, spec=spec, listing=listing_factory(tags=("Health", "health", "water"))
    )
    version = blueprint.versions.get()
    assert version.version == "1.0.0"
    assert version.spec["reminders"][0]["schedule"] == {
        "kind": "daily",
        "times": ["08:00", "12:00"],
    }
    assert version.spec["fields"] == spec["fields"]
    assert blueprint.root_id == blueprint.id and blueprint.parent_id is None
    assert blueprint.tags == ["health", "water"]
    assert blueprint.embedding is not None and len(blueprint.embedding) == 384


def test_a_memory_canary_never_reaches_a_published_spec_without_confirmation(user):
    memory_create(user=user, text=f"My sister {CANARY} lives in Reykjavik and hates mornings.")
    spec = spec_factory(persona=f"A coach like my sister {CANARY}, cheerful and brief.")
    before = counts()
    with pytest.raises(services.PrivacyConfirmationRequired) as refused:
        services.blueprint_publish(user=user, spec=spec, listing=listing_factory())
    assert counts() == before
    findings = refused.value.fields["findings"]
    assert {"kind": "memory", "text": CANARY.lower(), "path": "$.persona"} == {
        key: findings[0][key] for key in ("kind", "text", "path")
    }
    assert not BlueprintVersion.objects.filter(spec__persona__icontains=CANARY).exists()
    # editing it out publishes without any confirmation
    clean = spec_factory(persona="A cheerful coach who keeps it short.")
    services.blueprint_publish(user=user, spec=clean, listing=listing_factory())
    assert not BlueprintVersion.objects.filter(spec__persona__icontains=CANARY).exists()
    # and the author may knowingly confirm
    services.blueprint_publish(user=user, spec=spec, listing=listing_factory(), confirmed=True)
    assert BlueprintVersion.objects.filter(spec__persona__icontains=CANARY).count() == 1


def test_privacy_check_finds_emails_phones_and_health_phrases(user):
    memory_create(user=user, text="I was diagnosed with celiac disease last spring.")
    spec = spec_factory(
        description="Write to me at someone@example.net or +81 90-1234-5678 about celiac disease."
    )
    with pytest.raises(services.PrivacyConfirmationRequired) as refused:
        services.blueprint_publish(user=user, spec=spec, listing=listing_factory())
    kinds = {finding["kind"] for finding in refused.value.fields["findings"]}
    assert {"email", "phone", "memory"} <= kinds


def test_another_persons_memories_are_not_checked_against_my_spec(user):
    other = UserFactory()
    memory_create(user=other, text=f"My friend {CANARY} runs marathons.")
    spec = spec_factory(persona=f"A coach called {CANARY}.")
    blueprint = services.blueprint_publish(user=user, spec=spec, listing=listing_factory())
    assert blueprint.versions.count() == 1


def test_strip_keeps_the_schedule_shape():
    spec = spec_factory()
    spec["reminders"] = [
        {"schedule": {"kind": "weekly", "times": ["07:31"], "weekdays": [1, 3]}, "message": "Go"}
    ]
    assert spec_strip_personal(spec)["reminders"] == [
        {"schedule": {"kind": "weekly", "times": ["08:00"], "weekdays": [1, 3]}, "message": "Go"}
    ]


@pytest.mark.parametrize(
    ("listing", "error"),
    [
        ({"description": "x" * 2001}, TooLarge),
        ({"title": "x" * 81}, TooLarge),
        ({"title": "  "}, DomainError),
        ({"visibility": "secret"}, DomainError),
        ({"cover_color": "blue"}, DomainError),
        ({"tags": tuple(f"t{i}" for i in range(11))}, DomainError),
    ],
)
def test_bad_listings_are_refused_and_nothing_is_written(user, listing, error):
    before = counts()
    with pytest.raises(error):
        services.blueprint_publish(
            user=user, spec=spec_factory(), listing=listing_factory(**listing)
        )
    assert counts() == before


def test_an_invalid_spec_is_refused(user):
    before = counts()
    with pytest.raises(SpecError):
        services.blueprint_publish(
            user=user, spec=spec_factory(fields=[]), listing=listing_factory()
        )
    assert counts() == before


def test_publishing_someone_elses_subagent_is_refused(user):
    class Installation:
        user_id = UserFactory().id

    before = counts()
    with pytest.raises(PermissionDenied):
        services.blueprint_publish(
            user=user, spec=spec_factory(), listing=listing_factory(), source=Installation()
        )
    assert counts() == before


def test_versions_strictly_increase_and_old_ones_stay_installable(user):
    blueprint = blueprint_factory(author=user)
    services.blueprint_version_publish(
        user=user, blueprint=blueprint, version="1.1.0", spec=spec_factory(name="v2"), changelog="x"
    )
    for bad in ("1.1.0", "1.0.9", "0.9.0", "1.2", "v1.3.0", "01.2.0"):
        with pytest.raises(DomainError):
            services.blueprint_version_publish(
                user=user, blueprint=blueprint, version=bad, spec=spec_factory()
            )
    assert list(blueprint.versions.values_list("version", flat=True)) == ["1.1.0", "1.0.0"]
    other = UserFactory()
    with pytest.raises(PermissionDenied):
        services.blueprint_version_publish(
            user=other, blueprint=blueprint, version="2.0.0", spec=spec_factory()
        )
    old = blueprint.versions.get(version="1.0.0")
    record = services.blueprint_import(user=other, blueprint=blueprint, version=old)
    assert record.version == old


def test_fork_links_parent_and_root_and_measures_the_diff(user):
    root = blueprint_factory()
    child = services.blueprint_fork(user=user, blueprint=root)
    grandchild = services.blueprint_fork(
        user=UserFactory(), blueprint=child, spec=spec_factory(name="Tea log", persona="Calm.")
    )
    assert (child.parent_id, child.root_id, child.depth, child.parent_diff) == (
        root.id,
        root.id,
        1,
        0,
    )
    assert (grandchild.parent_id, grandchild.root_id, grandchild.depth) == (child.id, root.id, 2)
    assert grandchild.parent_diff == 2


def test_forking_someone_elses_private_blueprint_is_refused(user):
    private = blueprint_factory(visibility="private")
    before = counts()
    with pytest.raises(PermissionDenied):
        services.blueprint_fork(user=user, blueprint=private)
    assert counts() == before
    mine = services.blueprint_fork(user=private.author, blueprint=private)
    assert mine.parent_id == private.id


def test_lineage_cycles_are_impossible_in_the_database():
    a = blueprint_factory()
    b = services.blueprint_fork(user=UserFactory(), blueprint=a)
    with pytest.raises(IntegrityError), transaction.atomic():
        Blueprint.objects.filter(pk=a.pk).update(parent=b, depth=2)
    with pytest.raises(IntegrityError), transaction.atomic():
        Blueprint.objects.filter(pk=b.pk).update(parent=b)


def test_unpublished_blueprints_stay_in_the_lineage_as_removed(user):
    root = blueprint_factory(author=user)
    child = services.blueprint_fork(user=UserFactory(), blueprint=root)
    services.blueprint_unpublish(user=user, blueprint=root)
    root.refresh_from_db()
    assert root.is_removed and Blueprint.objects.get(pk=child.pk).parent_id == root.id
    with pytest.raises(Conflict):
        services.blueprint_fork(user=UserFactory(), blueprint=root)
    root.author.delete()
    assert Blueprint.objects.get(pk=root.pk).is_removed


def test_import_pins_a_version_and_self_import_does_not_count(user):
    blueprint = blueprint_factory(author=user)
    own = services.blueprint_import(user=user, blueprint=blueprint)
    other = services.blueprint_import(user=UserFactory(), blueprint=blueprint)
    assert (own.counts, other.counts) == (False, True)
    with pytest.raises(Conflict):
        services.blueprint_import(user=user, blueprint=blueprint)
    assert services.import_uninstall(user=user, blueprint=blueprint) == 1
    assert services.blueprint_import(user=user, blueprint=blueprint).version.version == "1.0.0"
    private = blueprint_factory(visibility="private")
    with pytest.raises(NotFound):
        services.blueprint_import(user=user, blueprint=private)


def test_one_rating_per_person_editable_and_self_rating_never_counts(user):
    blueprint = blueprint_factory()
    services.rating_set(user=user, blueprint=blueprint, value=2, comment="meh")
    services.rating_set(user=user, blueprint=blueprint, value=5)
    rating = Rating.objects.get(user=user, blueprint=blueprint)
    assert (rating.value, rating.counts) == (5, True)
    own = services.rating_set(user=blueprint.author, blueprint=blueprint, value=5)
    assert own.counts is False
    for bad in (0, 6, "5", True):
        with pytest.raises(DomainError):
            services.rating_set(user=user, blueprint=blueprint, value=bad)
    assert Rating.objects.get(user=user, blueprint=blueprint).value == 5


def test_rating_comments_and_report_notes_are_encrypted(user):
    blueprint = blueprint_factory()
    rating = services.rating_set(user=user, blueprint=blueprint, value=4, comment="secret words")
    report = services.report_create(
        user=user, blueprint=blueprint, reason="spam", note="hidden note"
    )
    assert b"secret" not in bytes(Rating.objects.get(pk=rating.pk).comment_ct)
    assert b"hidden" not in bytes(Report.objects.get(pk=report.pk).note_ct)


@pytest.mark.parametrize(
    ("action", "limit"),
    [
        ("import", services.IMPORT_LIMIT),
        ("rate", services.RATING_LIMIT),
        ("report", services.REPORT_LIMIT),
    ],
)
def test_rate_limits(user, action, limit):
    count, window = limit
    blueprints = [blueprint_factory(author=UserFactory()) for _ in range(count + 1)]
    now = datetime(2026, 3, 1, 12, tzinfo=UTC)

    def act(blueprint, at):
        if action == "import":
            services.blueprint_import(user=user, blueprint=blueprint, now=at)
        elif action == "rate":
            services.rating_set(user=user, blueprint=blueprint, value=4, now=at)
        else:
            services.report_create(user=user, blueprint=blueprint, reason="spam", now=at)

    for blueprint in blueprints[:count]:
        act(blueprint, now)
    before = counts()
    with pytest.raises(RateLimited):
        act(blueprints[count], now + timedelta(minutes=1))
    assert counts() == before
    act(blueprints[count], now + window + timedelta(minutes=1))


def test_publishing_is_rate_limited(user):
    now = datetime(2026, 3, 1, 12, tzinfo=UTC)
    for _ in range(services.PUBLISH_LIMIT[0]):
        services.blueprint_publish(
            user=user, spec=spec_factory(), listing=listing_factory(), now=now
        )
    before = counts()
    with pytest.raises(RateLimited):
        services.blueprint_publish(
            user=user, spec=spec_factory(), listing=listing_factory(), now=now
        )
    assert counts() == before


def test_moderators_hide_resolve_and_suspend(user):
    moderator = UserFactory(is_staff=True)
    blueprint = blueprint_factory()
    report = services.report_create(user=user, blueprint=blueprint, reason="harmful")
    with pytest.raises(PermissionDenied):
        services.report_resolve(moderator=user, report=report, resolution="hidden")
    services.report_resolve(moderator=moderator, report=report, resolution="hidden")
    report.refresh_from_db()
    blueprint.refresh_from_db()
    assert (report.state, report.resolved_by_id, blueprint.hidden) == (
        "resolved",
        moderator.id,
        True,
    )
    assert services.author_suspend(moderator=moderator, author=blueprint.author) == 1
    blueprint.author.refresh_from_db()
    assert blueprint.author.is_active is False


def test_aggregation_is_idempotent_dedupes_people_and_excludes_the_author():
    author, reader, casual = UserFactory(), UserFactory(), UserFactory()
    blueprint = blueprint_factory(author=author)
    day = date(2026, 3, 10)
    for offset in range(7):  # the reader is active a whole week; casual only once
        at = datetime(2026, 3, 4 + offset, 9, tzinfo=UTC)
        services.usage_record(user_id=reader.id, blueprint_id=blueprint.id, kind="open", at=at)
    at = datetime(2026, 3, 10, 10, tzinfo=UTC)
    for _ in range(50):
        services.usage_record(user_id=casual.id, blueprint_id=blueprint.id, kind="open", at=at)
        services.usage_record(
            user_id=author.id, blueprint_id=blueprint.id, kind="entry", count=3, at=at
        )
    services.usage_record(
        user_id=reader.id, blueprint_id=blueprint.id, kind="entry", count=2, at=at
    )
    assert services.usage_aggregate_pending(today=day)[-1] == day
    first = DailyUsage.objects.get(blueprint=blueprint, day=day)
    assert (first.unique_users, first.opens, first.entries) == (2, 51, 2)
    assert first.weighted_users == pytest.approx(1 + 1 / 7)
    services.usage_aggregate_day(day=day)
    services.usage_aggregate_pending(today=day)
    again = DailyUsage.objects.get(blueprint=blueprint, day=day)
    assert (again.unique_users, again.weighted_users, again.opens) == (2, first.weighted_users, 51)
    assert (
        ActiveDay.objects.filter(day=day).count() == 3
    )  # the author's own day is kept, not counted
    assert UsageEvent.objects.count() == 108


def test_scores_are_stored_with_their_explanation():
    blueprint = blueprint_factory()
    reader = UserFactory()
    at = datetime.now(UTC)
    services.usage_record(user_id=reader.id, blueprint_id=blueprint.id, kind="open", at=at)
    services.usage_aggregate_pending(today=at.date())
    rows = services.scores_compute(day=at.date())
    services.scores_compute(day=at.date())
    score = Score.objects.get(blueprint=blueprint)
    assert len(rows) == Score.objects.count()
    assert score.trending > 0 and score.components["rank"] == 0
    assert set(score.components) >= {
        "usage",
        "rating",
        "retention",
        "quality",
        "credit",
        "page_position",
    }


def test_usage_from_a_community_installation_is_recorded():
    blueprint = blueprint_factory()
    reader = UserFactory()

    class Installation:
        user_id = reader.id
        source = f"community:{blueprint.slug}@1.0.0"

    services.usage_from_installation(installation=Installation(), kind="entry", count=2)
    Installation.source = "builder"
    services.usage_from_installation(installation=Installation(), kind="entry", count=2)
    assert list(UsageEvent.objects.values_list("user_id", "kind", "count")) == [
        (reader.id, "entry", 2)
    ]


def test_ratings_are_listed_with_decrypted_comments_but_not_the_authors_own(user):
    from community.selectors import ratings_for_blueprint

    blueprint = blueprint_factory()
    services.rating_set(user=user, blueprint=blueprint, value=4, comment="Lovely, simple.")
    services.rating_set(user=blueprint.author, blueprint=blueprint, value=5, comment="Mine!")
    views = ratings_for_blueprint(blueprint=blueprint)
    assert [(view.value, view.comment, view.author) for view in views] == [
        (4, "Lovely, simple.", user.name)
    ]
