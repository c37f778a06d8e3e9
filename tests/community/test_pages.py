"""The community's pages: what each role sees and may do (anonymous, another person,
collaborator, owner, moderator), import with consent, fork and edit, publishing from a tool
with the privacy check, upgrade and rollback from the tool page."""

import pytest
from django.urls import reverse

from community import selectors, services
from community.models import Blueprint, Import, Rating, Report
from community.permissions import moderators_group
from subagents.models import Entry
from subagents.selectors import installation_spec
from subagents.services import entry_create, installation_create
from tests.community.factories import blueprint_factory, spec_factory
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

ROLES = ("anonymous", "other", "collaborator", "owner", "moderator")


@pytest.fixture
def people():
    owner = UserFactory()
    collaborator = UserFactory()
    moderator = UserFactory()
    moderator.groups.add(moderators_group())
    return {
        "owner": owner,
        "collaborator": collaborator,
        "other": UserFactory(),
        "moderator": moderator,
    }


@pytest.fixture
def world(people):
    public = blueprint_factory(author=people["owner"], title="Water")
    private = blueprint_factory(author=people["owner"], title="Secret", visibility="private")
    unlisted = blueprint_factory(author=people["owner"], title="Linkonly", visibility="unlisted")
    for blueprint in (public, private, unlisted):
        services.collaborator_invite(
            user=people["owner"], blueprint=blueprint, email=people["collaborator"].email
        )
    return {"public": public, "private": private, "unlisted": unlisted}


def as_role(client, people, role):
    if role != "anonymous":
        client.force_login(people[role])
    return client


def status(client, people, role, method, url, data=None):
    client = as_role(client, people, role)
    response = getattr(client, method)(url, data or {})
    client.logout()
    return response.status_code


def url(name, blueprint):
    return reverse(name, kwargs={"slug": blueprint.slug})


# page name → (method, blueprint, expected status per role)
MATRIX = [
    ("community-blueprint", "get", "public", (200, 200, 200, 200, 200)),
    ("community-blueprint", "get", "unlisted", (200, 200, 200, 200, 200)),
    ("community-blueprint", "get", "private", (404, 404, 200, 200, 200)),
    ("community-tree", "get", "public", (200, 200, 200, 200, 200)),
    ("community-tree", "get", "private", (404, 404, 200, 200, 200)),
    ("community-edit", "get", "public", (302, 403, 200, 200, 403)),
    ("community-edit", "get", "private", (302, 404, 200, 200, 403)),
    ("community-version-new", "get", "public", (302, 403, 200, 200, 403)),
    ("community-collaborators", "get", "public", (302, 403, 403, 200, 403)),
    ("community-unpublish", "post", "public", (302, 403, 403, 302, 403)),
    ("community-hide", "post", "public", (302, 403, 403, 403, 302)),
]


@pytest.mark.parametrize(("name", "method", "which", "expected"), MATRIX)
def test_page_permission_matrix(client, people, world, name, method, which, expected):
    got = tuple(status(client, people, role, method, url(name, world[which])) for role in ROLES)
    assert got == expected


def test_listing_and_moderation_pages_per_role(client, people, world):
    assert [status(client, people, r, "get", reverse("community")) for r in ROLES] == [200] * 5
    assert [status(client, people, r, "get", reverse("community-moderation")) for r in ROLES] == [
        302, 403, 403, 403, 200,
    ]  # fmt: skip
    page = client.get(reverse("community"), {"tab": "new"}).content.decode()
    assert "Water" in page and "Linkonly" not in page and "Secret" not in page


def test_a_collaborator_publishes_a_version_and_only_the_owner_manages_collaborators(
    client, people, world
):
    blueprint = world["public"]
    client.force_login(people["collaborator"])
    spec = spec_factory(name="Water v2")
    response = client.post(
        url("community-version-new", blueprint),
        {"version": "1.1.0", "spec": __import__("json").dumps(spec), "changelog": "rename"},
    )
    assert response.status_code == 302
    assert selectors.blueprint_versions(blueprint=blueprint).first().version == "1.1.0"
    client.force_login(people["other"])
    response = client.post(
        url("community-version-new", blueprint),
        {"version": "1.2.0", "spec": __import__("json").dumps(spec)},
    )
    assert response.status_code == 403
    assert selectors.blueprint_versions(blueprint=blueprint).first().version == "1.1.0"


def test_import_asks_consent_per_domain_and_the_copy_reads_only_those(client, people, world):
    spec = spec_factory(domains=["health", "food"])
    spec["memory"]["reads"] = ["health", "food"]
    blueprint = blueprint_factory(author=people["owner"], spec=spec, title="Meals")
    client.force_login(people["other"])
    page = client.get(url("community-blueprint", blueprint)).content.decode()
    assert 'name="domains" value="health"' in page and 'name="domains" value="food"' in page
    response = client.post(url("community-import", blueprint), {"domains": ["food"]})
    record = Import.objects.get(user=people["other"], blueprint=blueprint)
    assert response.status_code == 302
    assert response["Location"] == reverse("tool", args=[record.installation_id])
    assert record.consented_domains == ["food"]
    assert installation_spec(record.installation)["memory"]["reads"] == ["food"]
    # a domain the spec does not ask for is refused, nothing installed
    before = Import.objects.count()
    client.force_login(people["collaborator"])
    client.post(url("community-import", blueprint), {"domains": ["finance"]})
    assert Import.objects.count() == before


def test_fork_then_edit_the_spec_shows_errors_by_path_and_the_diff(client, people, world):
    client.force_login(people["other"])
    response = client.post(url("community-fork", world["public"]))
    fork = Blueprint.objects.get(parent=world["public"], author=people["other"])
    assert response["Location"] == url("community-edit", fork)
    bad = spec_factory()
    bad["fields"][0]["type"] = "weird"
    response = client.post(
        url("community-edit", fork),
        {"action": "spec", "spec-spec": __import__("json").dumps(bad)},
    )
    assert response.status_code == 400
    assert "$.fields[0].type" in response.content.decode()
    assert fork.versions.count() == 1
    good = spec_factory(name="Water, my way")
    response = client.post(
        url("community-edit", fork),
        {"action": "spec", "spec-spec": __import__("json").dumps(good), "spec-changelog": "mine"},
    )
    assert response.status_code == 302
    assert fork.versions.count() == 2
    page = client.get(url("community-edit", fork)).content.decode()
    assert "Water, my way" in page and "Name:" in page


def test_share_a_tool_requires_confirming_privacy_findings(client, people):
    person = people["other"]
    spec = spec_factory(persona=f"Write to {person.email} when I drink")
    installation = installation_create(user=person, spec=spec, source="builder")
    client.force_login(person)
    form = {
        "title": "Mine", "description": "", "tags": "health", "language": "en",
        "category": "", "cover_color": "#3b82f6", "cover_icon": "💧", "visibility": "public",
        "spec": __import__("json").dumps(spec),
    }  # fmt: skip
    response = client.post(reverse("community-publish", args=[installation.id]), form)
    assert response.status_code == 400
    assert "This looks personal" in response.content.decode()
    assert not Blueprint.objects.filter(author=person).exists()
    response = client.post(
        reverse("community-publish", args=[installation.id]), form | {"confirmed": "on"}
    )
    assert response.status_code == 302
    assert Blueprint.objects.filter(author=person, title="Mine").count() == 1
    # someone else's tool cannot be shared
    client.force_login(people["owner"])
    assert client.get(reverse("community-publish", args=[installation.id])).status_code == 404


def test_tool_page_offers_the_upgrade_and_entries_survive_upgrade_and_rollback(client, people):
    blueprint = blueprint_factory(author=people["owner"])
    person = people["other"]
    record = services.blueprint_import(user=person, blueprint=blueprint)
    entry = entry_create(user=person, installation_id=record.installation_id, values={"amount": 4})
    new = spec_factory()
    new["fields"][0]["key"] = "glasses"
    new["goals"][0]["field"] = "glasses"
    new["views"] = [{"type": "bar", "field": "glasses", "period": "week"}]
    new["memory"]["writes"] = []
    services.blueprint_version_publish(
        user=people["owner"], blueprint=blueprint, version="1.1.0", spec=new, changelog="renamed"
    )
    client.force_login(person)
    page = client.get(reverse("tool", args=[record.installation_id])).content.decode()
    assert "A new version is available: 1.1.0" in page and "renamed" in page
    assert (
        client.post(reverse("community-upgrade", args=[record.installation_id])).status_code == 302
    )
    record.refresh_from_db()
    assert record.version.version == "1.1.0"
    from tests.subagents.test_upgrade import stored

    assert stored(entry.id, person) == {"glasses": 4}
    page = client.get(reverse("tool", args=[record.installation_id])).content.decode()
    assert "A new version is available" not in page and "rollback-button" in page
    client.post(reverse("community-rollback", args=[record.installation_id]))
    record.refresh_from_db()
    assert record.version.version == "1.0.0"
    assert stored(entry.id, person) == {"amount": 4}
    assert Entry.objects.filter(installation_id=record.installation_id).count() == 1
    # another person cannot upgrade it
    client.force_login(people["owner"])
    assert (
        client.post(reverse("community-upgrade", args=[record.installation_id])).status_code == 404
    )


def test_rate_report_and_moderate_from_the_pages(client, people, world):
    blueprint = world["public"]
    client.force_login(people["other"])
    client.post(url("community-rate", blueprint), {"value": 4, "comment": "nice"})
    client.post(url("community-rate", blueprint), {"value": 2, "comment": "meh"})
    assert list(Rating.objects.filter(blueprint=blueprint).values_list("value", flat=True)) == [2]
    client.post(url("community-report", blueprint), {"reason": "spam", "note": "ads inside"})
    report = Report.objects.get(blueprint=blueprint)
    client.force_login(people["moderator"])
    page = client.get(reverse("community-moderation")).content.decode()
    assert "ads inside" in page
    client.post(reverse("community-moderation"), {"report": report.id, "action": "hidden"})
    blueprint.refresh_from_db()
    assert blueprint.hidden
    client.logout()
    assert client.get(url("community-blueprint", blueprint)).status_code == 404


def test_community_pages_speak_japanese(client, people, world):
    client.force_login(UserFactory(preferred_language="ja"))
    home = client.get(reverse("community")).content.decode()
    assert ">コミュニティ</a>" in home and "ひとことからおすすめ" in home and "トレンド" in home
    page = client.get(url("community-blueprint", world["public"])).content.decode()
    assert "プレビュー" in page and "フォーク" in page and "Preview" not in page
    tree = client.get(url("community-tree", world["public"])).content.decode()
    assert "この系統には1個のブループリントがあります。" in tree


def test_sharing_an_imported_tool_publishes_a_fork_of_its_blueprint(client, people, world):
    person = people["other"]
    record = services.blueprint_import(user=person, blueprint=world["public"])
    client.force_login(person)
    form = {
        "title": "Water, adapted", "description": "", "tags": "", "language": "en",
        "category": "", "cover_color": "#3b82f6", "cover_icon": "", "visibility": "public",
        "spec": __import__("json").dumps(spec_factory(name="Water, adapted")), "confirmed": "on",
    }  # fmt: skip
    response = client.post(reverse("community-publish", args=[record.installation_id]), form)
    shared = Blueprint.objects.get(author=person)
    assert response.status_code == 302
    assert shared.parent_id == world["public"].id and shared.root_id == world["public"].id


def test_the_edit_page_changes_the_spec_in_words(client, people, world):
    client.force_login(people["collaborator"])
    response = client.post(
        url("community-edit", world["public"]), {"action": "revise", "revise-instruction": "use ml"}
    )
    html = response.content.decode()
    assert response.status_code == 200 and "Proposed changes" in html
    assert "&quot;ml&quot;" in html  # the revised spec waits in the editor, not yet saved
    assert world["public"].versions.count() == 1
    response = client.post(
        url("community-edit", world["public"]),
        {"action": "revise", "revise-instruction": "qwzx"},
    )
    assert response.status_code == 400 and world["public"].versions.count() == 1
