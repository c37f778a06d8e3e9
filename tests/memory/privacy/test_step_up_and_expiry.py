"""Web step-up, and the beat task that purges expired memories (directly and on a worker)."""

import time
from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.services import api_token_create
from macaron.celery import app
from memory.ingest.expiry import memories_purge_expired
from memory.models import AuditEvent, Memory, TermStat, TransferJob
from memory.services import memory_create, memory_update
from memory.transfer.jobs import export_build
from tests.factories import PASSWORD, UserFactory

STEP_UP = "/accounts/step-up/"


@pytest.fixture
def locked(client, user):
    client.force_login(user)
    memory = memory_create(user=user, text="My therapist's name is Dr Okafor", privacy="secret")
    return client, memory


@pytest.mark.django_db
def test_web_list_shows_a_secret_memory_locked_and_step_up_unlocks_it(locked, settings):
    client, memory = locked

    page = client.get("/memories/").content.decode()
    assert "Okafor" not in page
    assert "Confirm your password to see it" in page

    edit = client.get(f"/memories/{memory.id}/edit/")
    assert edit.status_code == 302
    assert edit["Location"].startswith(f"{STEP_UP}?next=")

    wrong = client.post(STEP_UP, {"password": "nope", "next": "/memories/"})
    assert wrong.status_code == 400
    assert "That password is not right." in wrong.content.decode()
    assert "Okafor" not in client.get("/memories/").content.decode()

    right = client.post(STEP_UP, {"password": PASSWORD, "next": f"/memories/{memory.id}/edit/"})
    assert (right.status_code, right["Location"]) == (302, f"/memories/{memory.id}/edit/")
    assert "Okafor" in client.get(right["Location"]).content.decode()
    assert "Okafor" in client.get("/memories/").content.decode()

    session = client.session
    stale = timezone.now() - timedelta(minutes=settings.STEP_UP_MINUTES, seconds=1)
    session["step_up_at"] = stale.isoformat()
    session.save()
    assert "Okafor" not in client.get("/memories/").content.decode()


@pytest.mark.django_db
def test_web_step_up_refuses_an_outside_next(locked):
    client, _ = locked
    response = client.post(STEP_UP, {"password": PASSWORD, "next": "https://evil.example/"})
    assert response["Location"] == "/memories/"


@pytest.mark.django_db
def test_lowering_a_locked_memory_on_the_web_needs_the_step_up(locked):
    client, memory = locked

    response = client.post(f"/memories/{memory.id}/privacy/", {"privacy": "normal"})

    assert response.status_code == 302 and response["Location"].startswith(STEP_UP)
    assert Memory.objects.get(pk=memory.id).privacy == "secret"


def _expiring(person):
    kept = memory_create(user=person, text="I keep bees in the garden")
    dated = memory_create(user=person, text="My locker code is at the gym desk")
    memory_update(user=person, memory_id=dated.id, policy={"expires_at": "2001-01-01"})
    retained = memory_create(user=person, text="I borrowed a ladder from Sam")
    memory_update(user=person, memory_id=retained.id, policy={"retention_days": 7})
    Memory.objects.filter(pk=retained.pk).update(created_at=timezone.now() - timedelta(days=8))
    young = memory_create(user=person, text="I lent a drill to Kim")
    memory_update(user=person, memory_id=young.id, policy={"retention_days": 7})
    return kept, dated, retained, young


def _term_stats(person) -> dict[str, int]:
    return dict(TermStat.objects.filter(user_id=person.id).values_list("token", "df"))


@pytest.mark.django_db
def test_purge_forgets_expired_memories_keeps_stats_consistent_and_is_idempotent():
    person, bystander = UserFactory(), UserFactory()
    kept, dated, retained, young = _expiring(person)
    other = memory_create(user=bystander, text="My locker code is at the gym desk")
    memory_update(user=bystander, memory_id=other.id, policy={"retention_days": 30})
    expected = _term_stats(person)
    for memory in (dated, retained):
        for token in Memory.objects.get(pk=memory.pk).lexical_tokens:
            expected[token] -= 1
    expected = {token: df for token, df in expected.items() if df}

    assert memories_purge_expired(batch=2) == 2
    assert memories_purge_expired(batch=2) == 0

    left = set(Memory.objects.filter(user=person).values_list("pk", flat=True))
    assert left == {kept.pk, young.pk}
    assert Memory.objects.filter(pk=other.pk).exists()
    assert {t: df for t, df in _term_stats(person).items() if df} == expected
    event = AuditEvent.objects.get(action="forget", subject_user_id=person.id)
    assert (event.actor_id, event.purpose) == (None, "policy expiry")
    assert sorted(event.memory_ids) == sorted([dated.pk, retained.pk])


@pytest.mark.django_db(transaction=True)
def test_purge_runs_on_a_real_worker(celery_worker):
    person = UserFactory()
    kept, dated, retained, young = _expiring(person)

    purged = app.send_task("memory.purge_expired").get(timeout=60)

    assert purged == 2
    deadline = time.monotonic() + 5
    while Memory.objects.filter(pk__in=[dated.pk, retained.pk]).exists():
        assert time.monotonic() < deadline
        time.sleep(0.1)
    assert set(Memory.objects.filter(user=person).values_list("pk", flat=True)) == {
        kept.pk,
        young.pk,
    }


# Export: items that need a step-up need it before an export starts --------------------------

EXPORT = "/api/v1/me/export/"


@pytest.mark.django_db
def test_api_export_with_a_secret_memory_needs_the_step_up():
    person = UserFactory()
    memory = memory_create(user=person, text="My safe's code is under the rug", privacy="secret")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {api_token_create(user=person).secret}")

    refused = client.post(EXPORT)

    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "step_up_required"
    assert not TransferJob.objects.filter(user=person).exists()
    assert AuditEvent.objects.filter(
        action="policy_deny", purpose="export", memory_ids=[memory.id]
    ).exists()

    stepped = client.post("/api/v1/me/step-up/", {"password": PASSWORD}, format="json")
    assert stepped.status_code == 200
    started = client.post(EXPORT)
    assert started.status_code == 202
    export_build(job_id=started.json()["id"])
    assert TransferJob.objects.get(user=person).status == "done"


@pytest.mark.django_db
def test_api_export_without_guarded_memories_needs_no_step_up():
    person = UserFactory()
    memory_create(user=person, text="I grow basil on the balcony")
    client = APIClient()
    client.force_authenticate(person)
    assert client.post(EXPORT).status_code == 202


@pytest.mark.django_db
def test_web_export_sends_to_the_step_up_page_first(locked):
    client, _ = locked

    response = client.post("/data/export/")

    assert response.status_code == 302
    assert response["Location"] == f"{STEP_UP}?next=%2Fdata%2F"
    assert not TransferJob.objects.exists()
    client.post(STEP_UP, {"password": PASSWORD, "next": "/data/"})
    assert client.post("/data/export/").status_code == 302
    assert TransferJob.objects.count() == 1
