"""Store-first ingestion: a send stores and acknowledges; the worker's service processes once,
outside any transaction for the slow work; duplicates cannot race; term statistics stay exact."""

import json
import threading
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connections

from macaron.embeddings import get_embedder
from macaron.llm.openai_compat import OpenAICompatibleProvider
from macaron.vault import cipher_for
from memory.companion.chat import (
    chat_reply,
    chat_turn_start,
    conversation_start,
    turn_prepare,
)
from memory.episodes.compress import EPISODE_MESSAGES, SHORT_TERM_WINDOW, conversation_compress
from memory.ingest import store as memory_store
from memory.ingest.gate import MAX_CANDIDATES
from memory.ingest.process import messages_claim, messages_unprocessed
from memory.models import Memory, MemorySource, Message, TermStat
from memory.services import (
    MessageIn,
    conversation_create,
    memories_forget,
    memory_create,
    memory_update,
    messages_ingest,
    messages_process,
    messages_store,
)
from tests.factories import UserFactory
from tests.fake_llm import completion

AT = datetime(2024, 5, 8, 18, 0, tzinfo=UTC)
ALLERGY = "I am allergic to peanuts and I love hiking in the Alps"


def texts(user) -> list[str]:
    cipher = cipher_for(user.id)
    return sorted(cipher.decrypt(m.text_ct) for m in Memory.objects.filter(user=user))


@pytest.mark.django_db
def test_a_send_stores_at_once_and_the_worker_service_processes_it_once(user):
    conversation = conversation_start(user=user)
    prepared = chat_turn_start(user=user, conversation_id=conversation.id, text=ALLERGY)

    message = Message.objects.get(pk=prepared.message.id)
    assert message.processed_at is None
    assert message.claimed_at is not None  # held from the worker until the router has looked
    assert not Memory.objects.filter(user=user).exists()  # nothing extracted in the request
    turn_prepare(prepared)
    assert Message.objects.get(pk=message.id).claimed_at is None  # released to the worker
    assert prepared.window[-1]["content"] == ALLERGY  # the reply sees it (short-term window)
    chat_reply(prepared)

    assert messages_process(message_ids=[message.id]) == 1
    first = texts(user)
    assert any("peanuts" in text for text in first)
    stats = sorted(TermStat.objects.filter(user=user).values_list("token", "df"))
    # Processing again (a redelivered task, the sweep) changes nothing.
    assert messages_process(message_ids=[message.id]) == 0
    Message.objects.filter(pk=message.id).update(claimed_at=None)
    assert messages_process(message_ids=[message.id]) == 0
    assert texts(user) == first
    assert sorted(TermStat.objects.filter(user=user).values_list("token", "df")) == stats
    assert Message.objects.get(pk=message.id).processed_at is not None


@pytest.mark.django_db
def test_a_claimed_message_is_not_taken_twice_until_its_lease_expires(user):
    conversation = conversation_create(user=user)
    [message] = messages_store(
        user=user,
        conversation=conversation,
        messages=[MessageIn(text=ALLERGY, sent_at=AT)],
        enqueue=False,
    )
    assert messages_claim(message_ids=[message.id]) == [message.id]
    assert messages_claim(message_ids=[message.id]) == []  # another worker holds the lease
    assert messages_process(message_ids=[message.id]) == 0
    Message.objects.filter(pk=message.id).update(claimed_at=AT)  # that worker died long ago
    assert messages_process(message_ids=[message.id]) == 1


@pytest.mark.django_db
def test_the_acknowledgement_neither_embeds_nor_recalls(user, monkeypatch):
    """The send is stored and acknowledged before anything slow: recall, routing and the
    embedding model run afterwards, in `turn_prepare`."""
    calls: list[str] = []
    embedder = type(get_embedder())
    for name in ("embed_documents", "embed_query"):
        original = getattr(embedder, name)
        monkeypatch.setattr(
            embedder,
            name,
            lambda self, *a, _o=original, _n=name, **k: calls.append(_n) or _o(self, *a, **k),
        )
    conversation = conversation_start(user=user)
    prepared = chat_turn_start(user=user, conversation_id=conversation.id, text=ALLERGY)
    assert calls == []
    assert not prepared.prepared and prepared.memories == ()
    turn_prepare(prepared)
    assert "embed_query" in calls  # recall and the router embed the message now


@pytest.mark.django_db
def test_a_held_message_whose_request_died_is_remembered_by_the_sweep(user):
    conversation = conversation_start(user=user)
    prepared = chat_turn_start(user=user, conversation_id=conversation.id, text=ALLERGY)
    # The request died before routing: nothing takes the message while the hold lasts ...
    assert messages_process(message_ids=[prepared.message.id]) == 0
    assert messages_unprocessed(older_than_s=0) == []
    # ... and once the lease is over the sweep finds it and the worker remembers it.
    Message.objects.filter(pk=prepared.message.id).update(claimed_at=AT, created_at=AT)
    assert messages_unprocessed(older_than_s=0) == [prepared.message.id]
    assert messages_process(message_ids=[prepared.message.id]) == 1
    assert any("peanuts" in text for text in texts(user))


@pytest.mark.django_db
def test_a_message_yields_a_bounded_number_of_memories(user):
    facts = [
        f"My friend number {i} Aiko{i} lives in Lisbon and loves cello {i}." for i in range(60)
    ]
    conversation = conversation_create(user=user)
    messages_ingest(
        user=user,
        conversation=conversation,
        messages=[MessageIn(text=" ".join(facts), sent_at=AT)],
    )
    assert 0 < Memory.objects.filter(user=user).count() <= MAX_CANDIDATES


@pytest.mark.django_db(transaction=True)
def test_no_llm_or_embedding_call_runs_inside_a_transaction(settings, fake_llm, monkeypatch):
    """A spy on the real embedder and the real provider records whether the calling
    connection was inside a transaction (`in_atomic_block`) at each call."""
    main = connections["default"]
    calls: list[tuple[str, bool]] = []

    def spy(cls, name):
        original = getattr(cls, name)

        def guarded(self, *args, **kwargs):
            calls.append((name, main.in_atomic_block))
            return original(self, *args, **kwargs)

        monkeypatch.setattr(cls, name, guarded)

    for name in ("embed_documents", "embed_query"):
        spy(type(get_embedder()), name)
    for name in ("complete_json", "summarise", "stream_chat"):
        spy(OpenAICompatibleProvider, name)

    # This test process does the processing (so the spies see it): a worker left running by
    # another test must not take the message first.
    monkeypatch.setattr(memory_store, "processing_enqueue", lambda ids: None)
    user = UserFactory()
    conversation = conversation_start(user=user)
    prepared = chat_turn_start(user=user, conversation_id=conversation.id, text=ALLERGY)
    chat_reply(prepared)  # offline reply: no LLM configured yet

    settings.LLM_BASE_URL = fake_llm.url
    settings.LLM_TIMEOUT_S = 2
    facts = {"facts": [{"text": "I am allergic to peanuts.", "importance": 0.9}]}
    fake_llm.then(completion(json.dumps(facts)))
    assert messages_process(message_ids=[prepared.message.id]) == 1
    memory = Memory.objects.get(user=user, source="chat")
    memory_update(user=user, memory_id=memory.id, text="I am allergic to peanuts and cashews.")
    memory_create(user=user, text="My brother Ken lives in Osaka.")

    # Enough conversation for one episode (the person's side: the companion's lines are never
    # summarised): its summary comes from the LLM.
    start = AT
    count = SHORT_TERM_WINDOW + EPISODE_MESSAGES
    messages_store(
        user=user,
        conversation=conversation_create(user=user),
        messages=[
            MessageIn(text=f"Note {i}", sent_at=start + timedelta(minutes=i)) for i in range(count)
        ],
        enqueue=False,
    )
    fake_llm.then(completion("They talked about notes."))
    episode_conversation = Message.objects.filter(user=user).latest("id").conversation_id
    assert conversation_compress(conversation_id=episode_conversation) == 1

    names = Counter(name for name, _ in calls)
    assert names["embed_documents"] >= 4 and names["complete_json"] == 1
    assert names["summarise"] == 1
    assert [call for call in calls if call[1]] == []  # none inside a transaction


@pytest.mark.django_db(transaction=True)
def test_concurrent_processing_of_the_same_fact_keeps_one_memory():
    """Two workers process two messages stating the same fact at the same time: the person's
    write lock serialises the duplicate check, so one memory holds both sources."""
    user = UserFactory()
    conversation = conversation_create(user=user)
    stored = messages_store(
        user=user,
        conversation=conversation,
        messages=[
            MessageIn(text="My sister Aiko lives in Lisbon.", sent_at=AT),
            MessageIn(text="My sister Aiko lives in Lisbon.", sent_at=AT + timedelta(minutes=1)),
        ],
        enqueue=False,
    )
    barrier = threading.Barrier(2)
    errors = []

    def work(message_id):
        try:
            barrier.wait(5)
            messages_process(message_ids=[message_id])
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(m.id,)) for m in stored]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    memories = Memory.objects.filter(user=user, valid_to__isnull=True)
    assert memories.count() == 1
    assert MemorySource.objects.filter(memory=memories.get()).count() == 2
    assert Message.objects.filter(user=user, processed_at__isnull=True).count() == 0


def expected_stats(user) -> dict[int, int]:
    counts: Counter = Counter()
    for tokens in Memory.objects.filter(user=user, valid_to__isnull=True).values_list(
        "lexical_tokens", flat=True
    ):
        counts.update(set(tokens))
    return dict(counts)


def actual_stats(user) -> dict[int, int]:
    return dict(TermStat.objects.filter(user=user).values_list("token", "df"))


@pytest.mark.django_db
def test_term_statistics_stay_exact_through_edits_forgetting_and_superseding(user):
    conversation = conversation_create(user=user)
    messages_ingest(
        user=user,
        conversation=conversation,
        messages=[
            MessageIn(text="I live in Paris with my cat Miso.", sent_at=AT),
            MessageIn(text="I love hiking in the Alps every summer.", sent_at=AT + timedelta(1)),
        ],
    )
    assert actual_stats(user) == expected_stats(user) != {}
    home = memory_create(user=user, text="My favourite colour is green.")
    assert actual_stats(user) == expected_stats(user)

    memory_update(user=user, memory_id=home.id, text="My favourite tea is genmaicha.")
    assert actual_stats(user) == expected_stats(user)

    messages_ingest(  # supersedes "I live in Paris…"
        user=user,
        conversation=conversation,
        messages=[
            MessageIn(text="I now live in Berlin near the river.", sent_at=AT + timedelta(2))
        ],
    )
    assert Memory.objects.filter(user=user, valid_to__isnull=False).exists()
    assert actual_stats(user) == expected_stats(user)

    memories_forget(user=user, memory_ids=[home.id])
    assert actual_stats(user) == expected_stats(user)
    memories_forget(user=user, memory_ids=list(Memory.objects.values_list("id", flat=True)))
    assert actual_stats(user) == {}


@pytest.mark.django_db
def test_an_out_of_order_older_statement_does_not_replace_a_newer_one(user):
    conversation = conversation_create(user=user)
    older, newer = messages_store(
        user=user,
        conversation=conversation,
        messages=[
            MessageIn(text="I live in Paris with my cat.", sent_at=AT),
            MessageIn(text="I live in Berlin with my cat.", sent_at=AT + timedelta(1)),
        ],
        enqueue=False,
    )
    messages_process(message_ids=[newer.id])
    messages_process(message_ids=[older.id])
    current = Memory.objects.filter(user=user, valid_to__isnull=True)
    assert [cipher_for(user.id).decrypt(m.text_ct) for m in current] == [
        "I live in Berlin with my cat."
    ]
    assert actual_stats(user) == expected_stats(user)


@pytest.mark.django_db
def test_previous_texts_one_query_for_the_batch(django_assert_num_queries):
    from memory.ingest.process import _previous_texts

    user = UserFactory()
    conversation = conversation_create(user=user)
    stored = messages_store(
        user=user,
        conversation=conversation,
        messages=[
            MessageIn(role="companion", text="Where are you going?", sent_at=AT),
            MessageIn(role="user", text="To Kyoto.", sent_at=AT + timedelta(minutes=1)),
            MessageIn(role="user", text="With my sister.", sent_at=AT + timedelta(minutes=1)),
        ],
        enqueue=False,
    )
    first, second, third = stored
    ciphers = {user.id: cipher_for(user.id)}
    with django_assert_num_queries(1):
        previous = _previous_texts([first, second, third], ciphers)
    assert previous == {first.id: "", second.id: "Where are you going?", third.id: "To Kyoto."}
