from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from macaron.errors import NotFound
from macaron.vault import cipher_for
from memory.companion.reminders import (
    notification_count,
    notifications_for,
    reminder_dismiss,
    reminders_raise_due,
    upcoming_reminders_for,
)
from memory.models import Memory, Message, Reminder
from memory.services import MessageIn, conversation_create, memory_update, messages_ingest
from memory.tasks import raise_due_reminders
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

TOKYO = ZoneInfo("Asia/Tokyo")
WEDNESDAY = datetime(2026, 5, 6, 10, 0, tzinfo=TOKYO)  # 6 May 2026 is a Wednesday
PARTY = "My friend Sam's birthday party is this Friday"  # Friday 8 May
CONCERT = "We're going to the Radiohead concert on 14 June"


@pytest.fixture
def clock(monkeypatch):
    """Django's clock, set by the test (the write path asks it what "now" is)."""

    class Clock:
        now = WEDNESDAY + timedelta(minutes=1)

    monkeypatch.setattr(timezone, "now", lambda: Clock.now)
    return Clock


def say(user, text: str, sent_at: datetime, conversation=None) -> Memory:
    conversation = conversation or conversation_create(user=user)
    [message] = messages_ingest(
        user=user, conversation=conversation, messages=[MessageIn(text=text, sent_at=sent_at)]
    )
    return Memory.objects.get(sources__message=message)


def party_reminder(user, clock) -> Reminder:
    memory = say(user, PARTY, WEDNESDAY)
    return Reminder.objects.get(memory=memory)


# Scheduling ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("time_zone", "sent_at", "due_at"),
    [
        # The morning before Friday 8 May, in the person's zone, whatever zone the message had.
        ("Asia/Tokyo", WEDNESDAY, datetime(2026, 5, 7, 9, 0, tzinfo=TOKYO)),
        ("Asia/Tokyo", WEDNESDAY.astimezone(UTC), datetime(2026, 5, 7, 9, 0, tzinfo=TOKYO)),
        ("UTC", WEDNESDAY.astimezone(UTC), datetime(2026, 5, 7, 9, 0, tzinfo=UTC)),
    ],
)
def test_a_plan_next_friday_is_reminded_the_morning_before_in_the_persons_zone(
    clock, time_zone, sent_at, due_at
):
    person = UserFactory(time_zone=time_zone)

    memory = say(person, PARTY, sent_at)

    reminder = Reminder.objects.get()
    assert (reminder.user_id, reminder.memory_id, reminder.state) == (
        person.id,
        memory.id,
        Reminder.State.SCHEDULED,
    )
    assert memory.kind == Memory.Kind.PLAN
    assert reminder.due_at == due_at
    assert (reminder.raised_at, reminder.dismissed_at) == (None, None)


def test_an_event_tomorrow_is_reminded_that_morning(clock):
    person = UserFactory(time_zone="Asia/Tokyo")

    say(person, "My dentist appointment is tomorrow", WEDNESDAY)

    assert Reminder.objects.get().due_at == datetime(2026, 5, 7, 9, 0, tzinfo=TOKYO)


def test_a_plan_said_in_may_for_14_june_is_reminded_on_13_june(clock):
    person = UserFactory(time_zone="Asia/Tokyo")
    said = datetime(2026, 5, 20, 19, 30, tzinfo=TOKYO)
    clock.now = said

    memory = say(person, CONCERT, said)

    reminder = Reminder.objects.get()
    assert reminder.memory_id == memory.id
    assert reminder.due_at == datetime(2026, 6, 13, 9, 0, tzinfo=TOKYO)


def test_a_past_event_gets_no_reminder(clock):
    person = UserFactory(time_zone="Asia/Tokyo")

    memory = say(person, "I went to a wedding in Kyoto last Saturday", WEDNESDAY)

    assert memory.kind == Memory.Kind.EVENT
    assert not Reminder.objects.exists()


def test_a_plan_that_is_already_over_when_it_is_stored_gets_no_reminder(clock):
    person = UserFactory(time_zone="Asia/Tokyo")
    clock.now = datetime(2026, 5, 9, 12, 0, tzinfo=TOKYO)  # an import of old messages

    memory = say(person, PARTY, WEDNESDAY)

    assert memory.kind == Memory.Kind.PLAN
    assert not Reminder.objects.exists()


def test_a_reminder_whose_moment_has_passed_is_due_now_while_the_event_is_ahead(clock):
    person = UserFactory(time_zone="Asia/Tokyo")
    clock.now = datetime(2026, 5, 7, 12, 0, tzinfo=TOKYO)  # stored late, the day before

    say(person, PARTY, WEDNESDAY)

    assert Reminder.objects.get().due_at == clock.now


def test_saying_it_twice_keeps_one_memory_and_one_reminder(clock):
    person = UserFactory(time_zone="Asia/Tokyo")
    conversation = conversation_create(user=person)

    first = say(person, PARTY, WEDNESDAY, conversation)
    second = say(person, PARTY, WEDNESDAY + timedelta(minutes=5), conversation)

    assert first.id == second.id
    assert list(Reminder.objects.values_list("memory_id", flat=True)) == [first.id]


def test_facts_without_dates_get_no_reminder(clock):
    person = UserFactory()

    say(person, "I am allergic to peanuts and I love hiking", WEDNESDAY)

    assert not Reminder.objects.exists()


def test_editing_the_date_moves_the_reminder_and_removing_it_cancels(clock):
    person = UserFactory(time_zone="Asia/Tokyo")
    reminder = party_reminder(person, clock)

    memory_update(user=person, memory_id=reminder.memory_id, text=CONCERT)

    reminder.refresh_from_db()
    assert (reminder.state, reminder.due_at) == (
        Reminder.State.SCHEDULED,
        datetime(2026, 6, 13, 9, 0, tzinfo=TOKYO),
    )

    memory_update(user=person, memory_id=reminder.memory_id, text="Sam likes jazz")

    assert not Reminder.objects.exists()


def test_editing_other_fields_leaves_the_reminder_alone(clock):
    person = UserFactory(time_zone="Asia/Tokyo")
    reminder = party_reminder(person, clock)

    memory_update(user=person, memory_id=reminder.memory_id, pinned=True)

    assert Reminder.objects.get().due_at == reminder.due_at


# Raising ---------------------------------------------------------------------------------


def test_raising_before_due_does_nothing_after_due_raises_once(clock):
    person = UserFactory(time_zone="Asia/Tokyo")
    reminder = party_reminder(person, clock)

    assert reminders_raise_due(now=reminder.due_at - timedelta(seconds=1)) == 0
    assert Reminder.objects.get().state == Reminder.State.SCHEDULED

    later = reminder.due_at + timedelta(seconds=30)
    assert reminders_raise_due(now=later) == 1
    assert reminders_raise_due(now=later + timedelta(minutes=1)) == 0

    reminder.refresh_from_db()
    assert (reminder.state, reminder.raised_at) == (Reminder.State.RAISED, later)


def test_a_superseded_memory_is_not_raised(clock):
    person = UserFactory(time_zone="Asia/Tokyo")
    reminder = party_reminder(person, clock)
    Memory.objects.filter(pk=reminder.memory_id).update(valid_to=WEDNESDAY)

    assert reminders_raise_due(now=reminder.due_at) == 0
    assert not Reminder.objects.exists()


def test_the_companion_says_it_in_the_latest_conversation(clock):
    person = UserFactory(time_zone="Asia/Tokyo")
    conversation = conversation_create(user=person)
    say(person, PARTY, WEDNESDAY, conversation)
    due = Reminder.objects.get().due_at

    reminders_raise_due(now=due)

    said = Message.objects.filter(conversation=conversation).order_by("sent_at", "id")
    assert [(m.role, m.sent_at) for m in said] == [("user", WEDNESDAY), ("companion", due)]
    assert cipher_for(person.id).decrypt(said[1].text_ct) == (f"Don't forget: {PARTY} — 8 May 2026")
    assert Memory.objects.filter(user=person).count() == 1  # its own words are no memory


# Notifications ---------------------------------------------------------------------------


def test_notifications_show_raised_reminders_decrypted_newest_first(clock):
    person = UserFactory(time_zone="Asia/Tokyo")
    party = party_reminder(person, clock)
    concert = Reminder.objects.get(memory=say(person, CONCERT, WEDNESDAY))
    assert [n.id for n in upcoming_reminders_for(user=person)] == [party.id, concert.id]
    assert notifications_for(user=person) == []

    reminders_raise_due(now=party.due_at)
    reminders_raise_due(now=concert.due_at)

    items = notifications_for(user=person)
    assert [(n.id, n.memory_text, n.when, n.text) for n in items] == [
        (concert.id, CONCERT, "14 June 2026", f"Don't forget: {CONCERT} — 14 June 2026"),
        (party.id, PARTY, "8 May 2026", f"Don't forget: {PARTY} — 8 May 2026"),
    ]
    assert notification_count(user=person) == 2
    assert upcoming_reminders_for(user=person) == []


def test_notifications_speak_the_persons_language(clock):
    person = UserFactory(time_zone="Asia/Tokyo", preferred_language="ja")
    reminder = party_reminder(person, clock)
    reminders_raise_due(now=reminder.due_at)

    [item] = notifications_for(user=person)

    assert item.text == f"お忘れなく：{PARTY}（2026年5月8日）"


def test_notifications_speak_korean(clock):
    person = UserFactory(time_zone="Asia/Seoul", preferred_language="ko")
    reminder = party_reminder(person, clock)
    reminders_raise_due(now=reminder.due_at)

    [item] = notifications_for(user=person)

    assert (item.when, item.text) == ("2026년 5월 8일", f"잊지 마세요: {PARTY} — 2026년 5월 8일")


def test_a_secret_memory_is_reminded_without_its_text(clock):
    person = UserFactory(time_zone="Asia/Tokyo")
    conversation = conversation_create(user=person)
    memory = say(person, PARTY, WEDNESDAY, conversation)
    memory_update(user=person, memory_id=memory.id, privacy=Memory.Privacy.SECRET)

    reminders_raise_due(now=Reminder.objects.get().due_at)

    [item] = notifications_for(user=person)
    assert item.text == "Don't forget: something you asked me to keep secret — 8 May 2026"
    assert Message.objects.filter(conversation=conversation, role="companion").count() == 0


def test_dismissing_hides_the_notification(clock):
    person = UserFactory(time_zone="Asia/Tokyo")
    reminder = party_reminder(person, clock)
    reminders_raise_due(now=reminder.due_at)

    reminder_dismiss(user=person, reminder_id=reminder.id)

    reminder.refresh_from_db()
    assert (reminder.state, reminder.dismissed_at) == (Reminder.State.DISMISSED, clock.now)
    assert notifications_for(user=person) == []
    assert notification_count(user=person) == 0
    assert reminders_raise_due(now=reminder.due_at + timedelta(days=1)) == 0


def test_someone_else_cannot_see_or_dismiss_a_reminder(clock):
    person, stranger = UserFactory(), UserFactory()
    reminder = party_reminder(person, clock)
    reminders_raise_due(now=reminder.due_at)

    with pytest.raises(NotFound):
        reminder_dismiss(user=stranger, reminder_id=reminder.id)

    assert Reminder.objects.get().state == Reminder.State.RAISED
    assert notifications_for(user=stranger) == []
    assert upcoming_reminders_for(user=stranger) == []
    assert notification_count(user=stranger) == 0


# REST ------------------------------------------------------------------------------------


def test_api_lists_upcoming_then_notifications_and_dismisses(clock, user, auth_api):
    reminder = party_reminder(user, clock)

    upcoming = auth_api.get("/api/v1/reminders/")
    assert upcoming.status_code == 200
    assert [(r["id"], r["state"], r["memory_text"]) for r in upcoming.json()["results"]] == [
        (reminder.id, "scheduled", PARTY)
    ]
    assert auth_api.get("/api/v1/notifications/").json()["results"] == []

    reminders_raise_due(now=reminder.due_at)
    listed = auth_api.get("/api/v1/notifications/")
    assert listed.status_code == 200
    assert listed.json()["count"] == 1
    [body] = listed.json()["results"]
    assert body == {
        "id": reminder.id,
        "memory_id": reminder.memory_id,
        "state": "raised",
        "text": f"Don't forget: {PARTY} — 8 May 2026",
        "memory_text": PARTY,
        "when": "8 May 2026",
        "due_at": "2026-05-07T09:00:00Z",
        "raised_at": "2026-05-07T09:00:00Z",
    }

    dismissed = auth_api.post(f"/api/v1/notifications/{reminder.id}/dismiss/")
    assert dismissed.status_code == 200
    assert dismissed.json()["state"] == "dismissed"
    assert auth_api.get("/api/v1/notifications/").json()["results"] == []


def test_api_someone_elses_reminder_is_a_404(clock, auth_api):
    stranger = UserFactory()
    reminder = party_reminder(stranger, clock)
    reminders_raise_due(now=reminder.due_at)

    answer = auth_api.post(f"/api/v1/notifications/{reminder.id}/dismiss/")

    assert answer.status_code == 404
    assert answer.json()["error"]["code"] == "not_found"
    assert Reminder.objects.get().state == Reminder.State.RAISED
    assert auth_api.get("/api/v1/notifications/").json()["results"] == []
    assert auth_api.get("/api/v1/reminders/").json()["results"] == []


def test_api_needs_a_login(api):
    assert api.get("/api/v1/notifications/").status_code == 401


# Web -------------------------------------------------------------------------------------


def test_page_lists_notifications_and_dismiss_works(clock, client):
    person = UserFactory(time_zone="Asia/Tokyo")
    reminder = party_reminder(person, clock)
    concert = Reminder.objects.get(memory=say(person, CONCERT, WEDNESDAY))
    reminders_raise_due(now=reminder.due_at)
    client.force_login(person)

    page = client.get("/notifications/")

    assert page.status_code == 200
    html = page.content.decode()
    assert f'id="notification-{reminder.id}"' in html
    assert "Don&#x27;t forget: My friend Sam&#x27;s birthday party is this Friday" in html
    assert f'id="reminder-{concert.id}"' in html
    assert '<span class="bell-count">1</span>' in html

    answer = client.post(f"/notifications/{reminder.id}/dismiss/")

    assert (answer.status_code, answer["Location"]) == (302, "/notifications/")
    assert Reminder.objects.get(pk=reminder.pk).state == Reminder.State.DISMISSED
    html = client.get("/notifications/").content.decode()
    assert f'id="notification-{reminder.id}"' not in html
    assert "Nothing to remind you of right now." in html
    assert "bell-count" not in html


def test_page_someone_elses_reminder_is_a_404(clock, client):
    person, stranger = UserFactory(), UserFactory()
    reminder = party_reminder(person, clock)
    client.force_login(stranger)

    assert client.post(f"/notifications/{reminder.id}/dismiss/").status_code == 404
    assert client.get(f"/notifications/{reminder.id}/dismiss/").status_code == 405
    assert Reminder.objects.get().state == Reminder.State.SCHEDULED
    assert f'id="reminder-{reminder.id}"' not in client.get("/notifications/").content.decode()


def test_nav_shows_the_count_only_when_there_is_something(clock, client):
    person = UserFactory(time_zone="Asia/Tokyo")
    reminder = party_reminder(person, clock)
    client.force_login(person)
    assert "bell-count" not in client.get("/memories/").content.decode()

    reminders_raise_due(now=reminder.due_at)

    html = client.get("/memories/").content.decode()
    assert 'aria-label="Notifications (1)"' in html
    assert '<span class="bell-count">1</span>' in html


def test_anonymous_pages_do_not_ask_for_notifications(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert client.get("/accounts/login/").status_code == 200


# Worker ----------------------------------------------------------------------------------


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_the_beat_task_raises_due_reminders_on_a_real_worker(celery_worker):
    person = UserFactory()
    memory = say(person, "My friend Sam's birthday party is this Friday", timezone.now())
    Reminder.objects.filter(memory=memory).update(due_at=timezone.now() - timedelta(minutes=1))

    assert raise_due_reminders.delay().get(timeout=30) == 1

    reminder = Reminder.objects.get(memory=memory)
    assert reminder.state == Reminder.State.RAISED
    assert abs((timezone.now() - reminder.raised_at).total_seconds()) < 30
    assert raise_due_reminders.delay().get(timeout=30) == 0


PLANS = [
    "My dentist appointment is on 20 May",
    "We're going to the Radiohead concert on 14 June",
    "My sister's wedding is on 27 June",
    "The team offsite is on 3 July",
    "My flight to Lisbon leaves on 10 July",
    "The piano recital is on 18 July",
]


def raise_counting(person, plans: list[str], clock) -> tuple[int, int]:
    conversation = conversation_create(user=person)
    for plan in plans:
        say(person, plan, WEDNESDAY, conversation)
    due = clock.now + timedelta(days=1)
    Reminder.objects.filter(user=person).update(due_at=due - timedelta(minutes=1))
    with CaptureQueriesContext(connection) as queries:
        raised = reminders_raise_due(now=due)
    return raised, len(queries)


@pytest.mark.django_db(transaction=True)
def test_raising_reminders_costs_the_same_queries_for_2_or_6_reminders(clock):
    """No query per reminder: the conversation, the key and the write are once per person."""
    few = raise_counting(UserFactory(time_zone="Asia/Tokyo"), PLANS[:2], clock)
    clock.now += timedelta(days=1)
    many = raise_counting(UserFactory(time_zone="Asia/Tokyo"), PLANS, clock)

    assert (few[0], many[0]) == (2, 6)
    assert many[1] == few[1]
    said = Message.objects.filter(role="companion").count()
    assert said == 8
