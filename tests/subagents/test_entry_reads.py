"""Entries are read through memory's one may_read(): the API and the tool page show a locked
entry redacted until a step-up, changing a locked entry needs the step-up, the policy is
validated, expired entries are purged by memory's beat task, and an export waits for the
step-up when an entry asks for it."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.services import api_token_create
from macaron.celery import app
from memory.models import AuditEvent, TransferJob
from memory.tasks import purge_expired
from subagents.chat import tool_chat_send
from subagents.models import Entry
from subagents.policies import entries_purge_expired
from subagents.selectors import installation_views_data
from subagents.services import entry_create, entry_policy_update, installation_create
from tests.factories import PASSWORD, UserFactory
from tests.subagents.specs import hydration

pytestmark = pytest.mark.django_db
BASE = "/api/v1/subagents"
STEP_UP = "/accounts/step-up/"
SECRET_NOTE = "Kumquat tonic at the clinic"


@pytest.fixture
def tool(user):
    installation = installation_create(user=user, spec=hydration(), source="builder")
    plain = entry_create(user=user, installation_id=installation.id, values={"amount": 2})
    guarded = entry_create(
        user=user, installation_id=installation.id, values={"amount": 5, "note": SECRET_NOTE}
    )
    entry_policy_update(user=user, entry_id=guarded.id, policy={"reauth_required": True})
    return installation, plain, guarded


def token_client(person) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {api_token_create(user=person).secret}")
    return client


def step_up(client) -> None:
    response = client.post("/api/v1/me/step-up/", {"password": PASSWORD}, format="json")
    assert response.status_code == 200


# API --------------------------------------------------------------------------------------


def test_api_locks_a_reauth_entry_until_the_step_up(user, tool):
    installation, plain, guarded = tool
    client = token_client(user)

    listed = client.get(f"{BASE}/installations/{installation.id}/entries/").json()["results"]
    by_id = {row["id"]: row for row in listed}
    assert by_id[guarded.id]["locked"] is True and by_id[guarded.id]["values"] == {}
    assert by_id[plain.id]["locked"] is False and by_id[plain.id]["values"] == {"amount": 2}
    assert by_id[guarded.id]["policy"] == {"reauth_required": True}
    assert SECRET_NOTE not in json_text(listed)

    refused = client.get(f"{BASE}/entries/{guarded.id}/")
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "step_up_required"
    assert AuditEvent.objects.filter(
        action="policy_deny", subject_user_id=user.id, detail__entry_ids=[guarded.id]
    ).exists()

    lowered = client.patch(f"{BASE}/entries/{guarded.id}/", {"policy": {}}, format="json")
    assert lowered.status_code == 403
    assert lowered.json()["error"]["code"] == "step_up_required"
    assert Entry.objects.get(pk=guarded.id).policy == {"reauth_required": True}

    views = client.get(f"{BASE}/installations/{installation.id}/views/").json()["views"]
    total = next(view for view in views if view["type"] == "total")
    assert total["data"]["entries"] == 1  # the locked entry is left out of the charts

    step_up(client)
    opened = client.get(f"{BASE}/entries/{guarded.id}/")
    assert opened.status_code == 200
    assert opened.json()["values"] == {"amount": 5, "note": SECRET_NOTE}
    views = client.get(f"{BASE}/installations/{installation.id}/views/").json()["views"]
    assert next(view for view in views if view["type"] == "total")["data"]["entries"] == 2

    lowered = client.patch(
        f"{BASE}/entries/{guarded.id}/", {"privacy": "normal", "policy": {}}, format="json"
    )
    assert lowered.status_code == 200
    assert (lowered.json()["privacy"], lowered.json()["policy"]) == ("normal", {})
    assert lowered.json()["locked"] is False


def json_text(value) -> str:
    return json.dumps(value, ensure_ascii=False)


def test_api_patch_raises_protection_and_the_entry_locks(user, tool):
    _installation, plain, _guarded = tool
    client = token_client(user)

    response = client.patch(f"{BASE}/entries/{plain.id}/", {"privacy": "secret"}, format="json")

    assert response.status_code == 200
    assert (response.json()["locked"], response.json()["values"]) == (True, {})
    assert Entry.objects.get(pk=plain.id).privacy == "secret"
    assert client.get(f"{BASE}/entries/{plain.id}/").status_code == 403


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"privacy": "public"}, "privacy"),
        ({"privacy": 1}, "privacy"),
        ({"policy": "reauth"}, "policy"),
        ({"policy": {"colour": "red"}}, "policy"),
        ({"policy": {"reauth_required": "yes"}}, "policy"),
        ({"policy": {"expires_at": "2024-02-30"}}, "policy"),
        ({"policy": {"retention_days": 0}}, "policy"),
        ({"occurred_at": "2024-01-01T10:00"}, "occurred_at"),
        ({"privacy": "secret", "values": {"amount": 99}}, "amount"),
    ],
)
def test_api_patch_refuses_bad_input_and_changes_nothing(user, tool, payload, field):
    _installation, plain, _guarded = tool
    before = Entry.objects.filter(pk=plain.pk).values().get()
    client = APIClient()
    client.force_authenticate(user)

    response = client.patch(f"{BASE}/entries/{plain.id}/", payload, format="json")

    assert response.status_code == 400
    fields = response.json()["error"].get("fields") or {}
    assert field in fields or field in json_text(fields)
    assert Entry.objects.filter(pk=plain.pk).values().get() == before
    assert "public" not in response.content.decode()  # what was sent is not echoed


def test_api_patch_of_someone_elses_entry_is_404(tool):
    _installation, plain, _guarded = tool
    client = APIClient()
    client.force_authenticate(UserFactory())
    response = client.patch(f"{BASE}/entries/{plain.id}/", {"privacy": "normal"}, format="json")
    assert response.status_code == 404


# Pages ------------------------------------------------------------------------------------


def test_tool_page_redacts_a_locked_entry_until_the_step_up(client, user, tool):
    installation, _plain, guarded = tool
    client.force_login(user)

    page = client.get(f"/tools/{installation.id}/").content.decode()
    assert SECRET_NOTE not in page
    assert "Locked: this needs your password." in page

    edit = client.get(f"/tools/entries/{guarded.id}/edit/")
    assert edit.status_code == 302 and edit["Location"].startswith(f"{STEP_UP}?next=")
    lowered = client.post(f"/tools/entries/{guarded.id}/privacy/", {"privacy": "normal"})
    assert lowered.status_code == 302 and lowered["Location"].startswith(STEP_UP)
    assert Entry.objects.get(pk=guarded.id).policy == {"reauth_required": True}

    client.post(STEP_UP, {"password": PASSWORD, "next": f"/tools/{installation.id}/"})
    assert SECRET_NOTE in client.get(f"/tools/{installation.id}/").content.decode()


def test_entry_privacy_form_saves_level_and_rules(client, user, tool):
    installation, plain, _guarded = tool
    client.force_login(user)

    form = client.get(f"/tools/entries/{plain.id}/privacy/")
    assert form.status_code == 200
    assert 'name="reauth_required"' in form.content.decode()

    bad = client.post(
        f"/tools/entries/{plain.id}/privacy/", {"privacy": "public", "retention_days": "0"}
    )
    assert bad.status_code == 400
    assert Entry.objects.get(pk=plain.id).privacy == plain.privacy

    saved = client.post(
        f"/tools/entries/{plain.id}/privacy/",
        {
            "privacy": "private",
            "share_with_companion": "on",
            "reauth_required": "on",
            "retention_days": "30",
            "expires_at": "2031-05-01",
        },
    )
    assert (saved.status_code, saved["Location"]) == (302, f"/tools/{installation.id}/")
    entry = Entry.objects.get(pk=plain.id)
    assert entry.privacy == "private"
    assert entry.policy["reauth_required"] is True
    assert "share_with_subagents" not in entry.policy  # unticked: the private level's default
    assert entry.policy["retention_days"] == 30
    assert entry.policy["expires_at"].startswith("2031-05-01T23:59:59")


def test_entry_privacy_page_of_someone_elses_entry_is_404(client, tool):
    _installation, plain, _guarded = tool
    client.force_login(UserFactory())
    assert client.get(f"/tools/entries/{plain.id}/privacy/").status_code == 404


# Charts and the tool itself ---------------------------------------------------------------


def test_charts_leave_out_what_may_read_refuses(user, tool):
    installation, plain, _guarded = tool
    entry_policy_update(user=user, entry_id=plain.id, policy={"expires_at": "2001-01-01"})

    views = installation_views_data(user=user, installation_id=installation.id)["views"]

    assert next(view for view in views if view["type"] == "total")["data"]["entries"] == 0


# Purge ------------------------------------------------------------------------------------


def test_memorys_beat_task_purges_expired_entries_batched_idempotent_and_audited(user, tool):
    installation, plain, guarded = tool
    entry_policy_update(user=user, entry_id=plain.id, policy={"expires_at": "2001-01-01"})
    entry_policy_update(user=user, entry_id=guarded.id, policy={"retention_days": 7})
    Entry.objects.filter(pk=guarded.pk).update(created_at=timezone.now() - timedelta(days=8))
    young = entry_create(user=user, installation_id=installation.id, values={"amount": 1})
    entry_policy_update(user=user, entry_id=young.id, policy={"retention_days": 7})
    kept = entry_create(user=user, installation_id=installation.id, values={"amount": 1})

    assert entries_purge_expired(timezone.now(), batch=1) == 2
    assert purge_expired() == 0  # nothing left: idempotent

    left = set(Entry.objects.filter(user=user).values_list("pk", flat=True))
    assert left == {young.pk, kept.pk}
    events = AuditEvent.objects.filter(action="forget", subject_user_id=user.id)
    purged = sorted(i for event in events for i in event.detail["entry_ids"])
    assert purged == sorted([plain.pk, guarded.pk])
    assert {event.purpose for event in events} == {"policy expiry"}


def test_purge_expired_task_counts_entries_too(user, tool):
    _installation, plain, _guarded = tool
    entry_policy_update(user=user, entry_id=plain.id, policy={"expires_at": "2001-01-01"})
    assert purge_expired() == 1
    assert not Entry.objects.filter(pk=plain.pk).exists()


# Export -----------------------------------------------------------------------------------


def test_export_waits_for_the_step_up_when_an_entry_asks_for_it(user, tool):
    client = token_client(user)

    refused = client.post("/api/v1/me/export/")

    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "step_up_required"
    assert not TransferJob.objects.filter(user=user).exists()
    step_up(client)
    assert client.post("/api/v1/me/export/").status_code == 202


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_purges_expired_entries_with_memorys_beat_task(celery_worker):
    person = UserFactory()
    installation = installation_create(user=person, spec=hydration(), source="builder")
    expired = entry_create(user=person, installation_id=installation.id, values={"amount": 2})
    entry_policy_update(user=person, entry_id=expired.id, policy={"expires_at": "2001-01-01"})
    kept = entry_create(user=person, installation_id=installation.id, values={"amount": 3})

    assert app.send_task("memory.purge_expired").get(timeout=60) == 1

    assert set(Entry.objects.filter(user=person).values_list("pk", flat=True)) == {kept.pk}


def test_chat_lines_about_a_locked_entry_are_withheld_until_the_step_up(user):
    installation = installation_create(user=user, spec=hydration(), source="builder")
    sent = tool_chat_send(user=user, installation_id=installation.id, text="drank 7 glasses")
    entry_policy_update(user=user, entry_id=sent.entry_id, policy={"reauth_required": True})
    client = token_client(user)

    lines = client.get(f"{BASE}/installations/{installation.id}/chat/").json()["results"]

    assert [(line["role"], line["text"], line["locked"]) for line in lines] == [
        ("person", "", True),
        ("tool", "", True),
    ]
    step_up(client)
    lines = client.get(f"{BASE}/installations/{installation.id}/chat/").json()["results"]
    assert lines[0]["text"] == "drank 7 glasses" and lines[1]["locked"] is False
