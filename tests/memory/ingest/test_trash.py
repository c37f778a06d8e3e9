from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.utils import timezone

from macaron.celery import app
from memory.companion.reminders import reminders_raise_due, upcoming_reminders_for
from memory.models import AuditEvent, Memory, Reminder, TermStat
from memory.retrieval.search import Filters, retrieve
from memory.services import (
    MessageIn,
    conversation_create,
    memories_forget,
    memories_restore,
    memories_trash,
    memories_trash_empty,
    memories_trash_purge,
    memory_create,
    memory_update,
    messages_ingest,
)
from memory.tasks import purge_trash
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

CONCERT = "We're going to the Radiohead concert on 14 June"


def term_stats(user) -> dict[int, int]:
    return dict(TermStat.objects.filter(user_id=user.id).values_list("token", "df"))


def recounted(user) -> dict[int, int]:
    """Document frequencies counted afresh from the person's current memories."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT token, count(*) FROM memory_memory, unnest(lexical_tokens) AS token "
            "WHERE user_id = %s AND valid_to IS NULL AND forgotten_at IS NULL GROUP BY token",
            [user.id],
        )
        return dict(cursor.fetchall())


def ids_found(user, query: str, **filters) -> set[int]:
    result = retrieve(
        user=user, query=query, k=20, budget=None, filters=Filters(**filters), reinforce=False
    )
    return {item.id for item in result.items}


def trashed_ago(memory, days: float) -> None:
    Memory.objects.filter(pk=memory.pk).update(forgotten_at=timezone.now() - timedelta(days=days))


@pytest.fixture
def person():
    return UserFactory()


def test_trash_takes_a_memory_out_of_retrieval_and_term_stats(person):
    peanuts = memory_create(user=person, text="I am allergic to peanuts")
    cello = memory_create(user=person, text="I play the cello on weekends")
    assert peanuts.id in ids_found(person, "peanut allergy")

    assert memories_trash(user=person, memory_ids=[peanuts.id]) == [peanuts.id]

    assert Memory.objects.get(pk=peanuts.id).forgotten_at is not None
    assert peanuts.id not in ids_found(person, "peanut allergy")
    assert peanuts.id not in ids_found(person, "peanut allergy", include_history=True)
    assert ids_found(person, "peanut allergy") == {cello.id}
    assert term_stats(person) == recounted(person)
    assert not set(Memory.objects.get(pk=peanuts.id).lexical_tokens) & set(term_stats(person))
    [event] = AuditEvent.objects.filter(action="trash")
    assert (event.actor_id, event.memory_ids) == (person.id, [peanuts.id])


def test_trash_twice_and_someone_elses_ids_change_nothing(person):
    other = UserFactory()
    mine = memory_create(user=person, text="I am allergic to peanuts")
    theirs = memory_create(user=other, text="I collect stamps")
    memories_trash(user=person, memory_ids=[mine.id])
    stats = term_stats(person)

    assert memories_trash(user=person, memory_ids=[mine.id, theirs.id]) == []

    assert term_stats(person) == stats
    assert Memory.objects.get(pk=theirs.id).forgotten_at is None
    assert AuditEvent.objects.filter(action="trash").count() == 1


def test_restore_brings_it_back_everywhere(person):
    peanuts = memory_create(user=person, text="I am allergic to peanuts")
    memory_create(user=person, text="I play the cello on weekends")
    before = term_stats(person)
    memories_trash(user=person, memory_ids=[peanuts.id])

    assert memories_restore(user=person, memory_ids=[peanuts.id]) == [peanuts.id]

    assert Memory.objects.get(pk=peanuts.id).forgotten_at is None
    assert peanuts.id in ids_found(person, "peanut allergy")
    assert term_stats(person) == before == recounted(person)
    [event] = AuditEvent.objects.filter(action="restore")
    assert event.memory_ids == [peanuts.id]


def test_someone_else_cannot_restore_my_trash(person):
    memory = memory_create(user=person, text="I am allergic to peanuts")
    memories_trash(user=person, memory_ids=[memory.id])
    before = Memory.objects.filter(pk=memory.pk).values().get()

    assert memories_restore(user=UserFactory(), memory_ids=[memory.id]) == []
    assert memories_trash_empty(user=UserFactory(), memory_ids=[memory.id]) == 0

    assert Memory.objects.filter(pk=memory.pk).values().get() == before


def test_a_trashed_memory_cannot_be_edited_until_restored(person):
    memory = memory_create(user=person, text="I am allergic to peanuts")
    memories_trash(user=person, memory_ids=[memory.id])

    with pytest.raises(Exception, match="No such memory"):
        memory_update(user=person, memory_id=memory.id, text="I am allergic to cashews")
    assert Memory.objects.get(pk=memory.id).forgotten_at is not None


def test_saying_it_again_while_trashed_makes_a_new_memory(person):
    old = memory_create(user=person, text="I am allergic to peanuts")
    memories_trash(user=person, memory_ids=[old.id])

    new = memory_create(user=person, text="I am allergic to peanuts")

    assert new.id != old.id
    assert ids_found(person, "peanut allergy") == {new.id}
    assert term_stats(person) == recounted(person)


def test_restoring_an_older_fact_keeps_the_newer_statement_current(person):
    old = memory_create(user=person, text="I live in Lisbon")
    memories_trash(user=person, memory_ids=[old.id])
    new = memory_create(user=person, text="I live in Porto")
    assert Memory.objects.get(pk=new.id).valid_to is None

    assert memories_restore(user=person, memory_ids=[old.id]) == [old.id]

    old_row, new_row = Memory.objects.get(pk=old.id), Memory.objects.get(pk=new.id)
    assert (old_row.forgotten_at, old_row.valid_to) == (None, new_row.valid_from)
    assert new_row.valid_to is None
    assert term_stats(person) == recounted(person)


def test_restoring_the_newer_fact_sends_the_current_one_to_history(person):
    trashed = memory_create(user=person, text="I live in Lisbon")
    memories_trash(user=person, memory_ids=[trashed.id])
    current = memory_create(user=person, text="I live in Porto")
    # said earlier (an import, or messages processed out of order): the trashed one is newer
    Memory.objects.filter(pk=current.pk).update(valid_from=timezone.now() - timedelta(days=3))

    assert memories_restore(user=person, memory_ids=[trashed.id]) == [trashed.id]

    restored, demoted = Memory.objects.get(pk=trashed.id), Memory.objects.get(pk=current.id)
    assert restored.valid_to is None
    assert demoted.valid_to == restored.valid_from
    assert ids_found(person, "where do I live") == {trashed.id}
    assert term_stats(person) == recounted(person)


def test_restore_is_refused_after_the_grace_period(person, settings):
    settings.MEMORY_TRASH_DAYS = 7
    memory = memory_create(user=person, text="I am allergic to peanuts")
    memories_trash(user=person, memory_ids=[memory.id])
    trashed_ago(memory, 8)

    assert memories_restore(user=person, memory_ids=[memory.id]) == []
    assert Memory.objects.get(pk=memory.id).forgotten_at is not None
    assert term_stats(person) == recounted(person)


def test_purge_erases_only_what_is_past_the_grace_period_and_is_idempotent(person, settings):
    settings.MEMORY_TRASH_DAYS = 30
    bystander = UserFactory()
    keep = memory_create(user=person, text="I keep bees in the garden")
    due = memory_create(user=person, text="I am allergic to peanuts")
    recent = memory_create(user=person, text="My sister lives in Lisbon")
    theirs = memory_create(user=bystander, text="I am allergic to peanuts")
    memories_trash(user=person, memory_ids=[due.id, recent.id])
    memories_trash(user=bystander, memory_ids=[theirs.id])
    trashed_ago(due, 31)
    trashed_ago(recent, 29)
    trashed_ago(theirs, 45)
    stats = term_stats(person)

    assert memories_trash_purge(batch=1) == 2
    assert memories_trash_purge(batch=1) == 0

    assert set(Memory.objects.filter(user=person).values_list("id", flat=True)) == {
        keep.id,
        recent.id,
    }
    assert not Memory.objects.filter(pk=theirs.id).exists()
    assert term_stats(person) == stats == recounted(person)
    event = AuditEvent.objects.get(action="forget", subject_user_id=person.id)
    assert (event.actor_id, event.memory_ids) == (None, [due.id])
    assert event.purpose == "trash emptied after the grace period"
    # what is left still restores and is found again
    assert memories_restore(user=person, memory_ids=[recent.id]) == [recent.id]
    assert recent.id in ids_found(person, "where does my sister live")
    assert term_stats(person) == recounted(person)


def test_purge_skips_a_memory_restored_meanwhile(person):
    memory = memory_create(user=person, text="I am allergic to peanuts")
    memories_trash(user=person, memory_ids=[memory.id])
    cutoff = timezone.now()  # what the purge saw as past the grace period
    memories_restore(user=person, memory_ids=[memory.id])

    forgotten = memories_forget(
        user=person, memory_ids=[memory.id], purpose="x", trashed_before=cutoff
    )

    assert forgotten == 0
    assert Memory.objects.get(pk=memory.id).forgotten_at is None


def test_empty_trash_erases_only_trashed_memories(person):
    keep = memory_create(user=person, text="I keep bees in the garden")
    gone = memory_create(user=person, text="I am allergic to peanuts")
    memories_trash(user=person, memory_ids=[gone.id])

    assert memories_trash_empty(user=person, memory_ids=[gone.id, keep.id]) == 1

    assert list(Memory.objects.filter(user=person).values_list("id", flat=True)) == [keep.id]
    assert term_stats(person) == recounted(person)


def test_reminders_of_a_trashed_memory_are_not_raised_until_restored(person):
    [message] = messages_ingest(
        user=person,
        conversation=conversation_create(user=person),
        messages=[MessageIn(text=CONCERT, sent_at=timezone.now())],
    )
    memory = Memory.objects.get(sources__message=message)
    reminder = Reminder.objects.get(memory=memory)
    memories_trash(user=person, memory_ids=[memory.id])
    due = reminder.due_at + timedelta(minutes=1)

    assert reminders_raise_due(now=due) == 0
    assert Reminder.objects.get(pk=reminder.pk).state == Reminder.State.SCHEDULED
    assert upcoming_reminders_for(user=person) == []

    memories_restore(user=person, memory_ids=[memory.id])
    assert [item.memory_id for item in upcoming_reminders_for(user=person)] == [memory.id]


def test_the_purge_task_is_scheduled_and_runs(person, settings):
    memory = memory_create(user=person, text="I am allergic to peanuts")
    memories_trash(user=person, memory_ids=[memory.id])
    trashed_ago(memory, django_settings.MEMORY_TRASH_DAYS + 1)

    assert (
        django_settings.CELERY_BEAT_SCHEDULE["memory-purge-trash"]["task"] == "memory.purge_trash"
    )
    assert "memory.purge_trash" in app.tasks
    assert purge_trash() == 1
    assert purge_trash() == 0
    assert not Memory.objects.filter(pk=memory.id).exists()
