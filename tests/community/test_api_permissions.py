"""Every community API endpoint for every role: anonymous, another person, a collaborator, the
owner and a moderator, on a public and on a private blueprint."""

import pytest
from rest_framework.test import APIClient

from community import services
from community.models import Blueprint
from community.permissions import moderators_group
from tests.community.factories import blueprint_factory, spec_factory
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
BASE = "/api/v1/community/"
ROLES = ("anonymous", "other", "collaborator", "owner", "moderator")


@pytest.fixture
def people():
    moderator = UserFactory()
    moderator.groups.add(moderators_group())
    return {
        "owner": UserFactory(),
        "collaborator": UserFactory(),
        "other": UserFactory(),
        "moderator": moderator,
    }


def client_for(people, role) -> APIClient:
    client = APIClient()
    if role != "anonymous":
        client.force_authenticate(people[role])
    return client


def blueprint_for(people, visibility: str) -> Blueprint:
    blueprint = blueprint_factory(author=people["owner"], visibility=visibility)
    services.collaborator_invite(
        user=people["owner"], blueprint=blueprint, email=people["collaborator"].email
    )
    return blueprint


def codes(people, visibility, method, path, body=None) -> tuple:
    """Status per role, each on a fresh blueprint (so one role's change doesn't affect the next)."""
    out = []
    for number, role in enumerate(ROLES):
        blueprint = blueprint_for(people, visibility)
        body_now = body(number) if callable(body) else body
        url = BASE + path.format(slug=blueprint.slug)
        response = getattr(client_for(people, role), method)(url, body_now, format="json")
        out.append(response.status_code)
    return tuple(out)


A = 401  # an anonymous caller: DRF answers 401 with WWW-Authenticate: Bearer

MATRIX = [
    ("public", "get", "blueprints/{slug}/", None, (200, 200, 200, 200, 200)),
    ("private", "get", "blueprints/{slug}/", None, (404, 404, 200, 200, 200)),
    ("unlisted", "get", "blueprints/{slug}/", None, (200, 200, 200, 200, 200)),
    ("public", "delete", "blueprints/{slug}/", None, (A, 403, 403, 204, 403)),
    ("private", "get", "blueprints/{slug}/lineage/", None, (404, 404, 200, 200, 200)),
    ("private", "get", "blueprints/{slug}/versions/", None, (404, 404, 200, 200, 200)),
    (
        "public",
        "post",
        "blueprints/{slug}/versions/",
        lambda n: {"version": "1.1.0", "spec": spec_factory(name="v2"), "confirmed": True},
        (A, 403, 201, 201, 403),
    ),
    ("public", "post", "blueprints/{slug}/fork/", {}, (A, 201, 201, 201, 201)),
    ("private", "post", "blueprints/{slug}/fork/", {}, (A, 404, 201, 201, 201)),
    ("public", "post", "blueprints/{slug}/import/", {}, (A, 201, 201, 201, 201)),
    ("private", "post", "blueprints/{slug}/import/", {}, (A, 404, 201, 201, 201)),
    ("public", "put", "blueprints/{slug}/rating/", {"value": 4}, (A, 200, 200, 200, 200)),
    ("private", "put", "blueprints/{slug}/rating/", {"value": 4}, (A, 404, 200, 200, 200)),
    ("public", "post", "blueprints/{slug}/reports/", {"reason": "spam"}, (A, 201, 201, 201, 201)),
    ("public", "post", "blueprints/{slug}/hide/", {}, (A, 403, 403, 403, 200)),
]


@pytest.mark.parametrize(("visibility", "method", "path", "body", "expected"), MATRIX)
def test_api_permission_matrix(people, visibility, method, path, body, expected):
    assert codes(people, visibility, method, path, body) == expected


def test_lists_queues_and_recommendations_per_role(people):
    blueprint_for(people, "private")
    listed = [
        client_for(people, role).get(BASE + "blueprints/?sort=new").json()["results"]
        for role in ROLES
    ]
    assert all(rows == [] for rows in listed)  # a private one is never listed, for anyone
    queue = tuple(client_for(people, r).get(BASE + "reports/").status_code for r in ROLES)
    assert queue == (A, 403, 403, 403, 200)
    mine = tuple(
        client_for(people, r).get(BASE + "recommendations/for-me/").status_code for r in ROLES
    )
    assert mine == (A, 200, 200, 200, 200)


def test_import_consent_through_the_api(people):
    spec = spec_factory(domains=["health", "food"])
    spec["memory"]["reads"] = ["health", "food"]
    blueprint = blueprint_factory(author=people["owner"], spec=spec)
    url = BASE + f"blueprints/{blueprint.slug}/import/"
    refused = client_for(people, "other").post(url, {"allowed_domains": ["work"]}, format="json")
    assert refused.status_code == 400 and "work" in refused.json()["error"]["message"]
    made = client_for(people, "other").post(url, {"allowed_domains": ["food"]}, format="json")
    assert made.status_code == 201 and made.json()["consented_domains"] == ["food"]


def test_upgrade_and_rollback_through_the_api_only_for_the_tool_owner(people):
    blueprint = blueprint_factory(author=people["owner"])
    record = services.blueprint_import(user=people["other"], blueprint=blueprint)
    services.blueprint_version_publish(
        user=people["owner"],
        blueprint=blueprint,
        version="1.1.0",
        spec=spec_factory(name="Water 1.1"),
    )
    upgrade = BASE + f"tools/{record.installation_id}/upgrade/"
    rollback = BASE + f"tools/{record.installation_id}/rollback/"
    got = tuple(client_for(people, r).post(upgrade).status_code for r in ROLES if r != "other")
    assert got == (A, 404, 404, 404)
    made = client_for(people, "other").post(upgrade)
    assert made.status_code == 200 and made.json()["version"] == "1.1.0"
    again = client_for(people, "other").post(upgrade)
    assert again.status_code == 409
    back = client_for(people, "other").post(rollback)
    assert back.status_code == 200 and back.json()["version"] == "1.0.0"
    assert client_for(people, "other").post(rollback).status_code == 409
