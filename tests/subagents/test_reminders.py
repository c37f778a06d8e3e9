from datetime import UTC, date, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from macaron.errors import NotFound
from subagents.models import Installation, ReminderFire
from subagents.reminders import next_slot, reminder_dismiss, reminders_raise_due
from subagents.services import (
    installation_create,
    installation_pause,
    installation_settings_update,
    installation_uninstall,
)
from subagents.usage import usage_listener_register, usage_listener_unregister
from tests.factories import UserFactory
from tests.subagents.specs import hydration

pytestmark = pytest.mark.django_db

INSTALLED = datetime(2026, 11, 30, 0, 0, tzinfo=UTC)  # 09:00 in Tokyo


def tokyo_user():
    return UserFactory(time_zone="Asia/Tokyo")


def test_next_slot_in_the_person_time_zone():
    daily = [
        {"index": 0, "kind": "daily", "times": ["09:00", "15:00"], "weekdays": [], "every_days": 1}
    ]
    after = datetime(2026, 11, 30, 0, 0, tzinfo=UTC)  # exactly 09:00 Tokyo
    assert next_slot(
        schedule=daily, after=after, zone_name="Asia/Tokyo", anchor=date(2026, 11, 30)
    ) == (datetime(2026, 11, 30, 6, 0, tzinfo=UTC), [0])
    weekly = [{"index": 1, "kind": "weekly", "times": ["08:00"], "weekdays": [0], "every_days": 1}]
    # 30 Nov 2026 is a Monday; after 08:00 the next Monday is 7 Dec.
    assert next_slot(
        schedule=weekly, after=after, zone_name="Asia/Tokyo", anchor=date(2026, 11, 30)
    )[0] == datetime(2026, 12, 6, 23, 0, tzinfo=UTC)
    every3 = [{"index": 2, "kind": "interval", "times": ["20:00"], "weekdays": [], "every_days": 3}]
    assert next_slot(
        schedule=every3,
        after=datetime(2026, 11, 30, 12, 0, tzinfo=UTC),
        zone_name="Asia/Tokyo",
        anchor=date(2026, 11, 30),
    )[0] == datetime(2026, 12, 3, 11, 0, tzinfo=UTC)


def test_a_slot_fires_once_even_when_beat_runs_twice():
    user = tokyo_user()
    installation = installation_create(user=user, spec=hydration(), source="builder", now=INSTALLED)
    installation.refresh_from_db()
    assert installation.next_reminder_at == datetime(2026, 11, 30, 6, 0, tzinfo=UTC)
    assert installation.schedule[0]["times"] == ["09:00", "15:00"]
    assert reminders_raise_due(now=datetime(2026, 11, 30, 5, 59, tzinfo=UTC)) == 0
    due = datetime(2026, 11, 30, 6, 0, 30, tzinfo=UTC)
    assert reminders_raise_due(now=due) == 1
    assert reminders_raise_due(now=due) == 0
    fire = ReminderFire.objects.get()
    assert (fire.reminder_index, fire.slot_at) == (0, datetime(2026, 11, 30, 6, 0, tzinfo=UTC))
    installation.refresh_from_db()
    assert installation.next_reminder_at == datetime(2026, 12, 1, 0, 0, tzinfo=UTC)


def test_a_paused_or_uninstalled_tool_raises_nothing_and_resume_counts_from_now():
    user = tokyo_user()
    paused = installation_create(user=user, spec=hydration(), source="builder", now=INSTALLED)
    gone = installation_create(user=user, spec=hydration(), source="builder", now=INSTALLED)
    installation_pause(user=user, installation_id=paused.id)
    installation_uninstall(user=user, installation_id=gone.id)
    assert reminders_raise_due(now=datetime(2026, 12, 2, tzinfo=UTC)) == 0
    installation_pause(user=user, installation_id=paused.id, paused=False)
    paused.refresh_from_db()
    assert paused.next_reminder_at > datetime.now(UTC)  # nothing missed while paused


def test_new_reminder_times_from_the_settings_are_used():
    user = tokyo_user()
    installation = installation_create(user=user, spec=hydration(), source="builder", now=INSTALLED)
    installation_settings_update(
        user=user, installation_id=installation.id, reminders={"0": ["07:15"]}
    )
    installation.refresh_from_db()
    assert installation.schedule[0]["times"] == ["07:15"]
    local = installation.next_reminder_at.astimezone(__import__("zoneinfo").ZoneInfo("Asia/Tokyo"))
    assert (local.hour, local.minute) == (7, 15)


def test_raising_many_tools_takes_a_fixed_number_of_queries():
    for _ in range(6):
        installation_create(user=tokyo_user(), spec=hydration(), source="builder", now=INSTALLED)
    with CaptureQueriesContext(connection) as queries:
        assert reminders_raise_due(now=datetime(2026, 11, 30, 6, 1, tzinfo=UTC)) == 6
    assert len(queries) <= 8
    assert (
        Installation.objects.filter(
            next_reminder_at__lte=datetime(2026, 11, 30, 6, 1, tzinfo=UTC)
        ).count()
        == 0
    )


def test_acting_on_a_reminder_counts_as_usage():
    user = tokyo_user()
    installation_create(user=user, spec=hydration(), source="builder", now=INSTALLED)
    reminders_raise_due(now=datetime(2026, 11, 30, 6, 1, tzinfo=UTC))
    fire = ReminderFire.objects.get()
    seen = []

    def listener(*, installation, kind, count):
        seen.append(kind)

    usage_listener_register(listener)
    try:
        reminder_dismiss(user=user, fire_id=fire.id, acted=True)
        reminder_dismiss(user=user, fire_id=fire.id, acted=True)
    finally:
        usage_listener_unregister(listener)
    assert seen == ["reminder_acted"]
    with pytest.raises(NotFound):
        reminder_dismiss(user=UserFactory(), fire_id=fire.id)


@pytest.mark.django_db(transaction=True)
def test_the_beat_task_runs_on_a_real_worker(celery_worker):
    from subagents.tasks import raise_due_reminders

    user = tokyo_user()
    installation_create(
        user=user, spec=hydration(), source="builder", now=datetime(2020, 1, 1, tzinfo=UTC)
    )
    assert raise_due_reminders.delay().get(timeout=30) == 1
    assert ReminderFire.objects.filter(user=user).count() == 1
