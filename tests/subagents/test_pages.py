"""Tool pages: owner-only (anonymous → login, another person → 404), the form generated from
the spec, entries logged/edited/deleted, settings, uninstall, labels in the person's language."""

import json
import re

import pytest

from subagents.models import Entry, Installation
from subagents.selectors import entries_for_installation
from subagents.services import entry_create, installation_create
from tests.factories import UserFactory
from tests.subagents.images import image_bytes
from tests.subagents.specs import every_type, hydration

pytestmark = pytest.mark.django_db


@pytest.fixture
def owned(user):
    installation = installation_create(user=user, spec=hydration(), source="builder")
    entry = entry_create(user=user, installation_id=installation.id, values={"amount": 2})
    return installation, entry


def pages(installation_id: int, entry_id: int) -> list[tuple[str, str, dict]]:
    i, e = installation_id, entry_id
    return [
        ("get", "/tools/", {}),
        ("get", f"/tools/{i}/", {}),
        ("post", f"/tools/{i}/", {"amount": "3"}),
        ("get", f"/tools/entries/{e}/edit/", {}),
        ("post", f"/tools/entries/{e}/edit/", {"amount": "4"}),
        ("post", f"/tools/{i}/settings/", {"goal_0": "6", "reminder_0": "09:00"}),
        ("post", f"/tools/entries/{e}/delete/", {}),
        ("post", f"/tools/{i}/uninstall/", {}),
        ("post", f"/tools/{i}/delete-entries/", {}),
    ]


def test_anonymous_is_sent_to_log_in(client, owned):
    installation, entry = owned
    for method, url, data in pages(installation.id, entry.id):
        response = getattr(client, method)(url, data)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], url
    assert Entry.objects.count() == 1


def test_another_person_gets_404(client, owned):
    installation, entry = owned
    client.force_login(UserFactory())
    for method, url, data in pages(installation.id, entry.id)[1:]:
        assert getattr(client, method)(url, data).status_code == 404, url
    installation.refresh_from_db()
    assert installation.uninstalled_at is None and installation.settings == {}
    assert Entry.objects.count() == 1


def test_the_owner_logs_edits_and_deletes(client, user, owned):
    installation, entry = owned
    client.force_login(user)
    html = client.get("/tools/").content.decode()
    assert "Hydration log" in html and f'href="/tools/{installation.id}/"' in html
    html = client.get(f"/tools/{installation.id}/").content.decode()
    assert 'id="goal-ring-0"' in html and 'data-ratio="0.25"' in html
    assert 'id="chart-1"' in html and "vendor/chartjs/chart.umd.js" in html
    data = json.loads(re.search(r'id="views-data"[^>]*>(.*?)</script>', html, re.S)[1])
    assert data["views"][1]["data"]["values"][-1] == 2.0

    response = client.post(f"/tools/{installation.id}/", {"amount": "3", "drink": "tea"})
    assert response.status_code == 302
    response = client.post(f"/tools/{installation.id}/", {"amount": "99"})
    assert response.status_code == 400
    assert "Enter a value between 1 and 20." in response.content.decode()
    assert Entry.objects.count() == 2

    response = client.post(f"/tools/entries/{entry.id}/edit/", {"amount": "4", "note": "hi"})
    assert response.status_code == 302
    values = {
        item.id: item.values
        for item in entries_for_installation(user=user, installation_id=installation.id).items
    }
    assert values[entry.id] == {"amount": 4, "note": "hi"}
    assert client.post(f"/tools/entries/{entry.id}/delete/").status_code == 302
    assert Entry.objects.count() == 1

    client.post(
        f"/tools/{installation.id}/settings/",
        {"goal_0": "3", "reminder_0": "08:00, 20:00", "paused": "on"},
    )
    installation.refresh_from_db()
    assert installation.settings == {"goals": {"0": 3.0}, "reminders": {"0": ["08:00", "20:00"]}}
    assert installation.paused
    html = client.get(f"/tools/{installation.id}/").content.decode()
    assert 'data-ratio="1.0"' in html and "Goal met" in html

    client.post(f"/tools/{installation.id}/uninstall/")
    html = client.get("/tools/").content.decode()
    assert "1 entry kept" in html
    client.post(f"/tools/{installation.id}/delete-entries/")
    assert Installation.objects.count() == 0 and Entry.objects.count() == 0


def test_the_form_has_a_widget_for_every_field_type(client, user):
    installation = installation_create(user=user, spec=every_type(), source="builder")
    client.force_login(user)
    html = client.get(f"/tools/{installation.id}/").content.decode()
    for snippet in [
        'name="amount" step="any" min="0" max="5000"',
        'type="number" name="count"',
        '<textarea name="note"',
        '<select name="drink"',
        'type="checkbox" name="tags" value="gym"',
        'type="date" name="day"',
        'type="time" name="at"',
        'type="datetime-local" name="when"',
        'name="took" step="any" min="0"',
        'type="radio" name="mood" value="5"',
        'type="checkbox" name="cold"',
        'type="file" name="pic" accept="image/jpeg,image/png,image/webp"',
    ]:
        assert snippet in html, snippet
    png = image_bytes(fmt="PNG")
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client.post(
        f"/tools/{installation.id}/",
        {
            "count": "2",
            "tags": ["am", "gym"],
            "mood": "5",
            "cold": "on",
            "took": "1:15",
            "pic": SimpleUploadedFile("p.png", png, content_type="image/png"),
        },
    )
    assert response.status_code == 302
    [item] = entries_for_installation(user=user, installation_id=installation.id).items
    assert item.values["tags"] == ["am", "gym"] and item.values["took"] == 75.0
    assert item.values["pic"].startswith("data:image/png;base64,")
    assert item.values["cold"] is True and item.values["mood"] == 5
    html = client.get(f"/tools/{installation.id}/").content.decode()
    assert '<img class="entry-photo" src="data:image/png;base64,' in html


def test_labels_follow_the_person_language(client):
    person = UserFactory(preferred_language="ja")
    installation = installation_create(user=person, spec=hydration(), source="builder")
    client.force_login(person)
    html = client.get(f"/tools/{installation.id}/").content.decode()
    assert "水分記録" in html and "杯数" in html and '<option value="tea">お茶</option>' in html
    assert "マイツール" in html
    assert "目標：杯数（日）" in html and "今日" in html


def test_a_raised_reminder_shows_in_my_tools_and_log_now_opens_the_tool(client):
    from datetime import UTC, datetime

    from subagents.models import ReminderFire
    from subagents.reminders import reminders_raise_due

    person = UserFactory(time_zone="Asia/Tokyo")
    installation = installation_create(
        user=person, spec=hydration(), source="builder", now=datetime(2026, 11, 30, tzinfo=UTC)
    )
    reminders_raise_due(now=datetime(2026, 11, 30, 6, 1, tzinfo=UTC))
    fire = ReminderFire.objects.get()
    client.force_login(person)
    html = client.get("/tools/").content.decode()
    assert "Time for a glass of water" in html and 'class="bell-count tools-count">1<' in html
    other = UserFactory()
    client.force_login(other)
    assert client.post(f"/tools/reminders/{fire.id}/dismiss/").status_code == 404
    client.force_login(person)
    response = client.post(f"/tools/reminders/{fire.id}/dismiss/", {"acted": "1"})
    assert response["Location"] == f"/tools/{installation.id}/"
    fire.refresh_from_db()
    assert fire.dismissed_at is not None and fire.acted_at is not None
    assert "tools-count" not in client.get("/tools/").content.decode()


def test_my_tools_takes_a_fixed_number_of_queries(client, user):
    from datetime import UTC, datetime

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from subagents.reminders import reminders_raise_due

    client.force_login(user)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/tools/").status_code == 200
        return len(captured)

    installation_create(
        user=user, spec=hydration(), source="builder", now=datetime(2026, 11, 30, tzinfo=UTC)
    )
    reminders_raise_due(now=datetime(2026, 11, 30, 9, 1, tzinfo=UTC))
    one = queries()
    for _ in range(5):
        installation_create(
            user=user, spec=hydration(), source="builder", now=datetime(2026, 11, 30, tzinfo=UTC)
        )
    reminders_raise_due(now=datetime(2026, 12, 1, 9, 1, tzinfo=UTC))
    assert queries() == one


def test_tools_today_loads_the_data_key_once(user):
    """The today rings read each tool's entries; the person's key is loaded once, not per tool."""
    from datetime import UTC, datetime

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from subagents.selectors import tools_today

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            tools_today(user=user, now=datetime(2026, 11, 30, 12, tzinfo=UTC))
        return len(captured)

    installation_create(
        user=user, spec=hydration(), source="builder", now=datetime(2026, 11, 30, tzinfo=UTC)
    )
    one = queries()
    for _ in range(3):
        installation_create(
            user=user, spec=hydration(), source="builder", now=datetime(2026, 11, 30, tzinfo=UTC)
        )
    assert queries() <= one + 3  # one entries read per further tool, nothing more
