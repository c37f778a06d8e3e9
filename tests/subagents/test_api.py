"""The sub-agent API: owner-only (anonymous 401, another person 404), clear 4xx refusals
with nothing half-created."""

import json

import pytest
from rest_framework.test import APIClient

from subagents.models import Entry, Installation
from subagents.services import entry_create, installation_create
from tests.factories import UserFactory
from tests.subagents.specs import hydration

pytestmark = pytest.mark.django_db
BASE = "/api/v1/subagents"


@pytest.fixture
def owned(user):
    installation = installation_create(user=user, spec=hydration(), source="builder")
    entry = entry_create(user=user, installation_id=installation.id, values={"amount": 2})
    return installation, entry


def client_for(person) -> APIClient:
    client = APIClient()
    if person is not None:
        client.force_authenticate(person)
    return client


def endpoints(installation_id: int, entry_id: int) -> list[tuple[str, str, dict | None]]:
    i, e = installation_id, entry_id
    return [
        ("get", f"{BASE}/installations/", None),
        ("post", f"{BASE}/installations/", {"spec": hydration(), "source": "builder"}),
        ("get", f"{BASE}/installations/{i}/", None),
        ("patch", f"{BASE}/installations/{i}/settings/", {"paused": True}),
        ("get", f"{BASE}/installations/{i}/views/", None),
        ("get", f"{BASE}/installations/{i}/entries/", None),
        ("post", f"{BASE}/installations/{i}/entries/", {"values": {"amount": 1}}),
        ("get", f"{BASE}/entries/{e}/", None),
        ("patch", f"{BASE}/entries/{e}/", {"values": {"amount": 3}}),
        ("delete", f"{BASE}/entries/{e}/", None),
        ("post", f"{BASE}/installations/{i}/uninstall/", None),
    ]


def call(client, method, url, body):
    if body is None:
        return getattr(client, method)(url)
    return getattr(client, method)(url, body, format="json")


def test_anonymous_gets_nothing(owned):
    installation, entry = owned
    for method, url, body in endpoints(installation.id, entry.id):
        response = call(client_for(None), method, url, body)
        assert response.status_code == 401, (method, url)
        assert "error" in response.json()
    assert Installation.objects.count() == 1 and Entry.objects.count() == 1


def test_another_person_gets_404_and_changes_nothing(owned):
    installation, entry = owned
    other = client_for(UserFactory())
    for method, url, body in endpoints(installation.id, entry.id):
        response = call(other, method, url, body)
        if url.endswith("/installations/"):
            continue  # their own (empty) list and their own install
        assert response.status_code == 404, (method, url, response.content)
        assert response.json()["error"]["code"] == "not_found"
    assert other.get(f"{BASE}/installations/").json()["results"][0]["id"] != installation.id
    installation.refresh_from_db()
    assert installation.paused is False and installation.uninstalled_at is None
    assert Entry.objects.filter(installation=installation).count() == 1


def test_the_owner_can_do_everything(owned, user):
    installation, entry = owned
    owner = client_for(user)
    expected = [200, 201, 200, 200, 200, 200, 201, 200, 200, 204, 200]
    got = [call(owner, m, u, b).status_code for m, u, b in endpoints(installation.id, entry.id)]
    assert got == expected


def test_entries_and_views_round_trip(user):
    owner = client_for(user)
    created = owner.post(
        f"{BASE}/installations/",
        {"spec": hydration(), "source": "catalogue:hydration", "client_token": "abc"},
        format="json",
    )
    assert created.status_code == 201
    body = created.json()
    assert (body["name"], body["source"], body["spec"]["name"]) == (
        "Hydration log",
        "catalogue:hydration",
        "Hydration log",
    )
    again = owner.post(
        f"{BASE}/installations/",
        {"spec": hydration(), "source": "catalogue:hydration", "client_token": "abc"},
        format="json",
    )
    assert again.json()["id"] == body["id"] and Installation.objects.count() == 1
    url = f"{BASE}/installations/{body['id']}/entries/"
    response = owner.post(url, {"values": {"amount": 5, "drink": "tea"}}, format="json")
    assert response.status_code == 201 and response.json()["values"] == {
        "amount": 5,
        "drink": "tea",
    }
    listed = owner.get(url).json()
    assert (listed["count"], listed["results"][0]["values"]["amount"]) == (1, 5)
    views = owner.get(f"{BASE}/installations/{body['id']}/views/").json()
    ring = views["views"][0]["data"]["goals"][0]
    assert (ring["value"], ring["target"]) == (5.0, 8)


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"amount": "lots"}, "amount", "Enter a number."),
        ({"amount": 50}, "amount", "Enter a value between 1 and 20."),
        ({"amount": 1, "drink": "juice"}, "drink", "Choose one of: water, tea."),
        ({"amount": 1, "size": 3}, "size", "This tool has no such field."),
    ],
)
def test_invalid_entries_are_refused_per_field(owned, user, values, field, message):
    installation, _entry = owned
    response = client_for(user).post(
        f"{BASE}/installations/{installation.id}/entries/", {"values": values}, format="json"
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid_entry"
    assert error["fields"][field] == [message]
    assert Entry.objects.count() == 1


def test_bad_date_and_wrong_shapes_are_refused(owned, user):
    installation, _entry = owned
    owner = client_for(user)
    url = f"{BASE}/installations/{installation.id}/entries/"
    response = owner.post(
        url, {"values": {"amount": 1}, "occurred_at": "31/02/2026"}, format="json"
    )
    assert response.status_code == 400 and "occurred_at" in response.json()["error"]["fields"]
    response = owner.post(url, {"values": [1, 2]}, format="json")
    assert response.status_code == 400
    response = owner.post(url, {"values": {"amount": 1}, "extra": 1}, format="json")
    assert response.status_code == 400 and response.json()["error"]["fields"]["extra"]
    response = owner.get(url + "?page=x")
    assert response.status_code == 400
    assert Entry.objects.count() == 1


def test_malformed_and_huge_specs_are_refused(user):
    owner = client_for(user)
    url = f"{BASE}/installations/"
    bad = hydration()
    bad["fields"][0]["type"] = "colour"
    response = owner.post(url, {"spec": bad, "source": "builder"}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["message"].startswith(
        "Invalid sub-agent spec at $.fields[0].type"
    )
    huge = hydration(description="x" * 100_000)
    response = owner.post(url, {"spec": huge, "source": "builder"}, format="json")
    assert response.status_code == 400 and "larger than" in response.json()["error"]["message"]
    response = owner.post(url, {"spec": "{not json", "source": "builder"}, format="json")
    assert response.status_code == 400
    response = owner.post(
        url, data=json.dumps({"spec": hydration()})[:-5], content_type="application/json"
    )
    assert response.status_code == 400
    response = owner.post(url, {"spec": hydration(), "source": "elsewhere"}, format="json")
    assert response.status_code == 400 and response.json()["error"]["fields"]["source"]
    assert Installation.objects.count() == 0


def test_tool_reminders_are_owner_only(user):
    from datetime import UTC, datetime

    from subagents.models import ReminderFire
    from subagents.reminders import reminders_raise_due

    installation_create(
        user=user, spec=hydration(), source="builder", now=datetime(2026, 11, 30, tzinfo=UTC)
    )
    reminders_raise_due(now=datetime(2026, 11, 30, 9, 1, tzinfo=UTC))
    fire = ReminderFire.objects.get()
    url = f"{BASE}/reminders/{fire.id}/dismiss/"
    assert client_for(None).get(f"{BASE}/reminders/").status_code == 401
    assert client_for(None).post(url).status_code == 401
    other = client_for(UserFactory())
    assert other.get(f"{BASE}/reminders/").json()["results"] == []
    assert other.post(url).status_code == 404
    owner = client_for(user)
    [item] = owner.get(f"{BASE}/reminders/").json()["results"]
    assert item["message"] == "Time for a glass of water"
    assert owner.post(url, {"acted": "maybe"}, format="json").status_code == 400
    assert owner.post(url, {"acted": True}, format="json").status_code == 204
    assert owner.get(f"{BASE}/reminders/").json()["results"] == []


def test_bodies_too_deep_or_too_big_are_4xx_in_the_error_shape(user):
    owner = client_for(user)
    url = f"{BASE}/installations/"
    depth = 5000
    body = '{"source": "builder", "spec": ' + '{"a":' * depth + "1" + "}" * depth + "}"
    response = owner.post(url, data=body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["message"] == "JSON parse error - nested deeper than 32 levels."
    big = json.dumps({"spec": hydration(description="x" * 3_000_000), "source": "builder"})
    response = owner.post(url, data=big, content_type="application/json")
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "body_too_large"
    assert Installation.objects.count() == 0


def test_settings_refusals_change_nothing(owned, user):
    installation, _entry = owned
    owner = client_for(user)
    url = f"{BASE}/installations/{installation.id}/settings/"
    response = owner.patch(url, {"goals": {"0": 5}, "reminders": {"7": ["09:00"]}}, format="json")
    assert response.status_code == 400
    installation.refresh_from_db()
    assert installation.settings == {}
    response = owner.patch(url, {"goals": {"0": 5}, "reminders": {"0": ["07:30"]}}, format="json")
    assert response.status_code == 200
    assert response.json()["settings"] == {"goals": {"0": 5.0}, "reminders": {"0": ["07:30"]}}
