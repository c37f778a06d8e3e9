"""Embeddings keyed per person: a guessed sentence cannot be confirmed against the table,
and search ranks exactly as it did on vectors stored in clear."""

from datetime import UTC, datetime

import numpy as np
import pytest
from django.core.management import call_command
from django.db import connection

from macaron.embeddings import get_embedder
from macaron.vault import cipher_for
from macaron.vectorkey import VECTOR_KEY_VERSION, _rotation, vector_key
from memory.models import Memory
from memory.retrieval import search
from memory.retrieval.domains import tag_domains
from memory.retrieval.languages import language_centroids
from memory.retrieval.search import retrieve
from memory.services import memories_vectors_key, memory_create, user_erase
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

SECRET = "My daughter Mia was diagnosed with type 1 diabetes in March"
NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)
FACTS = [
    "I cook a big pot of lentil soup every Sunday",
    "My sister Hana lives in Osaka and teaches piano",
    "I ran my first half marathon in Lisbon last spring",
    "We are saving money for a flat near the river",
    "I take a vitamin D pill every morning in winter",
    "My boss moved our weekly meeting to Thursday",
    "I'm learning Korean with an evening course",
    "We flew to Sapporo for the snow festival",
    "I started knitting a scarf for my dad",
    "Dinner with friends at the ramen place on Friday",
]
QUERIES = [
    "What do I usually cook?",
    "Where does my sister live?",
    "Which race did I run?",
    "What am I saving money for?",
    "Which course am I taking?",
]


def cosine(a, b) -> float:
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


def stored(memory_id: int) -> np.ndarray:
    return np.asarray(Memory.objects.get(pk=memory_id).embedding)


def test_a_guessed_sentence_does_not_confirm_a_stored_memory():
    person = UserFactory()
    memory = memory_create(user=person, text=SECRET)
    guess = get_embedder().embed_documents([SECRET])[0]  # the public model, no key
    every_row = np.array(list(Memory.objects.values_list("embedding", flat=True)))

    keyed = vector_key(cipher_for(person.id), guess)

    assert Memory.objects.get(pk=memory.pk).vector_key == VECTOR_KEY_VERSION
    assert cosine(guess, stored(memory.pk)) < 0.3
    assert np.max(every_row @ guess) < 0.3  # nothing in the table matches the guess
    assert cosine(keyed, stored(memory.pk)) > 0.999  # with the person's key it would


def test_the_same_sentence_is_stored_differently_for_two_people():
    one, two = UserFactory(), UserFactory()
    first = memory_create(user=one, text=SECRET)
    second = memory_create(user=two, text=SECRET)

    assert cosine(stored(first.pk), stored(second.pk)) < 0.3


def ranking(person, query: str, vector: np.ndarray) -> list[int]:
    result = retrieve(
        user=person,
        query=query,
        k=5,
        budget=None,
        purpose="evaluation",
        now=NOW,
        query_vector=vector,
    )
    return [item.id for item in result.items]


def test_search_ranks_as_it_did_on_vectors_in_clear_and_the_migration_keys_them(monkeypatch):
    person, other = UserFactory(), UserFactory()
    memories = [memory_create(user=person, text=text) for text in FACTS]
    for text in FACTS[:3]:
        memory_create(user=other, text=text)
    keyed_before = {m.pk: stored(m.pk) for m in memories}
    cipher = cipher_for(person.id)
    rotation = _rotation(cipher.vector_seed, 384)
    # An install from before keying: the same rows, their vectors in clear.
    for memory_id, vector in keyed_before.items():
        Memory.objects.filter(pk=memory_id).update(
            embedding=(rotation.T @ vector).tolist(), vector_key=0
        )
    queries = [get_embedder().embed_query(query) for query in QUERIES]
    assert all(tag_domains(query) for query in QUERIES)  # the query vector only searches
    # What the code before keying returned: the query in clear against vectors in clear
    # (retrieve keys the query it is given, so it is handed the query's preimage; the same for
    # the language centroids it measures against).
    passages, questions = language_centroids()
    with monkeypatch.context() as clear:
        clear.setattr(
            search,
            "language_centroids",
            lambda: tuple(
                {lang: (rotation.T @ c).astype(np.float32) for lang, c in table.items()}
                for table in (passages, questions)
            ),
        )
        in_clear = [
            ranking(person, query, (rotation.T @ vector).astype(np.float32))
            for query, vector in zip(QUERIES, queries, strict=True)
        ]

    rotated = memories_vectors_key(batch_size=3)
    keyed = [ranking(person, q, v) for q, v in zip(QUERIES, queries, strict=True)]

    assert rotated == len(FACTS)
    assert keyed == in_clear
    assert all(len(ids) == 5 for ids in keyed)
    assert in_clear[1][0] == memories[1].pk  # "Where does my sister live?" → Osaka
    for memory_id, vector in keyed_before.items():
        row = Memory.objects.get(pk=memory_id)
        assert row.vector_key == VECTOR_KEY_VERSION
        assert np.allclose(np.asarray(row.embedding), vector, atol=1e-5)
    assert memories_vectors_key() == 0  # idempotent


def test_the_command_rotates_rows_written_in_clear(capsys):
    person = UserFactory()
    memory = memory_create(user=person, text="I keep bees on the roof")
    clear = get_embedder().embed_documents(["I keep bees on the roof"])[0]
    Memory.objects.filter(pk=memory.pk).update(embedding=clear.tolist(), vector_key=0)

    call_command("memory_vectors_key", "--batch-size", "10")

    out = capsys.readouterr().out
    assert "Rotated 1 vectors under their person's key; 0 left in clear." in out
    assert cosine(stored(memory.pk), clear) < 0.3
    assert cosine(stored(memory.pk), vector_key(cipher_for(person.id), clear)) > 0.999


@pytest.mark.django_db(transaction=True)
def test_erasure_drops_the_cached_rotations():
    person = UserFactory()
    memory_create(user=person, text=SECRET)
    assert _rotation.cache_info().currsize > 0

    user_erase(user=person, reason="test")

    assert _rotation.cache_info().currsize == 0
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM memory_datakey WHERE user_id = %s", [person.id])
        assert cursor.fetchone()[0] == 0
