import json
import math
import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from celery.signals import before_task_publish
from django.db import connection
from django.utils import timezone

from macaron.vault import cipher_for
from memory.episodes.compress import EPISODE_MESSAGES, SHORT_TERM_WINDOW
from memory.models import Episode, Memory, MemorySource, Message
from memory.services import (
    DECAY_DAYS,
    MessageIn,
    conversation_create,
    memories_decay,
    memory_create,
    messages_ingest,
    messages_store,
)
from memory.tasks import compress_conversation, decay_strength, encode_late_vectors
from tests.factories import UserFactory

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

START = datetime(2024, 5, 6, 8, 0, tzinfo=UTC)
TOPICS = [
    "My brother Kenji is moving to Osaka for a new job at a bakery",
    "I started learning the cello and practise every evening",
    "The garden needs new tomato plants after the blight",
    "I love hiking near Lake Biwa when the leaves turn red",
]


@pytest.fixture
def published():
    """Every task message this process publishes: (task name, body, headers)."""
    seen = []

    def record(sender=None, body=None, headers=None, **kwargs):
        seen.append((sender, body, headers))

    before_task_publish.connect(record, weak=False)
    yield seen
    before_task_publish.disconnect(record)


def wait_for(predicate, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError("timed out waiting for the worker")


def test_ingest_enqueues_compression_after_commit_and_the_worker_creates_an_episode(
    celery_worker, published
):
    person = UserFactory()
    secret = f"Zebra-{uuid.uuid4().hex}"
    conversation = conversation_create(user=person)
    count = SHORT_TERM_WINDOW + EPISODE_MESSAGES + 1
    items = [
        MessageIn(text=f"Please remember that my secret canary is {secret}!", sent_at=START)
    ] + [
        MessageIn(text=f"{TOPICS[i % len(TOPICS)]} ({i})", sent_at=START + timedelta(minutes=i))
        for i in range(1, count)
    ]

    stored = messages_ingest(user=person, conversation=conversation, messages=items)

    compressions = [p for p in published if p[0] == "memory.compress_conversation"]
    assert len(compressions) == 1
    _, body, headers = compressions[0]
    args, kwargs, _embed = body
    assert list(args) == [conversation.id]
    assert kwargs == {}
    serialised = json.dumps([body, headers], default=str)
    assert secret not in serialised
    assert "canary" not in serialised

    episode = wait_for(lambda: Episode.objects.filter(conversation=conversation).first())
    memory = wait_for(lambda: Memory.objects.filter(episode=episode).first())
    chunk = stored[:EPISODE_MESSAGES]
    assert (episode.user_id, episode.first_message_id, episode.last_message_id) == (
        person.id,
        chunk[0].id,
        chunk[-1].id,
    )
    assert (episode.start_at, episode.end_at) == (chunk[0].sent_at, chunk[-1].sent_at)
    assert (memory.kind, memory.source, memory.user_id) == ("episode", "compression", person.id)
    summary = cipher_for(person.id).decrypt(memory.text_ct)
    assert secret in summary
    source_ids = set(
        MemorySource.objects.filter(memory=memory).values_list("message_id", flat=True)
    )
    assert chunk[0].id in source_ids
    assert source_ids <= {m.id for m in chunk}
    # Source messages are kept, and exactly the compressed chunk points at the episode.
    assert Message.objects.filter(conversation=conversation).count() == count
    assert set(Message.objects.filter(episode=episode).values_list("id", flat=True)) == {
        m.id for m in chunk
    }

    assert compress_conversation.delay(conversation.id).get(timeout=30) == 0

    assert Episode.objects.filter(conversation=conversation).count() == 1
    assert Memory.objects.filter(user=person, kind="episode").count() == 1
    assert MemorySource.objects.filter(memory=memory).count() == len(source_ids)


def test_short_conversation_enqueues_nothing(celery_worker, published):
    person = UserFactory()
    conversation = conversation_create(user=person)

    messages_ingest(
        user=person,
        conversation=conversation,
        messages=[
            MessageIn(text=f"{TOPICS[i % len(TOPICS)]} ({i})", sent_at=START + timedelta(minutes=i))
            for i in range(SHORT_TERM_WINDOW + EPISODE_MESSAGES - 1)
        ],
    )

    assert [p for p in published if p[0] == "memory.compress_conversation"] == []
    assert compress_conversation.delay(conversation.id).get(timeout=30) == 0
    assert not Episode.objects.exists()


def test_decay_task_fades_old_unpinned_memories_and_spares_pinned_ones(celery_worker):
    person = UserFactory()
    faded = memory_create(user=person, text="I went to a jazz concert in Kyoto")
    pinned = memory_create(user=person, text="My blood type is O negative", pinned=True)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE memory_memory SET strength_at = now() - make_interval(secs => %s) "
            "WHERE id = ANY(%s)",
            [2 * DECAY_DAYS * 86400, [faded.pk, pinned.pk]],
        )
    pinned_before = Memory.objects.values("strength", "strength_at").get(pk=pinned.pk)

    assert decay_strength.delay().get(timeout=30) == 1

    row = Memory.objects.get(pk=faded.pk)
    assert row.strength == pytest.approx(math.exp(-2), rel=1e-3)
    assert abs((timezone.now() - row.strength_at).total_seconds()) < 30
    assert Memory.objects.values("strength", "strength_at").get(pk=pinned.pk) == pinned_before
    assert pinned_before["strength"] == 1.0


def test_decay_is_idempotent_at_the_same_now():
    person = UserFactory()
    memories = [
        memory_create(user=person, text=text)
        for text in ("I went to a jazz concert in Kyoto", "My niece Hana turned seven")
    ]
    Memory.objects.filter(pk=memories[1].pk).update(recall_count=2)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE memory_memory SET strength_at = now() - make_interval(secs => %s) "
            "WHERE user_id = %s",
            [1.5 * DECAY_DAYS * 86400, person.id],
        )
    now = timezone.now()

    assert memories_decay(now=now) == 2
    first = dict(Memory.objects.filter(user=person).values_list("pk", "strength"))
    assert memories_decay(now=now) == 0
    assert memories_decay(now=now - timedelta(days=1)) == 0

    assert dict(Memory.objects.filter(user=person).values_list("pk", "strength")) == first
    assert first[memories[0].pk] == pytest.approx(math.exp(-1.5), rel=1e-3)
    assert first[memories[1].pk] == pytest.approx(math.exp(-0.5), rel=1e-3)
    # Decaying in two steps gives the same strength as in one (exponential, from strength_at).
    assert memories_decay(now=now + timedelta(days=DECAY_DAYS / 2)) == 2
    assert Memory.objects.get(pk=memories[0].pk).strength == pytest.approx(math.exp(-2), rel=1e-3)


def test_the_worker_stores_token_vectors_after_it_processes_a_persons_messages(celery_worker):
    person = UserFactory()
    conversation = conversation_create(user=person)
    messages_store(  # the worker processes them
        user=person,
        conversation=conversation,
        messages=[
            MessageIn(text=TOPICS[1], sent_at=START),
            MessageIn(text=TOPICS[2], sent_at=START),
        ],
    )
    english = Memory.objects.filter(user=person, language="en")
    wait_for(lambda: english.exists() and not english.filter(late_ct__isnull=True).exists())
    assert encode_late_vectors.delay(person.id).get(timeout=30) == 0  # nothing left to do
