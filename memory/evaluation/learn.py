"""Offline learning from labelled conversations (LoCoMo format): every conversation goes
through the real ingestion, every question through the real retrieve() once, recording each
candidate's features (the candidate set does not depend on the policy). Policies are then
fitted and compared on what was recorded, replaying the rest of retrieve() (the ranking by the
policy's scores, maximal marginal relevance, the cut): `simulate(HAND)` gives the same figures
as `evaluate()` with the hand policy, which the tests check."""

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from tqdm import tqdm

from memory.evaluation.locomo import Sample, eval_user, ingest_sample
from memory.evaluation.metrics import CATEGORIES, RECALL_AT, evidence_ids
from memory.learning.fit import Pairs, fit_prior
from memory.learning.policy import HAND, Policy
from memory.models import Memory, MemorySource
from memory.privacy.erasure import user_erase
from memory.retrieval.search import DEFAULT_WEIGHTS, POOL, _mmr, retrieve

K = 10
DEPTH = max(K, max(RECALL_AT))


@dataclass(frozen=True)
class Recorder(Policy):
    """Scores like `prior` and keeps what it scored (one entry per retrieve() call)."""

    prior: Policy = HAND
    sink: list = field(default_factory=list, compare=False)

    def score(self, matrix: np.ndarray, ids: Sequence[int] = ()) -> np.ndarray:
        self.sink.append((list(ids), matrix.copy()))
        return self.prior.score(matrix, ids)


@dataclass
class Question:
    conversation: int  # index of the sample
    category: int
    evidence: frozenset[str]
    ids: list[int]
    matrix: np.ndarray
    labels: np.ndarray  # 1.0 where the candidate holds evidence


@dataclass
class Corpus:
    questions: list[Question] = field(default_factory=list)
    vectors: dict[int, np.ndarray] = field(default_factory=dict)
    sources: dict[int, list[str]] = field(default_factory=dict)
    samples: list[str] = field(default_factory=list)


def collect(samples: list[Sample], *, progress: bool = True) -> Corpus:
    """Ingest each sample into a throwaway person, retrieve once per question, record."""
    corpus = Corpus()
    for index, sample in enumerate(samples):
        corpus.samples.append(sample.sample_id)
        user = eval_user()
        try:
            end = ingest_sample(user, sample, progress=progress)
            for memory_id, embedding in Memory.objects.filter(user=user).values_list(
                "id", "embedding"
            ):
                corpus.vectors[memory_id] = np.asarray(embedding, dtype=np.float32)
            for memory_id, external_id in MemorySource.objects.filter(
                memory__user=user
            ).values_list("memory_id", "external_id"):
                if external_id:
                    corpus.sources.setdefault(memory_id, []).append(external_id)
            recorder = Recorder(name="hand", form=HAND.form, weights=HAND.weights)
            for qa in tqdm(
                sample.questions, desc=f"record {sample.sample_id}", disable=not progress
            ):
                evidence = frozenset(evidence_ids(qa.evidence))
                if not evidence:
                    continue
                retrieve(
                    user=user,
                    query=qa.question,
                    k=DEPTH,
                    budget=None,
                    purpose="evaluation",
                    now=end,
                    policy=recorder,
                )
                ids, matrix = recorder.sink.pop()
                labels = np.array(
                    [1.0 if evidence & set(corpus.sources.get(m, ())) else 0.0 for m in ids]
                )
                corpus.questions.append(Question(index, qa.category, evidence, ids, matrix, labels))
        finally:
            user_erase(user=user, reason="memory_learn throwaway user")
    return corpus


def ranked(question: Question, policy: Policy, vectors: dict[int, np.ndarray]) -> list[int]:
    """What retrieve() returns for this question under `policy` (no budget)."""
    values = policy.score(question.matrix).tolist()
    scores = dict(zip(question.ids, values, strict=True))
    order = sorted(scores, key=scores.__getitem__, reverse=True)[: max(POOL, 3 * DEPTH)]
    return _mmr(order, scores, {m: vectors[m] for m in order}, DEPTH, DEFAULT_WEIGHTS.mmr_lambda)


def simulate(corpus: Corpus, policy: Policy, conversations: set[int] | None = None) -> dict:
    """Evidence recall@n overall (categories 1-4) and by category, as `evaluate()` reports."""
    overall: dict[int, list[float]] = {n: [] for n in RECALL_AT}
    by_category: dict[int, dict[int, list[float]]] = {}
    for question in corpus.questions:
        if conversations is not None and question.conversation not in conversations:
            continue
        chosen = ranked(question, policy, corpus.vectors)
        category = by_category.setdefault(question.category, {n: [] for n in RECALL_AT})
        for n in RECALL_AT:
            covered = {e for m in chosen[:n] for e in corpus.sources.get(m, ())}
            value = len(question.evidence & covered) / len(question.evidence)
            category[n].append(value)
            if question.category != 5:
                overall[n].append(value)

    def means(values: dict[int, list[float]]) -> dict:
        return {
            **{
                f"recall@{n}": round(float(np.mean(v)), 4) if v else None for n, v in values.items()
            },
            "questions": len(values[RECALL_AT[0]]),
        }

    return {
        "overall": means(overall),
        "by_category": {
            f"{c} {CATEGORIES.get(c, '')}".strip(): means(v) for c, v in sorted(by_category.items())
        },
    }


def pairs_of(corpus: Corpus, conversations: set[int]) -> Pairs:
    return Pairs.from_questions(
        [(q.matrix, q.labels) for q in corpus.questions if q.conversation in conversations]
    )


def learn(corpus: Corpus, conversations: set[int] | None = None, name: str = "learned") -> Policy:
    chosen = set(range(len(corpus.samples))) if conversations is None else conversations
    return fit_prior(pairs_of(corpus, chosen), prior=HAND, name=name)


def cross_validate(corpus: Corpus, progress: bool = True) -> dict:
    """Leave one conversation out: fit on the others, measure on it, hand and learned alike.
    Returns per-fold figures and the pooled held-out figures."""
    folds = []
    pooled_hand: list[Question] = []
    everyone = set(range(len(corpus.samples)))
    held_policies: dict[int, Policy] = {}
    for held in tqdm(sorted(everyone), desc="cross-validate", disable=not progress):
        policy = learn(corpus, everyone - {held}, name=f"cv-{held}")
        held_policies[held] = policy
        folds.append(
            {
                "held_out": corpus.samples[held],
                "hand": simulate(corpus, HAND, {held})["overall"],
                "learned": simulate(corpus, policy, {held})["overall"],
            }
        )
        pooled_hand.extend(q for q in corpus.questions if q.conversation == held)
    pooled_learned = _pooled(corpus, held_policies)
    return {
        "folds": folds,
        "hand": simulate(corpus, HAND),
        "learned": pooled_learned,
    }


def _pooled(corpus: Corpus, policies: dict[int, Policy]) -> dict:
    """Each conversation measured with the policy fitted without it, pooled."""
    merged: dict = {}
    parts = [(simulate(corpus, policy, {held}), held) for held, policy in sorted(policies.items())]

    # pool by re-weighting per-conversation means with their question counts
    def pool(key: str | None) -> dict:
        out: dict = {}
        total = 0
        sums: dict[str, float] = {}
        for result, _ in parts:
            block = result["overall"] if key is None else result["by_category"].get(key)
            if not block or not block["questions"]:
                continue
            total += block["questions"]
            for name, value in block.items():
                if name.startswith("recall@") and value is not None:
                    sums[name] = sums.get(name, 0.0) + value * block["questions"]
        for name, value in sums.items():
            out[name] = round(value / total, 4)
        out["questions"] = total
        return out

    categories = sorted({c for result, _ in parts for c in result["by_category"]})
    merged["overall"] = pool(None)
    merged["by_category"] = {c: pool(c) for c in categories}
    return merged
