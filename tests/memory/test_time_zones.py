"""Every write and read path reads "tomorrow" and "yesterday" in the person's own time zone,
whatever the server's clock zone (UTC) and however the person is authenticated."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.services import api_token_create
from macaron.timeexpr import TimeRange
from memory.models import Memory
from memory.retrieval.search import Filters, retrieve
from memory.services import memory_create, memory_update
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

TOKYO = ZoneInfo("Asia/Tokyo")
LOS_ANGELES = ZoneInfo("America/Los_Angeles")
# 08:30 on Tuesday 1 December in Tokyo is still Monday 30 November in UTC.
TOKYO_MORNING = datetime(2026, 11, 30, 23, 30, tzinfo=UTC)
# 23:30 on Monday 30 November in Los Angeles is already Tuesday 1 December in UTC.
LA_NIGHT = datetime(2026, 12, 1, 7, 30, tzinfo=UTC)


@pytest.fixture
def clock(monkeypatch):
    class Clock:
        now = TOKYO_MORNING

    monkeypatch.setattr(timezone, "now", lambda: Clock.now)
    return Clock


def local_days(memory: Memory, zone: ZoneInfo) -> tuple[date, date]:
    memory.refresh_from_db()
    return memory.event_time.astimezone(zone).date(), memory.event_end.astimezone(zone).date()


def token_client(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {api_token_create(user=user).secret}")
    return client


@pytest.mark.parametrize(
    ("zone", "moment", "tomorrow"),
    [(TOKYO, TOKYO_MORNING, date(2026, 12, 2)), (LOS_ANGELES, LA_NIGHT, date(2026, 12, 1))],
)
def test_memory_create_reads_tomorrow_in_the_persons_zone(clock, zone, moment, tomorrow):
    clock.now = moment
    person = UserFactory(time_zone=zone.key)
    memory = memory_create(user=person, text="Dentist appointment tomorrow")
    assert local_days(memory, zone) == (tomorrow, tomorrow)


def test_memory_update_reads_the_new_text_in_the_persons_zone(clock):
    person = UserFactory(time_zone="Asia/Tokyo")
    memory = memory_create(user=person, text="I should see a dentist")
    memory_update(user=person, memory_id=memory.id, text="Dentist appointment tomorrow")
    assert local_days(memory, TOKYO) == (date(2026, 12, 2), date(2026, 12, 2))


def test_token_authenticated_create_uses_the_persons_zone(clock):
    person = UserFactory(time_zone="Asia/Tokyo")
    response = token_client(person).post(
        "/api/v1/memories/", {"text": "Dentist appointment tomorrow"}, format="json"
    )
    assert response.status_code == 201, response.content
    memory = Memory.objects.get(user=person)
    assert local_days(memory, TOKYO) == (date(2026, 12, 2), date(2026, 12, 2))
    # Shown in the person's zone too, as a session would see it.
    assert response.json()["event_time"].startswith("2026-12-02T00:00:00+09:00")


def test_retrieval_filters_by_the_persons_yesterday(clock):
    person = UserFactory(time_zone="Asia/Tokyo")
    clock.now = datetime(2026, 11, 30, 12, 0, tzinfo=TOKYO)
    dentist = memory_create(user=person, text="Today I went to the dentist")
    clock.now = datetime(2026, 11, 29, 12, 0, tzinfo=TOKYO)
    memory_create(user=person, text="Today I baked bread")
    clock.now = TOKYO_MORNING

    result = retrieve(
        user=person,
        query="What did I do yesterday?",
        filters=Filters(strict_time=True),
        now=TOKYO_MORNING,
    )
    assert result.time_range == TimeRange(date(2026, 11, 30), date(2026, 11, 30))
    assert [item.id for item in result.items] == [dentist.id]
    assert result.items[0].event == TimeRange(date(2026, 11, 30), date(2026, 11, 30))


def test_token_authenticated_search_reads_yesterday_in_the_persons_zone(clock):
    person = UserFactory(time_zone="Asia/Tokyo")
    response = token_client(person).post(
        "/api/v1/memories/search/", {"query": "What did I do yesterday?"}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["time_range"] == "30 November 2026"
