"""The staff console: staff only, every page audited, people with their request states, the
export and erasure requests filed from it, and the audit search."""

import io
import zipfile

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import ErasureRequest
from memory.models import AuditEvent, TransferJob
from memory.privacy.audit import AuditAction, audit_record
from memory.services import memory_create
from memory.staff.services import STAFF_PURPOSE
from memory.transfer.jobs import export_build, export_job_create
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PAGES = [
    ("staff-people", {}),
    ("staff-audit", {}),
    ("staff-report", {}),
    ("staff-system", {}),
    ("staff-moderation", {}),
]


@pytest.fixture
def staff(db):
    return UserFactory(is_staff=True)


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    return client


def _views(staff, page: str) -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(
            actor=staff, action=AuditAction.STAFF_VIEW.value, detail__page=page
        )
    )


@pytest.mark.parametrize(("name", "kwargs"), PAGES)
def test_staff_pages_are_refused_to_others_and_audited_for_staff(client, staff, name, kwargs):
    url = reverse(name, kwargs=kwargs)
    anonymous = client.get(url)
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith(reverse("login"))
    client.force_login(UserFactory())
    assert client.get(url).status_code == 404
    assert not AuditEvent.objects.filter(action=AuditAction.STAFF_VIEW.value).exists()

    client.force_login(staff)
    assert client.get(url).status_code == 200
    event = AuditEvent.objects.get(action=AuditAction.STAFF_VIEW.value)
    assert event.actor_id == staff.pk
    assert event.purpose == STAFF_PURPOSE


def test_person_pages_refused_to_a_person(client):
    person = UserFactory()
    client.force_login(person)
    for name in (
        "staff-person",
        "staff-person-export",
        "staff-person-erasure",
        "staff-person-read",
    ):
        response = client.post(reverse(name, args=[person.pk]), {"export-reason": "x"})
        assert response.status_code == 404
    assert not TransferJob.objects.exists()
    assert not ErasureRequest.objects.exists()


def test_people_search_by_exact_or_prefix_shows_states_not_content(staff_client, staff):
    alice = UserFactory(email="alice.w@example.org", display_name="Alice Secretname")
    UserFactory(email="alicia@example.org")
    UserFactory(email="bob@example.org")
    memory_create(user=alice, text="my cat is called Pudding")
    ErasureRequest.objects.create(
        user=alice, subject_id=alice.pk, origin="staff", requested_by=staff, reason="ticket 7"
    )
    TransferJob.objects.create(user=alice, kind=TransferJob.Kind.EXPORT, status="done")

    page = staff_client.get(reverse("staff-people"), {"q": "ALI"}).content.decode()
    assert "alice.w@example.org" in page and "alicia@example.org" in page
    assert "bob@example.org" not in page
    assert "Pudding" not in page and "Secretname" not in page
    assert 'class="export-state"' in page and "<b>done</b>" in page
    assert 'class="erasure-state"' in page and "<b>pending</b>" in page

    exact = staff_client.get(reverse("staff-people"), {"q": "bob@example.org"}).content.decode()
    assert "bob@example.org" in exact and "alice" not in exact
    (event,) = _views(staff, "people")[-1:]
    assert event.detail["people"] == [
        UserFactory._meta.model.objects.get(email="bob@example.org").pk
    ]


def test_person_page_is_audited_against_the_person(staff_client, staff):
    person = UserFactory()
    assert staff_client.get(reverse("staff-person", args=[person.pk])).status_code == 200
    (event,) = _views(staff, "person")
    assert event.subject_user_id == person.pk
    assert staff_client.get(reverse("staff-person", args=[999_999])).status_code == 404


def test_export_on_request_needs_a_reason_and_is_recorded_for_the_person(staff_client, staff):
    person = UserFactory()
    url = reverse("staff-person-export", args=[person.pk])
    refused = staff_client.post(url, {"export-reason": "   "})
    assert refused.status_code == 400
    assert not TransferJob.objects.exists()

    response = staff_client.post(url, {"export-reason": "ticket 42: subject access request"})
    assert response.status_code == 302
    job = TransferJob.objects.get(user=person)
    assert job.requested_by_id == staff.pk
    event = AuditEvent.objects.get(subject_user_id=person.pk, action=AuditAction.EXPORT.value)
    assert event.actor_id == staff.pk
    assert "ticket 42" in event.purpose


def test_erasure_request_from_the_console(staff_client, staff):
    person = UserFactory()
    url = reverse("staff-person-erasure", args=[person.pk])
    assert staff_client.post(url, {"erasure-reason": ""}).status_code == 400
    assert not ErasureRequest.objects.exists()
    response = staff_client.post(
        url, {"erasure-reason": "court order 9", "erasure-keep_published": "on"}
    )
    assert response.status_code == 302
    request = ErasureRequest.objects.get(subject_id=person.pk)
    assert (request.origin, request.state, request.reason, request.keep_published) == (
        "staff",
        "pending",
        "court order 9",
        True,
    )
    again = staff_client.post(url, {"erasure-reason": "twice"})
    assert again.status_code == 400
    assert "already pending" in again.content.decode()
    assert ErasureRequest.objects.count() == 1


def test_audit_search_filters_and_paginates(staff_client, staff):
    alice, bob = UserFactory(), UserFactory()
    audit_record(
        action=AuditAction.FORGET,
        subject_user_id=alice.pk,
        actor=alice,
        purpose="person forgot memories",
        memory_ids=[11, 12],
    )
    audit_record(
        action=AuditAction.RETRIEVE,
        subject_user_id=alice.pk,
        actor=alice,
        purpose="companion",
        actor_type="companion",
        memory_ids=[12],
    )
    audit_record(
        action=AuditAction.RETRIEVE,
        subject_user_id=bob.pk,
        actor=bob,
        purpose="subagent:hydration",
        actor_type="subagent",
        memory_ids=[30],
    )
    audit_record(action=AuditAction.ERASE, subject_user_id=bob.pk, purpose="scheduled erasure")
    url = reverse("staff-audit")

    def ids(**params) -> set[int]:
        response = staff_client.get(url, params)
        assert response.status_code == 200
        return set(response.context["page"].paginator.object_list.values_list("id", flat=True))

    alice_events = set(
        AuditEvent.objects.filter(subject_user_id=alice.pk).values_list("id", flat=True)
    )
    assert ids(subject_id=alice.pk) == alice_events
    assert ids(memory_id=12) == alice_events
    assert ids(memory_id=30, subject_id=alice.pk) == set()
    assert len(ids(actor_type="companion")) == 1
    assert len(ids(actor_type="subagent")) == 1
    assert len(ids(actor_type="system", action="erase")) == 1
    assert ids(actor_id=bob.pk) == set(
        AuditEvent.objects.filter(actor=bob).values_list("id", flat=True)
    )
    assert len(ids(purpose="person forgot")) == 1
    assert ids(since="2999-01-01") == set()
    staff_events = ids(actor_type="staff")
    assert staff_events and all(
        AuditEvent.objects.get(pk=pk).action == AuditAction.STAFF_VIEW.value for pk in staff_events
    )

    bad = staff_client.get(url, {"since": "2024-02-30", "memory_id": "x"})
    assert bad.status_code == 400
    assert bad.context["page"] is None
    far = staff_client.get(url, {"until": "9999-12-31"})
    assert far.status_code == 400


def test_audit_search_pages_hold_fifty(staff_client):
    person = UserFactory()
    for _ in range(55):
        audit_record(
            action=AuditAction.FORGET, subject_user_id=person.pk, actor=person, purpose="p"
        )
    first = staff_client.get(reverse("staff-audit"), {"subject_id": person.pk})
    assert len(first.context["page"].object_list) == 50
    second = staff_client.get(reverse("staff-audit"), {"subject_id": person.pk, "page": 2})
    assert len(second.context["page"].object_list) == 5


def test_a_staff_export_is_downloaded_once_by_that_staff_member_only(client, staff):
    person = UserFactory()
    memory_create(user=person, text="I grow tomatoes")
    client.force_login(staff)
    client.post(reverse("staff-person-export", args=[person.pk]), {"export-reason": "ticket 8"})
    job = TransferJob.objects.get(user=person)
    export_build(job_id=str(job.public_id))
    download = reverse("staff-export-download", args=[person.pk, job.public_id])
    assert (
        f'href="{download}"'
        in client.get(reverse("staff-person", args=[person.pk])).content.decode()
    )

    other_staff = UserFactory(is_staff=True)
    client.force_login(other_staff)
    assert client.get(download).status_code == 404
    client.force_login(person)  # the person: not their job to download, nor on their page
    assert client.get(f"/api/v1/me/export/{job.public_id}/").status_code == 404
    assert str(job.public_id) not in client.get(reverse("data")).content.decode()

    client.force_login(staff)
    link = client.get(download)
    assert link.status_code == 302
    archive = client.get(link["Location"])
    assert archive.status_code == 200
    assert archive["Content-Type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(archive.content)) as opened:
        assert "sections/memories.json" in opened.namelist()
    again = client.get(download, follow=True)
    assert "already downloaded" in again.content.decode()
    assert client.get(link["Location"]).status_code == 410

    downloaded = AuditEvent.objects.get(
        subject_user_id=person.pk, action=AuditAction.EXPORT_DOWNLOAD.value
    )
    assert (downloaded.actor_id, downloaded.purpose) == (staff.pk, "export downloaded by staff")


def test_the_person_and_staff_exports_do_not_share_a_job(staff):
    person = UserFactory()
    own = export_job_create(user=person)
    for_staff = export_job_create(user=person, requested_by=staff, reason="ticket 3")
    assert own.pk != for_staff.pk
    assert export_job_create(user=person).pk == own.pk
    assert export_job_create(user=person, requested_by=staff, reason="x").pk == for_staff.pk


def test_ids_beyond_a_bigint_are_not_found(staff_client):
    huge = 10**20
    assert staff_client.get(reverse("staff-person", args=[huge])).status_code == 404
    for name in ("staff-person-export", "staff-person-erasure", "staff-person-read"):
        assert staff_client.post(reverse(name, args=[huge]), {}).status_code == 404
    job = "00000000-0000-0000-0000-000000000000"
    assert staff_client.get(reverse("staff-export-download", args=[huge, job])).status_code == 404
    moderation = staff_client.post(
        reverse("staff-moderation"), {"report": str(huge), "action": "hidden"}
    )
    assert moderation.status_code == 302
    assert staff_client.get(reverse("staff-audit"), {"subject_id": huge}).status_code == 400


def test_people_search_queries_do_not_grow_with_the_people_found(staff_client):
    def queries(query: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert staff_client.get(reverse("staff-people"), {"q": query}).status_code == 200
        return len(captured)

    for n in range(6):
        person = UserFactory(email=f"many{n}@example.org")
        TransferJob.objects.create(user=person, kind=TransferJob.Kind.EXPORT)
    one = UserFactory(email="single@example.org")
    TransferJob.objects.create(user=one, kind=TransferJob.Kind.EXPORT)
    queries("single@example.org")  # the first look of all also opens the audit stream
    assert queries("many") == queries("single@example.org")
