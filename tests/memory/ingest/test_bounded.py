"""Bounded work: however long a message is, its processing makes at most MAX_CANDIDATES
memories of bounded size, with one embedding call and a bounded number of queries."""

from datetime import UTC, datetime

import pytest

from macaron.embeddings import get_embedder
from macaron.text import count_tokens
from macaron.vault import cipher_for
from memory.ingest.gate import (
    MAX_CANDIDATE_CHARS,
    MAX_CANDIDATE_TOKENS,
    MAX_CANDIDATES,
    Candidate,
    extract_candidates,
    most_informative,
)
from memory.models import Memory
from memory.retrieval.domains import tag_domains
from memory.services import (
    CONTEXT_CHARS,
    MAX_MESSAGE_CHARS,
    MessageIn,
    conversation_create,
    messages_ingest,
    messages_process,
    messages_store,
)

AT = datetime(2024, 5, 8, 18, 0, tzinfo=UTC)
# Fixed per batch (claim, load, previous messages, the person's lock, the duplicate lookups, the
# sources, the term statistics, marking processed, savepoints, the audit stream's lock) plus one
# write per memory.
MAX_QUERIES = 21 + MAX_CANDIDATES


def _sentences(n: int) -> str:
    return "".join(
        f"On {i % 28 + 1} May my cousin Aiko{i} visited Kyoto and we ate matcha ice cream. "
        for i in range(n)
    )


LONG_MESSAGES = {
    "sentences": _sentences(400)[:MAX_MESSAGE_CHARS],
    "no sentence ends": ("my sister Hana lives in Lisbon and plays the cello " * 400)[
        :MAX_MESSAGE_CHARS
    ],
    "unspaced japanese": ("私の妹の花子はリスボンに住んでいてチェロが大好きです" * 800)[
        :MAX_MESSAGE_CHARS
    ],
    "one huge word": "My sister Hana plays the cello " + "a" * (MAX_MESSAGE_CHARS - 31),
}


def warm_up() -> None:
    """What a worker process builds once when it starts (the domain prototypes)."""
    embedder = get_embedder()
    tag_domains("nothing in particular", embedder.embed_query("nothing in particular"))


@pytest.fixture
def embedding_calls(monkeypatch) -> list[list[str]]:
    """The texts of every `embed_documents` call of the real embedder (a spy on our call
    site; the embedding itself still runs)."""
    calls: list[list[str]] = []
    cls = type(get_embedder())
    original = cls.embed_documents

    def spy(self, texts):
        calls.append(list(texts))
        return original(self, texts)

    monkeypatch.setattr(cls, "embed_documents", spy)
    return calls


@pytest.mark.django_db
@pytest.mark.parametrize("name", list(LONG_MESSAGES))
def test_a_20000_character_message_costs_one_embedding_batch_and_bounded_queries(
    user, name, embedding_calls, django_assert_max_num_queries
):
    text = LONG_MESSAGES[name]
    assert len(text) == MAX_MESSAGE_CHARS
    [message] = messages_store(
        user=user,
        conversation=conversation_create(user=user),
        messages=[MessageIn(text=text, sent_at=AT)],
        enqueue=False,
    )
    warm_up()
    embedding_calls.clear()

    with django_assert_max_num_queries(MAX_QUERIES):
        assert messages_process(message_ids=[message.id]) == 1

    [embedded] = embedding_calls  # one batch for the whole message
    assert 1 <= len(embedded) <= MAX_CANDIDATES
    assert all(len(t) <= MAX_CANDIDATE_CHARS + CONTEXT_CHARS + 1 for t in embedded)
    memories = Memory.objects.filter(user=user)
    assert 1 <= memories.count() <= MAX_CANDIDATES
    cipher = cipher_for(user.id)
    for memory in memories:
        stored = cipher.decrypt(memory.text_ct)
        assert len(stored) <= MAX_CANDIDATE_CHARS
        assert memory.token_count == count_tokens(stored) <= MAX_CANDIDATE_TOKENS


@pytest.mark.django_db
def test_queries_do_not_grow_with_the_number_of_candidates(user, django_assert_max_num_queries):
    """Twenty different facts in one message: the duplicate checks are batched, so the count
    is the fixed part plus one insert each (it was about thirteen queries per candidate)."""
    facts = [
        f"My colleague {name} moved to {city} to study {topic} at the university there."
        for name, city, topic in zip(
            ["Aiko", "Ben", "Chloe", "Dev", "Emil", "Fatou", "Goran", "Hana", "Ines", "Jonas"],
            ["Lisbon", "Oslo", "Lima", "Pune", "Graz", "Dakar", "Split", "Kobe", "Porto", "Turku"],
            [
                "botany",
                "law",
                "music",
                "chess",
                "design",
                "physics",
                "poetry",
                "rowing",
                "optics",
                "dance",
            ],
            strict=True,
        )
    ]
    [message] = messages_store(
        user=user,
        conversation=conversation_create(user=user),
        messages=[MessageIn(text="\n\n".join(facts * 2), sent_at=AT)],
        enqueue=False,
    )
    warm_up()
    with django_assert_max_num_queries(MAX_QUERIES):
        messages_process(message_ids=[message.id])
    assert 1 < Memory.objects.filter(user=user).count() <= MAX_CANDIDATES


def _candidate(text: str, importance: float = 0.5) -> Candidate:
    return Candidate(text=text, importance=importance, kind="fact", event=None)


def test_the_cap_keeps_new_facts_over_variations_of_one_sentence():
    variations = [
        _candidate(f"My cousin Aiko{i} visited Kyoto and we ate matcha ice cream together.")
        for i in range(40)
    ]
    facts = [
        _candidate("My brother Ken teaches chemistry at a school in Osaka."),
        _candidate("Our daughter started violin lessons with a teacher from Vienna."),
        _candidate("I sold the old van and bought a bicycle for commuting."),
    ]

    kept = most_informative([*variations, *facts])

    assert len(kept) == MAX_CANDIDATES
    assert all(fact in kept for fact in facts)  # the last ones, not the first twenty
    assert kept == [c for c in [*variations, *facts] if c in kept]  # in message order


def test_the_cap_prefers_importance_and_keeps_a_repeated_candidate_once():
    plain = [
        _candidate(f"We walked along river number {i} on a grey afternoon.") for i in range(30)
    ]
    allergy = _candidate("Remember that I am allergic to peanuts.", importance=0.9)
    repeated = [_candidate("I love the cello."), _candidate("i love the cello.")]

    kept = most_informative([*plain, allergy, *repeated])

    assert len(kept) == MAX_CANDIDATES
    assert allergy in kept
    assert [c.text for c in kept].count("I love the cello.") == 1
    assert [c.text for c in kept].count("i love the cello.") == 0
    [once] = most_informative(repeated)
    assert (once.text, once.importance) == ("I love the cello.", pytest.approx(0.55))


@pytest.mark.django_db
def test_an_important_fact_at_the_end_of_a_long_message_is_remembered(user):
    text = _sentences(180) + "Please remember that I am allergic to peanuts and to shellfish."
    assert len(extract_candidates(text, AT)) > MAX_CANDIDATES
    messages_ingest(
        user=user,
        conversation=conversation_create(user=user),
        messages=[MessageIn(text=text, sent_at=AT)],
    )
    cipher = cipher_for(user.id)
    texts = [cipher.decrypt(m.text_ct) for m in Memory.objects.filter(user=user)]
    assert len(texts) <= MAX_CANDIDATES
    assert any("allergic to peanuts" in t for t in texts)


@pytest.mark.django_db
def test_two_statements_of_one_fact_in_one_batch_make_one_memory(user):
    """The duplicate check also sees what the same batch wrote a moment before."""
    messages_ingest(
        user=user,
        conversation=conversation_create(user=user),
        messages=[
            MessageIn(text="My sister Aiko lives in Lisbon.", sent_at=AT),
            MessageIn(text="My sister Aiko lives in Lisbon!", sent_at=AT),
        ],
    )
    [memory] = Memory.objects.filter(user=user)
    assert memory.sources.count() == 2
    [first] = extract_candidates("My sister Aiko lives in Lisbon.", AT)
    [second] = extract_candidates("My sister Aiko lives in Lisbon!", AT)
    assert memory.importance == pytest.approx(max(first.importance, second.importance) + 0.05)


@pytest.mark.django_db
def test_a_text_said_twice_in_one_batch_is_encoded_once(user, embedding_calls):
    """The same statement with the same context (here: the first message of two
    conversations) is one text for the encoder; both messages still point at the memory."""
    said = "My sister Hana moved to Lisbon last spring to study the cello."
    stored = [
        messages_store(
            user=user,
            conversation=conversation_create(user=user),
            messages=[MessageIn(text=said, sent_at=AT)],
            enqueue=False,
        )[0]
        for _ in range(2)
    ]
    warm_up()
    embedding_calls.clear()

    assert messages_process(message_ids=[m.id for m in stored]) == 2

    assert embedding_calls == [[said]]
    [memory] = Memory.objects.filter(user=user)
    assert sorted(memory.sources.values_list("message_id", flat=True)) == sorted(
        m.id for m in stored
    )
