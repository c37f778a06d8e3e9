"""Staff find a person by e-mail, start an export on the person's request, and view the
compliance report (and download it as CSV)."""

import pytest

from memory.models import AuditEvent, TransferJob
from memory.privacy.audit import AuditAction
from tests.factories import PASSWORD, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_staff_search_export_request_and_report(live_server, page):
    staff = UserFactory(is_staff=True)
    person = UserFactory(email="ines.garcia@example.org")
    UserFactory(email="ivan@example.org")
    base = live_server.url
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", staff.email)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")

    page.goto(f"{base}/staff/")
    page.fill("#id_q", "ines")
    page.click("#people-search")
    rows = page.locator("#people tbody tr")
    assert rows.count() == 1
    page.click(f"#person-{person.pk} a >> nth=1")
    page.wait_for_url(f"{base}/staff/people/{person.pk}/")

    page.click("#export-request")  # no reason: refused next to the field
    assert page.locator("#id_export-reason-error").is_visible()
    assert not TransferJob.objects.exists()
    page.fill("#id_export-reason", "ticket 314: the person asked by e-mail")
    page.click("#export-request")
    page.wait_for_url(f"{base}/staff/people/{person.pk}/")
    assert page.locator(".messages", has_text="Export started.").is_visible()
    job = TransferJob.objects.get(user=person)
    assert job.requested_by_id == staff.pk
    assert page.locator(".export-state").first.is_visible()

    page.click("text=Compliance report")
    page.wait_for_url(f"{base}/staff/report/")
    assert page.locator("#report-requests").is_visible()
    assert "1" in page.locator("#report-requests").inner_text()
    with page.expect_download() as download:
        page.click("#report-csv")
    assert download.value.suggested_filename.startswith("compliance-")
    pages = set(
        AuditEvent.objects.filter(actor=staff, action=AuditAction.STAFF_VIEW.value).values_list(
            "detail__page", flat=True
        )
    )
    assert {"people", "person", "report", "report.csv"} <= pages
