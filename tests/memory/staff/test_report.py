"""The compliance report: aggregates only, for a date range, as HTML and as CSV that a
spreadsheet cannot execute."""

import csv
import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import ErasureRequest
from memory.models import AuditEvent, Memory, TransferJob
from memory.privacy.audit import AuditAction, audit_record
from memory.services import memory_create
from memory.staff.report_csv import csv_cell
from memory.staff.selectors import compliance_report
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client):
    client.force_login(UserFactory(is_staff=True))
    return client


def _data():
    alice, bob = UserFactory(), UserFactory()
    memory_create(user=alice, text="I am allergic to peanuts")
    memory_create(user=alice, text="my salary is paid on the 25th", privacy=Memory.Privacy.PRIVATE)
    memory_create(user=bob, text="I play tennis on Sundays")
    audit_record(
        action=AuditAction.RETRIEVE,
        subject_user_id=alice.pk,
        actor=alice,
        purpose="companion",
        actor_type="companion",
    )
    audit_record(
        action=AuditAction.RETRIEVE,
        subject_user_id=alice.pk,
        actor=alice,
        purpose="companion",
        actor_type="companion",
    )
    audit_record(
        action=AuditAction.POLICY_DENY,
        subject_user_id=bob.pk,
        actor=UserFactory(is_staff=True),
        purpose="break-glass: x",
    )
    TransferJob.objects.create(user=alice, kind=TransferJob.Kind.EXPORT, status="done")
    TransferJob.objects.create(user=bob, kind=TransferJob.Kind.EXPORT, status="failed")
    ErasureRequest.objects.create(user=bob, subject_id=bob.pk, origin="person", reason="r")
    return alice, bob


def test_report_counts_every_aggregate():
    _data()
    now = timezone.now()
    report = compliance_report(since=now - timedelta(days=1), until=now + timedelta(days=1))
    by_privacy: dict[str, int] = {}
    for _domain, privacy, n in report.memories:
        by_privacy[privacy] = by_privacy.get(privacy, 0) + n
    domains = {domain for domain, _privacy, _n in report.memories}
    assert sum(n for d, p, n in report.memories if d == "health") >= 1  # the allergy
    assert by_privacy.keys() <= {"normal", "private", "secret"}
    assert by_privacy.get("private", 0) >= 1
    assert domains
    assert ("companion", "retrieve", 2) in report.access
    assert ("staff", "policy_deny", 1) in report.access
    assert report.exports == [("done", 1), ("failed", 1)]
    assert report.imports == []
    assert report.erasures == [("person", "pending", 1)]
    assert report.policy_denials == 1

    past = compliance_report(since=now - timedelta(days=30), until=now - timedelta(days=10))
    assert (past.memories, past.access, past.exports, past.erasures) == ([], [], [], [])


def test_report_page_and_csv(staff_client):
    alice, _bob = _data()
    today = timezone.localdate()
    page = staff_client.get(reverse("staff-report"), {"since": str(today), "until": str(today)})
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="report-denials">1<' in html
    assert "peanuts" not in html and alice.email not in html

    response = staff_client.get(reverse("staff-report"), {"until": str(today), "format": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith("attachment;")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["section", "key", "subkey", "count"]
    assert ["exports", "done", "", "1"] in rows
    assert ["access", "companion", "retrieve", "2"] in rows
    assert ["policy_denials", "", "", "1"] in rows
    assert "peanuts" not in response.content.decode()
    events = AuditEvent.objects.filter(
        action=AuditAction.STAFF_VIEW.value, detail__page="report.csv"
    )
    assert events.count() == 1


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ('=HYPERLINK("x")', '\'=HYPERLINK("x")'),
        ("+1", "'+1"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("health", "health"),
        (3, "3"),
    ],
)
def test_csv_cells_never_start_a_formula(value, cell):
    assert csv_cell(value) == cell


def test_csv_of_a_domain_that_looks_like_a_formula(staff_client):
    person = UserFactory()
    memory = memory_create(user=person, text="something to count")
    Memory.objects.filter(pk=memory.pk).update(domains=["=cmd|' /C calc'!A0"])
    response = staff_client.get(reverse("staff-report"), {"format": "csv"})
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert ["memories", "'=cmd|' /C calc'!A0", "normal", "1"] in rows


@pytest.mark.parametrize(
    "params",
    [
        {"since": "2024-02-30"},
        {"since": "2026-05-02", "until": "2026-05-01"},
        {"until": "9999-12-31"},
        {"since": "1000-01-01"},
    ],
)
def test_bad_ranges_are_refused(staff_client, params):
    response = staff_client.get(reverse("staff-report"), params)
    assert response.status_code == 400
    assert response.context["form"].errors
