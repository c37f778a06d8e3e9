"""The community REST API: owner / other person / anonymous, and clear 4xx on bad input."""

from datetime import UTC, datetime

import pytest
from rest_framework.test import APIClient

from community import services
from community.models import Blueprint, BlueprintVersion, Import, Rating, Report
from memory.services import memory_create
from tests.community.factories import blueprint_factory, spec_factory
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
BASE = "/api/v1/community/blueprints/"


def client_for(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


@pytest.fixture
def owner():
    return UserFactory()


@pytest.fixture
def other():
    return UserFactory()


def publish_body(**changes):
    body = {
        "title": "Hydration log",
        "description": "Drink water all day.",
        "tags": ["health"],
        "spec": spec_factory(),
    }
    body.update(changes)
    return body


def test_publish_then_everyone_reads_it(owner, other):
    response = client_for(owner).post(BASE, publish_body(), format="json")
    assert response.status_code == 201, response.json()
    slug = response.json()["slug"]
    for client in (client_for(owner), client_for(other), client_for()):
        detail = client.get(f"{BASE}{slug}/")
        assert detail.status_code == 200
        body = detail.json()
        assert body["title"] == "Hydration log" and body["latest_version"] == "1.0.0"
        assert body["stats"] == {
            "imports": 0,
            "active_users_7d": 0,
            "rating": None,
            "ratings": 0,
            "forks": 0,
        }
        assert client.get(f"{BASE}{slug}/versions/").json()["results"][0]["version"] == "1.0.0"
        assert client.get(f"{BASE}{slug}/lineage/").json()["nodes"][0]["current"] is True


def test_anonymous_cannot_write(owner):
    blueprint = blueprint_factory(author=owner)
    anonymous = client_for()
    assert anonymous.post(BASE, publish_body(), format="json").status_code == 401
    for suffix, method in (
        ("fork/", "post"),
        ("import/", "post"),
        ("rating/", "put"),
        ("reports/", "post"),
        ("versions/", "post"),
    ):
        response = getattr(anonymous, method)(f"{BASE}{blueprint.slug}/{suffix}", {}, format="json")
        assert response.status_code == 401, suffix
    assert Blueprint.objects.count() == 1


def test_private_blueprints_are_only_the_authors(owner, other):
    private = blueprint_factory(author=owner, visibility="private")
    for client in (client_for(other), client_for()):
        for suffix in ("", "lineage/", "versions/"):
            response = client.get(f"{BASE}{private.slug}/{suffix}")
            assert response.status_code == 404
            assert response.json()["error"]["code"] == "not_found"
    assert (
        client_for(other).post(f"{BASE}{private.slug}/fork/", {}, format="json").status_code == 404
    )
    assert (
        client_for(other).post(f"{BASE}{private.slug}/import/", {}, format="json").status_code
        == 404
    )
    assert client_for(owner).get(f"{BASE}{private.slug}/").status_code == 200
    assert private.slug not in [
        item["slug"] for item in client_for(other).get(BASE).json()["results"]
    ]


def test_unlisted_is_reachable_by_link_but_not_listed(owner, other):
    unlisted = blueprint_factory(author=owner, visibility="unlisted", title="Secret garden")
    assert client_for(other).get(f"{BASE}{unlisted.slug}/").status_code == 200
    assert client_for(other).get(BASE, {"sort": "new"}).json()["results"] == []
    assert client_for(other).get(BASE, {"q": "garden"}).json()["results"] == []


def test_only_the_author_publishes_versions(owner, other):
    blueprint = blueprint_factory(author=owner)
    body = {"version": "1.1.0", "spec": spec_factory(name="Hydration v2"), "changelog": "renamed"}
    refused = client_for(other).post(f"{BASE}{blueprint.slug}/versions/", body, format="json")
    assert refused.status_code == 403
    assert (
        client_for(owner).post(f"{BASE}{blueprint.slug}/versions/", body, format="json").status_code
        == 201
    )
    again = client_for(owner).post(f"{BASE}{blueprint.slug}/versions/", body, format="json")
    assert again.status_code == 400 and again.json()["error"]["code"] == "version_not_increasing"
    assert BlueprintVersion.objects.filter(blueprint=blueprint).count() == 2


def test_fork_import_rate_report(owner, other):
    blueprint = blueprint_factory(author=owner)
    fork = client_for(other).post(
        f"{BASE}{blueprint.slug}/fork/",
        {"spec": spec_factory(name="Tea log"), "title": "Tea"},
        format="json",
    )
    assert fork.status_code == 201
    assert fork.json()["parent"] == blueprint.slug
    assert fork.json()["parent_diff"]["changed"] == [".name"]
    imported = client_for(other).post(
        f"{BASE}{blueprint.slug}/import/", {"version": "1.0.0"}, format="json"
    )
    assert imported.status_code == 201 and imported.json()["version"] == "1.0.0"
    twice = client_for(other).post(f"{BASE}{blueprint.slug}/import/", {}, format="json")
    assert twice.status_code == 409
    missing = client_for(owner).post(
        f"{BASE}{blueprint.slug}/import/", {"version": "9.9.9"}, format="json"
    )
    assert missing.status_code == 404
    assert (
        client_for(other)
        .put(f"{BASE}{blueprint.slug}/rating/", {"value": 4}, format="json")
        .json()["value"]
        == 4
    )
    assert (
        client_for(other)
        .put(f"{BASE}{blueprint.slug}/rating/", {"value": 2}, format="json")
        .status_code
        == 200
    )
    assert Rating.objects.get(blueprint=blueprint).value == 2
    report = client_for(other).post(
        f"{BASE}{blueprint.slug}/reports/", {"reason": "spam"}, format="json"
    )
    assert report.status_code == 201 and report.json()["state"] == "open"
    lineage = client_for().get(f"{BASE}{blueprint.slug}/lineage/").json()
    assert [node["parent"] for node in lineage["nodes"]] == [None, blueprint.id]
    assert lineage["nodes"][0]["imports"] == 1 and lineage["nodes"][0]["ratings"] == 2 - 1


@pytest.mark.parametrize(
    ("path", "method", "body", "status", "field"),
    [
        ("", "post", {"title": "x"}, 400, "spec"),
        ("", "post", {"spec": {}, "title": "x", "surprise": 1}, 400, "surprise"),
        ("", "post", {"spec": {"fields": []}, "title": "x"}, 400, "spec"),
        ("", "post", {"spec": "SPEC", "title": "x" * 81}, 413, "title"),
        ("rating/", "put", {"value": 6}, 400, "value"),
        ("rating/", "put", {"value": "many"}, 400, "value"),
        ("reports/", "post", {"reason": "dislike"}, 400, "reason"),
        ("versions/", "post", {"version": "two", "spec": "SPEC"}, 400, "version"),
    ],
)
def test_bad_input_is_a_clear_4xx_and_changes_nothing(
    owner, other, path, method, body, status, field
):
    blueprint = blueprint_factory(author=owner)
    body = {key: (spec_factory() if value == "SPEC" else value) for key, value in body.items()}
    user = owner if path in ("", "versions/") else other
    url = BASE if path == "" else f"{BASE}{blueprint.slug}/{path}"
    before = (
        Blueprint.objects.count(),
        BlueprintVersion.objects.count(),
        Rating.objects.count(),
        Report.objects.count(),
    )
    response = getattr(client_for(user), method)(url, body, format="json")
    assert response.status_code == status, response.json()
    error = response.json()["error"]
    assert error["message"] and field in error["fields"]
    after = (
        Blueprint.objects.count(),
        BlueprintVersion.objects.count(),
        Rating.objects.count(),
        Report.objects.count(),
    )
    assert after == before


def test_publish_asks_to_confirm_personal_data(owner):
    memory_create(user=owner, text="My neighbour Thessaly Brandvold walks her dog at six.")
    body = publish_body(spec=spec_factory(persona="Like Thessaly, a brisk walker."))
    refused = client_for(owner).post(BASE, body, format="json")
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "privacy_confirmation_required"
    assert refused.json()["error"]["fields"]["findings"][0]["text"] == "thessaly"
    assert Blueprint.objects.count() == 0
    assert (
        client_for(owner).post(BASE, {**body, "confirmed": True}, format="json").status_code == 201
    )


def test_search_and_recommendations_find_published_blueprints(owner, other):
    bed = blueprint_factory(
        author=owner,
        title="Lazy Sunday",
        description="Celebrate staying in bed all day, resting and sleeping in without guilt.",
        tags=("rest", "sleep"),
    )
    blueprint_factory(
        author=owner,
        title="Marathon plan",
        description="Run long distances every week.",
        tags=("running",),
    )
    text = client_for().get(BASE, {"q": "sunday"}).json()["results"]
    assert text[0]["slug"] == bed.slug
    wish = (
        client_for(other)
        .get(
            "/api/v1/community/recommendations/",
            {"sentence": "I want to be someone who stays in bed all day"},
        )
        .json()["results"]
    )
    assert wish[0]["slug"] == bed.slug
    assert client_for().get("/api/v1/community/recommendations/").status_code == 400


def test_listing_follows_the_stored_scores_and_explains_them(owner, other):
    quiet = blueprint_factory(author=owner, title="Quiet")
    busy = blueprint_factory(author=owner, title="Busy")
    now = datetime.now(UTC)
    for person in [other, UserFactory(), UserFactory()]:
        services.usage_record(user_id=person.id, blueprint_id=busy.id, kind="open", at=now)
    services.usage_record(user_id=other.id, blueprint_id=quiet.id, kind="open", at=now)
    services.usage_aggregate_pending(today=now.date())
    services.scores_compute(day=now.date())
    listed = client_for().get(BASE, {"sort": "trending"}).json()["results"]
    assert [item["slug"] for item in listed] == [busy.slug, quiet.slug]
    why = client_for().get(f"{BASE}{busy.slug}/").json()["why"]
    assert why["components"]["rank"] == 0 and why["trending"] > 0
    assert client_for().get(BASE, {"sort": "sideways"}).status_code == 400
    assert Import.objects.count() == 0


def test_only_the_author_unpublishes_and_the_node_stays_removed(owner, other):
    blueprint = blueprint_factory(author=owner)
    fork = services.blueprint_fork(user=other, blueprint=blueprint)
    assert client_for().delete(f"{BASE}{blueprint.slug}/").status_code == 401
    assert client_for(other).delete(f"{BASE}{blueprint.slug}/").status_code == 403
    assert client_for(owner).delete(f"{BASE}{blueprint.slug}/").status_code == 204
    lineage = client_for().get(f"{BASE}{fork.slug}/lineage/").json()
    assert [(node["status"], node["title"]) for node in lineage["nodes"]] == [
        ("removed", None),
        ("active", fork.title),
    ]
    assert client_for().get(BASE, {"sort": "new"}).json()["results"][0]["slug"] == fork.slug


def test_moderation_endpoints_are_for_moderators_only(owner, other):
    moderator = UserFactory(is_staff=True)
    blueprint = blueprint_factory(author=owner)
    report = services.report_create(user=other, blueprint=blueprint, reason="harmful", note="x")
    for client, code in (
        (client_for(), (401,)),
        (client_for(other), (403,)),
        (client_for(owner), (403,)),
    ):
        assert client.get("/api/v1/community/reports/").status_code in code
        resolve = client.post(
            f"/api/v1/community/reports/{report.id}/resolve/",
            {"resolution": "hidden"},
            format="json",
        )
        assert resolve.status_code in code
        assert client.post(f"{BASE}{blueprint.slug}/hide/", {}, format="json").status_code in code
    assert Report.objects.get().state == "open" and not Blueprint.objects.get().hidden
    queue = client_for(moderator).get("/api/v1/community/reports/").json()["results"]
    assert [(item["id"], item["reason"]) for item in queue] == [(report.id, "harmful")]
    bad = client_for(moderator).post(
        f"/api/v1/community/reports/{report.id}/resolve/", {"resolution": "ban"}, format="json"
    )
    assert bad.status_code == 400
    done = client_for(moderator).post(
        f"/api/v1/community/reports/{report.id}/resolve/",
        {"resolution": "suspended"},
        format="json",
    )
    assert done.status_code == 200 and done.json()["state"] == "resolved"
    owner.refresh_from_db()
    assert owner.is_active is False and Blueprint.objects.get().hidden
    assert client_for(other).get(f"{BASE}{blueprint.slug}/").status_code == 404
    assert client_for(moderator).get(f"{BASE}{blueprint.slug}/").status_code == 200
    assert (
        client_for(moderator)
        .post("/api/v1/community/reports/999999/resolve/", {"resolution": "hidden"}, format="json")
        .status_code
        == 404
    )


def test_the_listing_carries_stats_in_a_fixed_number_of_queries(
    owner, other, django_assert_max_num_queries
):
    blueprints = [blueprint_factory(title=f"Tool {index}") for index in range(12)]
    for blueprint in blueprints[:4]:
        services.blueprint_import(user=other, blueprint=blueprint)
        services.rating_set(user=other, blueprint=blueprint, value=4)
    with django_assert_max_num_queries(8):
        results = client_for().get(BASE, {"sort": "new"}).json()["results"]
    assert len(results) == 12
    by_slug = {item["slug"]: item["stats"] for item in results}
    assert by_slug[blueprints[0].slug] == {
        "imports": 1,
        "active_users_7d": 0,
        "rating": 4.0,
        "ratings": 1,
        "forks": 0,
    }
    assert by_slug[blueprints[11].slug]["imports"] == 0


def test_recommendations_from_my_memory_domains(owner, other):
    running = blueprint_factory(title="Run club", spec=spec_factory(domains=["fitness"]))
    water = blueprint_factory(title="Water", spec=spec_factory(domains=["health"]))
    blueprint_factory(author=other, title="Mine", spec=spec_factory(domains=["fitness"]))
    blueprint_factory(title="Money", spec=spec_factory(domains=["finance"]))
    for text in (
        "I went running before work.",
        "Marathon training: 12 km run today.",
        "I slept badly.",
    ):
        memory_create(user=other, text=text)
    assert client_for().get("/api/v1/community/recommendations/for-me/").status_code == 401
    results = client_for(other).get("/api/v1/community/recommendations/for-me/").json()["results"]
    assert [item["slug"] for item in results] == [running.slug, water.slug]
    assert (
        client_for(owner).get("/api/v1/community/recommendations/for-me/").json()["results"] == []
    )
