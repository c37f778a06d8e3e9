"""Retrieval's second stage: token vectors computed after a memory is written, stored packed
and encrypted, and the English head of the first stage's order reread by late interaction."""

import hashlib

import numpy as np
import pytest
from django.db import connection

from macaron.late_interaction import DIM, _projection, get_late_encoder, maxsim, pack, unpack
from macaron.vault import cipher_for
from memory.ingest.late import memories_late_encode
from memory.learning.policy import HAND
from memory.models import Memory
from memory.retrieval import rerank as second_stage
from memory.retrieval.search import retrieve
from memory.services import memory_create, memory_update
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

FIRST_STAGE_ONLY = HAND.with_second_stage(0.0)


def test_a_packed_matrix_keeps_its_similarities_in_a_third_of_the_float_bytes():
    rows = np.random.default_rng(7).normal(size=(12, DIM)).astype(np.float32)
    rows /= np.linalg.norm(rows, axis=1, keepdims=True)
    blob = pack(rows)
    assert len(blob) == 3 + 12 * (2 + DIM)  # header, a float16 scale and DIM int8 per token
    restored = unpack(blob)
    assert restored.shape == rows.shape
    assert np.abs((restored * rows).sum(axis=1) - 1).max() < 0.01


def test_a_matrix_of_another_format_is_refused():
    blob = bytearray(pack(np.ones((2, DIM), dtype=np.float32)))
    blob[0] = 9
    with pytest.raises(ValueError, match="format 9"):
        unpack(bytes(blob))


def test_the_projection_never_changes():
    # Stored token vectors were made with it: a different one must be a new FORMAT.
    digest = hashlib.sha256(_projection().tobytes()).hexdigest()
    assert digest == "8f274f38cc9fc1d514297a0d439b23b891298dad98a7412e917ab840c6d74e0c"


def test_maxsim_prefers_the_memory_that_reads_like_the_question():
    encoder = get_late_encoder()
    assert encoder is not None
    group, verb = encoder.encode_documents(
        ["I went to an LGBTQ support group yesterday.", "I support my sister in everything."]
    )
    question = encoder.encode_query("When did she go to the support group?")
    assert maxsim(question, group) > maxsim(question, verb)


def test_token_vectors_are_stored_for_english_memories_once_and_cleared_by_an_edit(user):
    english = memory_create(user=user, text="I water the balcony tomatoes every evening.")
    japanese = memory_create(user=user, text="毎朝、駅まで自転車で行く。")

    assert memories_late_encode(user_id=user.id) == 1
    assert memories_late_encode(user_id=user.id) == 0  # idempotent

    english.refresh_from_db()
    japanese.refresh_from_db()
    assert japanese.late_ct is None
    stored = bytes(english.late_ct)
    # Encrypted like the text: the packed header is not readable at rest.
    plain = cipher_for(user.id).decrypt_bytes(stored, purpose=second_stage.PURPOSE)
    assert plain[:1] == b"\x01" and stored[:3] != plain[:3]
    assert unpack(plain).shape[1] == DIM

    memory_update(user=user, memory_id=english.id, text="I water the balcony herbs every evening.")
    english.refresh_from_db()
    assert english.late_ct is None
    assert memories_late_encode(user_id=user.id) == 1


def test_one_persons_fill_leaves_the_others_memories_alone(user):
    other_user = UserFactory()
    mine = memory_create(user=user, text="My bike has a red frame.")
    theirs = memory_create(user=other_user, text="My car is a blue hatchback.")
    assert memories_late_encode(user_id=user.id) == 1
    assert Memory.objects.get(pk=theirs.pk).late_ct is None
    assert Memory.objects.get(pk=mine.pk).late_ct is not None


@pytest.fixture
def garden(user) -> dict[str, int]:
    texts = [
        "I water the balcony tomatoes every evening after work.",
        "My neighbour gave me basil seedlings for the balcony.",
        "I bought a watering can with a long spout at the market.",
        "The balcony faces west, so it gets the evening sun.",
        "ベランダでミニトマトを育てている。",
        "I repotted the lemon tree into a bigger terracotta pot.",
        "Slugs ate half of the lettuce last spring.",
        "I read a book about composting kitchen scraps.",
    ]
    ids = {text: memory_create(user=user, text=text).id for text in texts}
    memories_late_encode(user_id=user.id)
    return ids


def test_an_english_question_is_reread_and_other_languages_keep_their_slots(user, garden):
    query = "When do I water the tomatoes?"
    first = retrieve(user=user, query=query, k=8, policy=FIRST_STAGE_ONLY, purpose="evaluation")
    second = retrieve(user=user, query=query, k=8, purpose="evaluation", policy=HAND)
    assert HAND.second_stage > 0 and second.rerank_ms > 0 and first.rerank_ms == 0

    japanese = garden["ベランダでミニトマトを育てている。"]
    first_ids, second_ids = [i.id for i in first.items], [i.id for i in second.items]
    assert sorted(first_ids) == sorted(second_ids)
    assert first_ids.index(japanese) == second_ids.index(japanese)
    assert second_ids[0] == garden["I water the balcony tomatoes every evening after work."]


def test_a_question_in_another_language_keeps_the_first_stage_order(user, garden):
    query = "トマトにはいつ水をやる？"
    first = retrieve(user=user, query=query, k=8, policy=FIRST_STAGE_ONLY, purpose="evaluation")
    second = retrieve(user=user, query=query, k=8, purpose="evaluation", policy=HAND)
    assert second.rerank_ms == 0
    assert [i.id for i in first.items] == [i.id for i in second.items]


def test_memories_without_token_vectors_keep_their_slots(user, garden):
    order = list(garden.values())
    pending = order[2]
    Memory.objects.filter(pk=pending).update(late_ct=None)
    languages = {m: Memory.objects.get(pk=m).language for m in order}
    scores = {m: float(len(order) - n) for n, m in enumerate(order)}
    with connection.cursor() as cursor:
        reranked = second_stage.rerank(
            cursor,
            cipher=cipher_for(user.id),
            user_id=user.id,
            query="What did the slugs eat?",
            order=order,
            first_stage=scores,
            languages=languages,
            weight=2.0,
        )
    assert sorted(reranked.order) == sorted(order)
    assert reranked.order.index(pending) == 2
    assert pending not in reranked.scores
    japanese = garden["ベランダでミニトマトを育てている。"]
    assert reranked.order.index(japanese) == order.index(japanese)
    assert reranked.order[0] == garden["Slugs ate half of the lettuce last spring."]


def test_switched_off_retrieval_keeps_its_first_stage(user, garden, settings):
    settings.RERANKER_ENABLED = False
    query = "When do I water the tomatoes?"
    result = retrieve(user=user, query=query, k=8, purpose="evaluation", policy=HAND)
    first = retrieve(user=user, query=query, k=8, policy=FIRST_STAGE_ONLY, purpose="evaluation")
    assert result.rerank_ms == 0
    assert [i.id for i in result.items] == [i.id for i in first.items]
    assert memories_late_encode(user_id=user.id) == 0
