"""The second stage inside the scoring policy: its share is the policy's `rerank` weight, never
part of the first score; reads log the reread memories' score as the `rerank` feature; the
offline fit chooses the share by recall."""

import numpy as np
import pytest

from memory.evaluation.learn import SECOND_STAGE_SHARES, Corpus, Question, learn, ranked
from memory.ingest.late import memories_late_encode
from memory.learning.explain import memory_reasons
from memory.learning.features import INDEX, F, unpack
from memory.learning.policy import HAND, Policy
from memory.models import RetrievalLog
from memory.retrieval.search import retrieve
from memory.services import memory_create

RERANK = INDEX["rerank"]


def test_the_share_never_changes_the_first_score():
    matrix = np.random.default_rng(3).random((6, F))
    assert np.array_equal(HAND.score(matrix), HAND.with_second_stage(9.0).score(matrix))
    assert HAND.second_stage == 2.0 and HAND.with_second_stage(0.0).second_stage == 0.0


def test_a_policy_written_before_the_second_stage_gets_the_hand_share():
    old = Policy.from_json({"name": "v1", "form": "loglinear", "weights": {"importance": 0.4}})
    assert old.second_stage == HAND.second_stage
    off = Policy.from_json({"form": "loglinear", "weights": {"rerank": 0.0}})
    assert off.second_stage == 0.0
    assert Policy.from_json(HAND.to_json()).second_stage == HAND.second_stage


@pytest.mark.django_db
def test_a_read_logs_the_second_stages_score_of_the_memories_it_reread(user):
    texts = [
        "I water the balcony tomatoes every evening after work.",
        "My neighbour gave me basil seedlings for the balcony.",
        "The balcony faces west, so it gets the evening sun.",
        "Slugs ate half of the lettuce last spring.",
    ]
    ids = [memory_create(user=user, text=text).id for text in texts]
    memories_late_encode(user_id=user.id)
    result = retrieve(user=user, query="When do I water the tomatoes?", k=4, policy=HAND)
    assert result.rerank_ms > 0
    log = RetrievalLog.objects.get(pk=result.retrieval_id)
    matrix = unpack(log.features)
    reread = dict(zip(log.candidate_ids, matrix[:, RERANK].tolist(), strict=True))
    assert set(reread) == set(ids)
    assert any(value != 0 for value in reread.values())
    assert reread[ids[0]] == max(reread.values())  # the memory that reads like the question
    # The person's memory page says so.
    reason = memory_reasons(user_id=user.id, memory_ids=[ids[0]])[ids[0]]
    assert "read like an answer to what you asked" in reason


def _corpus() -> Corpus:
    """Two questions whose evidence the first stage puts fourth and the second stage first."""
    corpus = Corpus(samples=["a", "b"])
    rng = np.random.default_rng(5)
    for conversation in (0, 1):
        ids = [conversation * 10 + i for i in range(5)]
        matrix = np.zeros((5, F))
        matrix[:, INDEX["fused"]] = [0.5, 0.45, 0.4, 0.35, 0.3]
        labels = np.array([0.0, 0.0, 0.0, 1.0, 0.0])
        late = {m: (9.0 if i == 3 else 1.0 + i / 10) for i, m in enumerate(ids)}
        for m in ids:
            corpus.vectors[m] = rng.normal(size=8).astype(np.float32)
            corpus.languages[m] = "en"
            corpus.sources[m] = [f"D{m}"]
        corpus.questions.append(
            Question(conversation, 4, frozenset({f"D{ids[3]}"}), ids, matrix, labels, late, True)
        )
    return corpus


def test_the_replay_reruns_the_second_stage_and_the_fit_chooses_its_share():
    corpus = _corpus()
    question = corpus.questions[0]
    assert ranked(question, HAND.with_second_stage(0.0), corpus.vectors, corpus.languages)[0] != 3
    assert ranked(question, HAND, corpus.vectors, corpus.languages)[0] == 3
    policy = learn(corpus)
    assert policy.second_stage in SECOND_STAGE_SHARES and policy.second_stage > 0
