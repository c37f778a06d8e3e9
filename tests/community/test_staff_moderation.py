"""The staff console's moderation queue: open reports, dismissed or the listing hidden."""

import pytest
from django.urls import reverse

from community.models import Blueprint, Report
from community.services import report_create
from memory.models import AuditEvent
from memory.privacy.audit import AuditAction
from tests.community.factories import blueprint_factory
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _report(reason: str = "spam") -> Report:
    blueprint = blueprint_factory()
    return report_create(user=UserFactory(), blueprint=blueprint, reason=reason, note="fake tool")


def test_queue_lists_open_reports_and_resolves_them(client):
    spam, harmful = _report(), _report("harmful")
    staff = UserFactory(is_staff=True)
    client.force_login(staff)
    url = reverse("staff-moderation")
    page = client.get(url).content.decode()
    assert f'id="report-{spam.pk}"' in page and f'id="report-{harmful.pk}"' in page

    assert client.post(url, {"report": spam.pk, "action": "dismissed"}).status_code == 302
    spam.refresh_from_db()
    assert (spam.state, spam.resolution, spam.resolved_by_id) == ("resolved", "dismissed", staff.pk)
    assert Blueprint.objects.get(pk=spam.blueprint_id).hidden is False

    assert client.post(url, {"report": harmful.pk, "action": "hidden"}).status_code == 302
    harmful.refresh_from_db()
    assert harmful.resolution == "hidden"
    assert Blueprint.objects.get(pk=harmful.blueprint_id).hidden is True
    assert f'id="report-{spam.pk}"' not in client.get(url).content.decode()
    resolutions = AuditEvent.objects.filter(
        actor=staff, action=AuditAction.STAFF_VIEW.value, detail__page="moderation"
    ).exclude(detail__resolution=None)
    assert sorted(e.detail["resolution"] for e in resolutions) == ["dismissed", "hidden"]


def test_bad_actions_change_nothing(client):
    report = _report()
    client.force_login(UserFactory(is_staff=True))
    url = reverse("staff-moderation")
    assert client.post(url, {"report": report.pk, "action": "suspended"}).status_code == 302
    assert client.post(url, {"report": "abc", "action": "dismissed"}).status_code == 302
    assert client.post(url, {"report": 999_999, "action": "dismissed"}).status_code == 404
    report.refresh_from_db()
    assert report.state == "open"


def test_a_person_cannot_moderate(client):
    report = _report()
    client.force_login(UserFactory())
    response = client.post(reverse("staff-moderation"), {"report": report.pk, "action": "hidden"})
    assert response.status_code == 404
    report.refresh_from_db()
    assert report.state == "open"
