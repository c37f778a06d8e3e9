"""Offline learning from labelled conversations (LoCoMo format): every conversation goes
through the real ingestion, every question through the real retrieve() once, recording each
candidate's features (the candidate set does not depend on the policy). Policies are then
fitted and compared on what was recorded, replaying the rest of retrieve() (the ranking by the
policy's scores, maximal marginal relevance, the cut): `simulate(HAND)` gives the same figures
as `evaluate()` with the hand policy, which the tests check."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

import numpy as np
from django.db import connection
from tqdm import tqdm

from accounts.models import User
from macaron.vault import cipher_for
from memory.evaluation.locomo import Sample, eval_user, ingest_sample, question_read
from memory.evaluation.metrics import CATEGORIES, RECALL_AT, evidence_ids
from memory.learning.features import INDEX
from memory.learning.fit import Pairs, fit_prior
from memory.learning.gate import (
    GATE_COLUMNS,
    HAND_DECAY_DAYS,
    fades,
    fit_gate,
    gate_row,
    gate_threshold,
    protected,
)
from memory.learning.policy import HAND, Policy
from memory.models import Memory, MemorySource
from memory.privacy.erasure import user_erase
from memory.retrieval import scoring
from memory.retrieval.languages import text_language_group
from memory.retrieval.rerank import ENGLISH, late_scores, rerank_order
from memory.retrieval.rerank import HEAD as RERANK_HEAD
from memory.retrieval.search import DEFAULT_WEIGHTS, POOL, _mmr

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
    # the second stage's MaxSim for each English candidate with token vectors; asked in English
    late: dict[int, float] = field(default_factory=dict)
    english: bool = False


@dataclass
class Corpus:
    questions: list[Question] = field(default_factory=list)
    vectors: dict[int, np.ndarray] = field(default_factory=dict)
    sources: dict[int, list[str]] = field(default_factory=dict)
    samples: list[str] = field(default_factory=list)
    # every memory's store-time facts (`learning.gate`), and the conversation it belongs to
    memories: dict[int, dict] = field(default_factory=dict)
    languages: dict[int, str] = field(default_factory=dict)
    decay_days: float = HAND_DECAY_DAYS  # the forgetting curve's time constant when recorded


def collect(
    samples: list[Sample],
    *,
    progress: bool = True,
    visit: Callable[[int, User, Sample, datetime], None] | None = None,
) -> Corpus:
    """Ingest each sample into a throwaway person, retrieve once per question, record.
    `visit(index, person, sample, end)` runs on each ingested person before it is erased (the
    bench times retrieve() there rather than ingesting again)."""
    corpus = Corpus(decay_days=scoring.DECAY_DAYS)
    for index, sample in enumerate(samples):
        corpus.samples.append(sample.sample_id)
        user = eval_user()
        try:
            end = ingest_sample(user, sample, progress=progress)
            for row in Memory.objects.filter(user=user).values(
                "id", "embedding", "language", *GATE_COLUMNS
            ):
                corpus.vectors[row["id"]] = np.asarray(row.pop("embedding"), dtype=np.float32)
                corpus.languages[row["id"]] = row.pop("language")
                corpus.memories[row["id"]] = row | {"conversation": index}
            for memory_id, external_id in MemorySource.objects.filter(
                memory__user=user
            ).values_list("memory_id", "external_id"):
                if external_id:
                    corpus.sources.setdefault(memory_id, []).append(external_id)
            recorder = Recorder(name="hand", form=HAND.form, weights=HAND.weights)
            cipher = cipher_for(user.id)
            for qa in tqdm(
                sample.questions, desc=f"record {sample.sample_id}", disable=not progress
            ):
                evidence = frozenset(evidence_ids(qa.evidence))
                if not evidence:
                    continue
                question_read(user, qa.question, now=end, policy=recorder)
                ids, matrix = recorder.sink.pop()
                labels = np.array(
                    [1.0 if evidence & set(corpus.sources.get(m, ())) else 0.0 for m in ids]
                )
                english = text_language_group(qa.question) == ENGLISH
                with connection.cursor() as cursor:
                    late = (
                        late_scores(
                            cursor,
                            cipher=cipher,
                            user_id=user.id,
                            query=qa.question,
                            ids=[m for m in ids if corpus.languages.get(m) == ENGLISH],
                        )
                        if english
                        else {}
                    )
                corpus.questions.append(
                    Question(index, qa.category, evidence, ids, matrix, labels, late, english)
                )
            if visit is not None:
                visit(index, user, sample, end)
        finally:
            user_erase(user=user, reason="memory_learn throwaway user")
    return corpus


def ranked(
    question: Question,
    policy: Policy,
    vectors: dict[int, np.ndarray],
    languages: dict[int, str] | None = None,
) -> list[int]:
    """What retrieve() returns for this question under `policy` (no budget), its second stage
    replayed from the recorded MaxSim scores."""
    values = policy.score(question.matrix).tolist()
    scores = dict(zip(question.ids, values, strict=True))
    order = sorted(scores, key=scores.__getitem__, reverse=True)[: max(POOL, 3 * DEPTH)]
    second_stage = question.english and policy.second_stage > 0 and bool(question.late)
    depth = max(DEPTH, RERANK_HEAD) if second_stage else DEPTH
    chosen = _mmr(order, scores, {m: vectors[m] for m in order}, depth, DEFAULT_WEIGHTS.mmr_lambda)
    if second_stage:
        chosen, _ = rerank_order(
            chosen,
            first_stage=scores,
            late=question.late,
            languages=languages or {},
            weight=policy.second_stage,
        )
    return chosen[:DEPTH]


def simulate(corpus: Corpus, policy: Policy, conversations: set[int] | None = None) -> dict:
    """Evidence recall@n overall (categories 1-4) and by category, as `evaluate()` reports."""
    overall: dict[int, list[float]] = {n: [] for n in RECALL_AT}
    by_category: dict[int, dict[int, list[float]]] = {}
    for question in corpus.questions:
        if conversations is not None and question.conversation not in conversations:
            continue
        chosen = ranked(question, policy, corpus.vectors, corpus.languages)
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


SECOND_STAGE_SHARES = (0.0, 1.0, 1.5, 2.0, 3.0, 4.0)


def learn(corpus: Corpus, conversations: set[int] | None = None, name: str = "learned") -> Policy:
    """The prior's weights by the pairwise ranker, then the second stage's share by what it
    does to recall@10 on the same conversations (the hand share on a tie)."""
    chosen = set(range(len(corpus.samples))) if conversations is None else conversations
    fitted = fit_prior(pairs_of(corpus, chosen), prior=HAND, name=name)

    def recall(share: float) -> float:
        return (
            simulate(corpus, fitted.with_second_stage(share), chosen)["overall"]["recall@10"] or 0.0
        )

    best = max(SECOND_STAGE_SHARES, key=lambda share: (recall(share), share == HAND.second_stage))
    return fitted.with_second_stage(best)


# The forgetting curve's time constant, replayed -------------------------------------------

DECAY_GRID = (15.0, 30.0, 60.0, 120.0, 240.0, 480.0)


def at_decay(corpus: Corpus, days: float) -> Corpus:
    """The corpus as retrieve() would have recorded it with the forgetting curve's time constant
    at `days`: strength exp(-t / (D (1 + recalls))) becomes its power D / days. Exact for a
    strength stored at 1 (every memory of a fresh ingestion; a faded one stays 0); pinned
    memories never decay."""
    if days == corpus.decay_days:
        return corpus
    power = corpus.decay_days / days
    strength, pinned = INDEX["strength"], INDEX["pinned"]
    questions = []
    for question in corpus.questions:
        matrix = question.matrix.copy()
        free = matrix[:, pinned] == 0
        matrix[free, strength] = matrix[free, strength] ** power
        questions.append(replace(question, matrix=matrix))
    return replace(corpus, questions=questions, decay_days=days)


def fit_decay(
    corpus: Corpus, conversations: set[int], name: str = "learned"
) -> tuple[float, Policy]:
    """The time constant from DECAY_GRID whose fitted policy (`learn`) finds the most evidence
    (recall@10) on these conversations, on a tie the one nearest the hand-set constant; and
    that policy."""
    fitted = []
    for days in DECAY_GRID:
        aged = at_decay(corpus, days)
        policy = learn(aged, conversations, name=name)
        recall = simulate(aged, policy, conversations)["overall"]["recall@10"] or 0.0
        fitted.append(((recall, -abs(np.log(days / HAND_DECAY_DAYS))), days, policy))
    _, days, policy = max(fitted, key=lambda entry: entry[0])
    return days, policy


def hand_baseline(corpus: Corpus) -> Corpus:
    """The corpus as the hand-set settings see it (the hand-set forgetting curve)."""
    return at_decay(corpus, HAND_DECAY_DAYS)


def cross_validate(corpus: Corpus, progress: bool = True) -> dict:
    """Leave one conversation out: fit the forgetting curve's time constant and the policy on
    the others, measure on it, against the hand-set policy and curve. Returns per-fold figures
    and the pooled held-out figures."""
    folds = []
    everyone = set(range(len(corpus.samples)))
    held_policies: dict[int, Policy] = {}
    decays: dict[int, float] = {}
    hand = hand_baseline(corpus)
    held_results = []
    for held in tqdm(sorted(everyone), desc="cross-validate", disable=not progress):
        decays[held], held_policies[held] = fit_decay(corpus, everyone - {held}, name=f"cv-{held}")
        result = simulate(at_decay(corpus, decays[held]), held_policies[held], {held})
        held_results.append(result)
        folds.append(
            {
                "held_out": corpus.samples[held],
                "decay_days": decays[held],
                "hand": simulate(hand, HAND, {held})["overall"],
                "learned": result["overall"],
            }
        )
    return {
        "folds": folds,
        "hand": simulate(hand, HAND),
        "learned": _pool(held_results),
        "policies": held_policies,  # each conversation's, fitted without it
        "decays": decays,  # and its forgetting curve's time constant
    }


def _pooled(
    corpus: Corpus, policies: dict[int, Policy], decays: dict[int, float] | None = None
) -> dict:
    """Each conversation measured with the policy (and time constant) fitted without it, pooled."""
    constants = {held: (decays or {}).get(held, corpus.decay_days) for held in policies}
    aged = {days: at_decay(corpus, days) for days in set(constants.values())}
    return _pool(
        [
            simulate(aged[constants[held]], policy, {held})
            for held, policy in sorted(policies.items())
        ]
    )


def _pool(parts: list[dict]) -> dict:
    """`simulate` results of disjoint conversations as one: per-conversation means re-weighted
    by their question counts."""
    merged: dict = {}

    def pool(key: str | None) -> dict:
        out: dict = {}
        total = 0
        sums: dict[str, float] = {}
        for result in parts:
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

    categories = sorted({c for result in parts for c in result["by_category"]})
    merged["overall"] = pool(None)
    merged["by_category"] = {c: pool(c) for c in categories}
    return merged


TARGET_GAIN = 0.03  # recall@10 in cross-validation (issue #13)
CATEGORY_SLACK = 0.02


def verdict(cv: dict) -> dict:
    """Whether the learned policy measured better than hand in cross-validation."""
    hand, learned = cv["hand"], cv["learned"]
    gain = learned["overall"]["recall@10"] - hand["overall"]["recall@10"]
    worst = min(
        (learned["by_category"][c]["recall@10"] - hand["by_category"][c]["recall@10"])
        for c in hand["by_category"]
        if c in learned["by_category"] and hand["by_category"][c].get("recall@10") is not None
    )
    return {
        "recall@10_gain": round(gain, 4),
        "worst_category_change": round(worst, 4),
        "better_than_hand": bool(gain > 0 and worst >= -CATEGORY_SLACK),
        "meets_target": bool(gain >= TARGET_GAIN and worst >= -CATEGORY_SLACK),
    }


def cv_table(cv: dict) -> str:
    lines = [f"{'held out':<14}{'hand r@10':>10}{'learned r@10':>14}{'decay days':>12}"]
    for fold in cv["folds"]:
        lines.append(
            f"{fold['held_out']:<14}{fold['hand']['recall@10']:>10.4f}"
            f"{fold['learned']['recall@10']:>14.4f}{fold['decay_days']:>12g}"
        )
    lines.append(f"{'pooled':<14}{'r@1':>7}{'r@5':>7}{'r@10':>7}   (hand / learned)")
    for name in ("hand", "learned"):
        o = cv[name]["overall"]
        lines.append(f"{name:<14}{o['recall@1']:>7.4f}{o['recall@5']:>7.4f}{o['recall@10']:>7.4f}")
    for category, block in cv["hand"]["by_category"].items():
        other = cv["learned"]["by_category"].get(category, {})
        lines.append(
            f"  cat {category:<16} r@10 {block['recall@10']:.4f} -> "
            f"{other.get('recall@10', float('nan')):.4f}  ({block['questions']} q)"
        )
    return "\n".join(lines)


# The forget gate on the dev set -----------------------------------------------------------


def useful_memories(corpus: Corpus) -> set[int]:
    """Memories that were later recalled and useful: a candidate holding a question's evidence."""
    return {
        memory_id
        for question in corpus.questions
        for memory_id, label in zip(question.ids, question.labels, strict=True)
        if label > 0
    }


def fit_gate_on(corpus: Corpus, conversations: set[int]) -> tuple[np.ndarray, float]:
    """The forget gate's weights and threshold, fitted on these conversations' memories."""
    useful = useful_memories(corpus)
    ids = [m for m, row in corpus.memories.items() if row["conversation"] in conversations]
    matrix = np.stack([gate_row(corpus.memories[m]) for m in ids])
    labels = np.array([1.0 if m in useful else 0.0 for m in ids])
    weights = fit_gate(matrix, labels)
    return weights, gate_threshold(weights, matrix, labels)


def _faded_replay(question: Question, faded: set[int]) -> Question:
    """The question as retrieve() would see it with those memories faded (strength 0)."""
    matrix = question.matrix.copy()
    rows = [i for i, m in enumerate(question.ids) if m in faded]
    matrix[rows, INDEX["strength"]] = 0.0
    return replace(question, matrix=matrix)


def _without(question: Question, faded: set[int]) -> Question:
    keep = [i for i, m in enumerate(question.ids) if m not in faded]
    return replace(
        question,
        ids=[question.ids[i] for i in keep],
        matrix=question.matrix[keep],
        labels=question.labels[keep],
    )


def gate_report(
    corpus: Corpus, policy: Policy | dict[int, Policy], decays: dict[int, float] | None = None
) -> dict:
    """Leave one conversation out: fit the gate on the others, let the held-out conversation's
    memories fade as it says; memories kept, and recall before and after under `policy` (one
    for all, or each conversation's own: `cross_validate`'s, fitted without it, with its
    forgetting curve's time constant from `decays`)."""
    everyone = set(range(len(corpus.samples)))
    faded: set[int] = set()
    thresholds = []
    for held in sorted(everyone):
        weights, threshold = fit_gate_on(corpus, everyone - {held})
        thresholds.append(threshold)
        rows = [(m, r) for m, r in corpus.memories.items() if r["conversation"] == held]
        verdict = fades([r for _, r in rows], weights, threshold)
        faded |= {m for (m, _), fade in zip(rows, verdict, strict=True) if fade}
    after = replace(corpus, questions=[_faded_replay(q, faded) for q in corpus.questions])
    removed = replace(corpus, questions=[_without(q, faded) for q in corpus.questions])
    protected_faded = sum(1 for m in faded if protected(corpus.memories[m]))
    per = policy if isinstance(policy, dict) else dict.fromkeys(everyone, policy)

    def measured(state: Corpus) -> dict:
        return _pooled(state, per, decays)

    before, after_faded = measured(corpus), measured(after)
    return {
        "memories": len(corpus.memories),
        "kept": len(corpus.memories) - len(faded),
        "faded": len(faded),
        "protected_faded": protected_faded,
        "useful_faded": len(faded & useful_memories(corpus)),
        "before": before["overall"],
        "after": after_faded["overall"],
        # had the faded ones been dropped instead (what a hard forget would cost, at most)
        "after_if_dropped": measured(removed)["overall"],
        "before_by_category": before["by_category"],
        "after_by_category": after_faded["by_category"],
        "thresholds": [round(t, 4) for t in thresholds],
    }
