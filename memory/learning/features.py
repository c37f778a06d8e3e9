"""The feature vector of one retrieval candidate: generic signals only (similarities, ranks,
time, strength, the person's own marks), never words, names or dates of any data set.

The first seven are the hand-set re-scoring's terms, in its order (`policy.HAND`); `rerank` is
the second-stage reranker's score (0.0 where it was not computed)."""

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np

FEATURES: tuple[str, ...] = (
    "importance",  # the memory's importance (0..1)
    "strength",  # decayed strength (forgetting curve, 0..1)
    "recency",  # exp(-age / 30 days)
    "domain",  # shares a domain with the query
    "time_match",  # inside the time the query names
    "pinned",  # the person pinned it
    "entity",  # mentions a person, place or thing the query names
    "dense",  # cosine similarity to the query
    "lexical",  # the lexical channel's reciprocal rank (1 at the top, 0 when absent)
    "coverage",  # share of the query's IDF the memory matched
    "dense_rank",  # the dense channel's reciprocal rank (1 at the top, 0 when absent)
    "language",  # in the query's language group
    "recall",  # log(1 + times recalled)
    "episode",  # an episode summary rather than a single fact
    "preference",  # kind: a preference
    "event",  # kind: an event
    "plan",  # kind: a plan
    "stated",  # stated directly (typed as a memory, onboarding, import, a sub-agent), not chat
    "age",  # log(1 + age in days) / log(1 + 3650)
    "fused",  # the fused RRF score
    "rerank",  # the second stage's standardised MaxSim, 0.0 where it did not reread
)
INDEX = {name: i for i, name in enumerate(FEATURES)}
F = len(FEATURES)
FEATURE_SET_VERSION = 2  # bump when FEATURES changes: logged matrices say which they follow
RRF_SCALE = 11.0  # RRF_K + 1: the lexical top rank scores 1
AGE_SCALE = math.log1p(3650)

Window = tuple[datetime, datetime]


@dataclass
class FeatureContext:
    """What the query contributes (all computed by retrieve() already)."""

    now: datetime
    query_language: str
    query_domains: set[str]
    window: Window | None
    entity_tokens: set[int]
    unit_query: np.ndarray
    fused: dict[int, float]
    lexical_ids: Sequence[int]
    coverage: dict[int, float]
    dense_ids: Sequence[int]
    # The lexical channel cannot see a memory in another language than the query: its lexical
    # features stand in as retrieval's fusion does (this share of its dense rank; coverage).
    stand_in: float
    strength: Callable[[dict, datetime], float]
    language_group: Callable[[str], str]


def time_match(row: dict, window: Window | None) -> float:
    if window is None:
        return 0.0
    start = row["event_time"] or row["valid_from"]
    end = row["event_end"] or row["event_time"] or row["valid_from"]
    return 1.0 if start <= window[1] and end >= window[0] else 0.0


def feature_matrix(
    ids: Sequence[int], rows: dict[int, dict], context: FeatureContext
) -> np.ndarray:
    """One row per candidate (float64, len(ids) x F), in `ids` order."""
    matrix = np.zeros((len(ids), F), dtype=np.float64)
    if not ids:
        return matrix
    lexical_rank = {memory_id: rank for rank, memory_id in enumerate(context.lexical_ids)}
    dense_rank = {memory_id: rank for rank, memory_id in enumerate(context.dense_ids)}
    for i, memory_id in enumerate(ids):
        row = rows[memory_id]
        age_days = max(0.0, (context.now - row["valid_from"]).total_seconds() / 86400)
        rank = lexical_rank.get(memory_id)
        near = dense_rank.get(memory_id)
        dense_rr = 0.0 if near is None else RRF_SCALE / (RRF_SCALE + near)
        same_language = context.language_group(row["language"]) == context.query_language
        lexical = 0.0 if rank is None else RRF_SCALE / (RRF_SCALE + rank)
        coverage = context.coverage.get(memory_id, 0.0)
        if not same_language:
            lexical = max(lexical, context.stand_in * dense_rr)
            coverage = max(coverage, context.stand_in)
        matrix[i] = (
            row["importance"],
            context.strength(row, context.now),
            math.exp(-age_days / 30),
            1.0 if context.query_domains & set(row["domains"]) else 0.0,
            time_match(row, context.window),
            1.0 if row["pinned"] else 0.0,
            1.0 if context.entity_tokens & set(row["lexical_tokens"]) else 0.0,
            0.0,  # dense: below, for all rows at once
            lexical,
            coverage,
            dense_rr,
            1.0 if same_language else 0.0,
            math.log1p(row["recall_count"]),
            1.0 if row["kind"] == "episode" else 0.0,
            1.0 if row["kind"] == "preference" else 0.0,
            1.0 if row["kind"] == "event" else 0.0,
            1.0 if row["kind"] == "plan" else 0.0,
            0.0 if row["source"] in ("chat", "compression") else 1.0,
            math.log1p(age_days) / AGE_SCALE,
            context.fused[memory_id],
            0.0,  # rerank: filled by retrieve() for the memories its second stage reread
        )
    vectors = np.stack([rows[memory_id]["embedding"] for memory_id in ids])
    norms = np.linalg.norm(vectors, axis=1)
    norms[norms == 0] = 1.0
    matrix[:, INDEX["dense"]] = (vectors @ context.unit_query) / norms
    return matrix


def pack(matrix: np.ndarray) -> bytes:
    """Compact storage for the log: float16, row-major."""
    return np.asarray(matrix, dtype=np.float16).tobytes()


def unpack(data: bytes | memoryview, width: int = F) -> np.ndarray:
    values = np.frombuffer(bytes(data), dtype=np.float16).astype(np.float64)
    return values.reshape(-1, width) if values.size else np.zeros((0, width))
