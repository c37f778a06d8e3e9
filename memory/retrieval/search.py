"""The read path: one `retrieve()` for the companion, sub-agents, the API and the benchmark.

Hybrid: a pgvector channel (language-neutral cosine: `languages`) and a lexical channel over the
keyed blind index (BM25 on HMAC'd tokens, no plaintext at rest), fused per language by
reciprocal rank fusion (`_fuse`), re-scored by the scoring policy (`memory.learning`: the hand-set
weights or a fitted version, with the person's adjustment) over each candidate's features,
diversified with maximal marginal relevance, its English head reread by late interaction
(`rerank`, at the policy's `rerank` weight) and cut to a context budget. Time expressions in the
query become a time filter
(soft by default: in-range memories are preferred; `filters.strict_time` makes it hard).
Every call writes an audit event and reinforces what it returned; reads that may earn a reward
are logged for learning (`memory.learning.log`: candidates, features, scores, never the query).
"""

import json
import math
import time as clock
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, time, tzinfo

import numpy as np
from django.db import connection, transaction
from django.utils import timezone

from macaron.embeddings import get_embedder
from macaron.errors import DomainError
from macaron.text import count_tokens, lexical_terms, named_entities
from macaron.timeexpr import TimeRange, resolve_time
from macaron.timezones import user_zone
from macaron.vault import cipher_for
from macaron.vectorkey import vector_key
from memory.learning.features import FeatureContext, feature_matrix
from memory.learning.log import LOGGED_PURPOSES, retrieval_log
from memory.learning.policy import RERANK as RERANK_FEATURE
from memory.learning.policy import Policy
from memory.learning.registry import policy_for
from memory.privacy.audit import Actor, AuditAction, audit_record, audit_stream_lock
from memory.privacy.chain import person_stream
from memory.privacy.policies import PolicyFacts, Reader, ReaderKind, readable
from memory.retrieval.domains import tag_domains
from memory.retrieval.expansion import EXPANSION_WEIGHT, expansion_terms
from memory.retrieval.languages import (
    CENTRED_LANGUAGES,
    language_centroids,
    language_group,
    neutral_similarities,
    text_language_group,
)
from memory.retrieval.lexical import document_frequencies
from memory.retrieval.rerank import HEAD as RERANK_HEAD
from memory.retrieval.rerank import rerank, reranks
from memory.retrieval.scoring import decayed_strength
from memory.retrieval.vector_index import current_memory_count, dense_candidates

Window = tuple[datetime, datetime]  # inclusive moments, in the person's zone
MAX_QUERY_CHARS = 2_000
MAX_K = 100
POOL = 60  # candidates per channel; independent of k so that top-k is a prefix of top-(k+n)
RRF_K = 10  # small: the top of each channel counts most (measured: README, memory benchmark)
# The lexical channel cannot see a memory in another language than the query (no shared
# terms but names and numbers), so such a memory's dense rank stands in for its lexical one, at
# half weight: same-language memories stay preferred, but a cross-language memory the dense
# channel ranks high is not buried under same-language ones matched by a name alone.
CROSS_LANGUAGE_STAND_IN = 0.5
LEXICAL_CANDIDATE_CAP = 2_000
LEXICAL_POSTINGS = 400  # rows fetched by the rarest terms; commoner terms only add to scores
COUNT_CAP = 20_000
RESCORED = 50  # fused candidates that are re-scored and diversified
BM25_K1, BM25_B, AVG_TOKENS = 1.2, 0.75, 20.0


@dataclass(frozen=True)
class Weights:
    """Fusion and diversity weights. The re-scoring is a policy (`memory.learning.policy`:
    `HAND` holds the hand-set importance/strength/recency/domain/time/pinned/entity weights)."""

    dense: float = 1.0
    lexical: float = 1.0
    mmr_lambda: float = 0.8


DEFAULT_WEIGHTS = Weights()


@dataclass
class Filters:
    domains: list[str] | None = None
    kinds: list[str] | None = None
    since: datetime | None = None
    until: datetime | None = None
    strict_time: bool = False
    include_history: bool = False  # superseded facts too
    reauthenticated: bool = False


@dataclass
class RetrievedMemory:
    id: int
    text: str
    kind: str
    domains: list[str]
    language: str
    created_at: datetime
    valid_from: datetime
    event: TimeRange | None
    score: float
    tokens: int
    external_ids: list[str] = field(default_factory=list)
    message_ids: list[int] = field(default_factory=list)
    similarity: float = 0.0  # cosine similarity to the query (why it matched, on the page)

    def context_text(self) -> str:
        """How the memory is shown to the companion: when it was said, and the event date."""
        said = self.valid_from.strftime("%-d %B %Y")
        text = f"[{said}] {self.text}"
        if self.event is not None:
            text += f" (date: {self.event.label()})"
        return text


@dataclass
class RetrievalResult:
    items: list[RetrievedMemory]
    time_range: TimeRange | None
    embed_ms: float
    search_ms: float  # everything after the query embedding, the second stage included
    rerank_ms: float = 0.0
    retrieval_id: int | None = None  # the learning log's row (`memory.models.RetrievalLog`)

    @property
    def context_tokens(self) -> int:
        return sum(item.tokens for item in self.items)


POLICY_READERS = {
    "companion": ReaderKind.COMPANION,
    "subagent": ReaderKind.SUBAGENT,
    "api": ReaderKind.PERSON,
    "person": ReaderKind.PERSON,
    "evaluation": ReaderKind.PERSON,
}


def _reader(purpose: str, filters: Filters) -> Reader:
    return Reader(kind=POLICY_READERS[purpose], stepped_up=filters.reauthenticated)


def _facts(row: dict) -> PolicyFacts:
    return PolicyFacts(
        id=row["id"], privacy=row["privacy"], policy=row["policy"], created_at=row["created_at"]
    )


def _where(user_id: int, filters: Filters, window: Window | None) -> tuple[str, list]:
    # user_id is inlined as an integer literal so that a per-user partial index can match.
    clauses: list[str] = [f"user_id = {int(user_id)}"]
    params: list[object] = []
    clauses.append("forgotten_at IS NULL")  # the trash is never searched, not even its history
    if not filters.include_history:
        clauses.append("valid_to IS NULL")
    if filters.domains:
        clauses.append("domains && %s::varchar[]")
        params.append(list(filters.domains))
    if filters.kinds:
        clauses.append("kind = ANY(%s)")
        params.append(list(filters.kinds))
    since, until = filters.since, filters.until
    if filters.strict_time and window is not None:
        since, until = window
    if since is not None:
        clauses.append("COALESCE(event_end, event_time, valid_from) >= %s")
        params.append(since)
    if until is not None:
        clauses.append("COALESCE(event_time, valid_from) <= %s")
        params.append(until)
    return " AND ".join(clauses), params


@dataclass
class LexicalHits:
    """The lexical channel's ranking, and for each hit the share of the query it matched
    (`_lexical`)."""

    ids: list[int] = field(default_factory=list)
    coverage: dict[int, float] = field(default_factory=dict)


def _lexical(
    cursor,
    user_id: int,
    where: str,
    params: list,
    tokens: list[int],
    total: int,
    expansion: Sequence[int] = (),
) -> LexicalHits:
    """BM25 over the blind index. Rows are fetched by the rarest terms first (up to
    LEXICAL_CANDIDATE_CAP postings), so a term shared by thousands of memories costs nothing;
    every query term still counts in the score of the rows fetched. Expansion terms (sub-topics)
    count at EXPANSION_WEIGHT.

    Each hit's coverage is the IDF it matched over the query's whole IDF, where a query term no
    memory holds counts at the highest IDF: a question in English about a memory said in
    Korean matches it, if at all, only by a name shared with many memories, and that should
    not weigh like a match on what the question asks."""
    weight = {t: EXPANSION_WEIGHT for t in expansion} | {t: 1.0 for t in tokens}
    df = document_frequencies(cursor, user_id=user_id, tokens=list(weight)) if weight else {}
    if not df:
        return LexicalHits()
    selective: list[int] = []
    postings = 0
    for token in sorted(df, key=df.__getitem__):
        if selective and postings + df[token] > LEXICAL_POSTINGS:
            break
        selective.append(token)
        postings += df[token]
    cursor.execute(
        f"SELECT id, lexical_tokens, token_count FROM memory_memory "
        f"WHERE {where} AND lexical_tokens && %s::bigint[] LIMIT {LEXICAL_CANDIDATE_CAP}",
        [*params, selective],
    )
    n = max(total, 1)
    idf = {t: weight[t] * math.log(1 + max(0.0, n - d + 0.5) / (d + 0.5)) for t, d in df.items()}
    unseen = math.log(1 + (n + 0.5) / 0.5)
    whole = sum(idf.get(t, unseen) for t in set(tokens)) or 1.0
    scored = []
    for memory_id, row_tokens, length in cursor.fetchall():
        norm = BM25_K1 * (1 - BM25_B + BM25_B * (length or AVG_TOKENS) / AVG_TOKENS)
        matched = idf.keys() & set(row_tokens)
        score = sum(idf[t] * (BM25_K1 + 1) / (1 + norm) for t in matched)
        scored.append((score, memory_id, min(1.0, sum(idf[t] for t in matched) / whole)))
    scored.sort(reverse=True)
    top = scored[:POOL]
    return LexicalHits(
        ids=[memory_id for _, memory_id, _ in top],
        coverage={memory_id: share for _, memory_id, share in top},
    )


CANDIDATE_SQL = """
SELECT m.id, vector_send(m.embedding), m.importance, m.strength, m.strength_at, m.recall_count,
       m.valid_from, m.event_time, m.event_end, m.domains, m.pinned, m.privacy, m.policy,
       m.kind, m.language, m.created_at, m.text_ct, m.lexical_tokens, m.source
  FROM memory_memory m
 WHERE m.user_id = %s AND m.id = ANY(%s)
"""
CANDIDATE_COLUMNS = (
    "id",
    "embedding",
    "importance",
    "strength",
    "strength_at",
    "recall_count",
    "valid_from",
    "event_time",
    "event_end",
    "domains",
    "pinned",
    "privacy",
    "policy",
    "kind",
    "language",
    "created_at",
    "text_ct",
    "lexical_tokens",
    "source",
)
SOURCES_SQL = """
SELECT memory_id,
       array_agg(external_id ORDER BY id) FILTER (WHERE external_id <> ''),
       array_agg(message_id ORDER BY id) FILTER (WHERE message_id IS NOT NULL)
  FROM memory_memorysource
 WHERE memory_id = ANY(%s)
 GROUP BY memory_id
"""


def _add_sources(cursor, rows: dict[int, dict], ids: list[int]) -> None:
    """Provenance of the memories that will be returned (not of every candidate)."""
    for memory_id in ids:
        rows[memory_id]["external_ids"], rows[memory_id]["message_ids"] = [], []
    cursor.execute(SOURCES_SQL, [ids])
    for memory_id, external_ids, message_ids in cursor.fetchall():
        rows[memory_id]["external_ids"] = external_ids or []
        rows[memory_id]["message_ids"] = message_ids or []


def _candidates(cursor, user_id: int, ids: list[int]) -> dict[int, dict]:
    """Everything re-scoring and the answer need, for every fused candidate, in one query."""
    cursor.execute(CANDIDATE_SQL, [user_id, ids])
    rows = {}
    for values in cursor.fetchall():
        row = dict(zip(CANDIDATE_COLUMNS, values, strict=True))
        # pgvector's binary form: dim (int16), unused (int16), then big-endian float32s
        row["embedding"] = np.frombuffer(row["embedding"], dtype=">f4", offset=4).astype(np.float32)
        if isinstance(row["policy"], str):  # Django leaves jsonb undecoded on raw cursors
            row["policy"] = json.loads(row["policy"])
        rows[row["id"]] = row
    return rows


REINFORCE_SQL = """
UPDATE memory_memory
   SET recall_count = recall_count + 1, last_recalled_at = %s, strength = 1.0, strength_at = %s
 WHERE user_id = %s AND id = ANY(%s)
"""

# Reads that only look (evaluation replays, previews) do not count as recalls: otherwise what
# one question retrieved would rank higher for the next, and scores would depend on order.
NON_REINFORCING = frozenset({"evaluation"})
READERS = {
    "companion": Actor.COMPANION,
    "subagent": Actor.SUBAGENT,
    "api": Actor.PERSON,
    "person": Actor.PERSON,
    "evaluation": Actor.SYSTEM,
}
PURPOSES = frozenset(READERS)


def _audit_and_reinforce(
    cursor,
    *,
    actor_id: int,
    user_id: int,
    purpose: str,
    ids: list[int],
    at,
    reinforce: bool,
    detail: dict | None,
) -> None:
    """Together: the reinforcement of what this read returned (recall count +1, strength back
    to 1) unless it only looks, and its audit event (the stream is locked first)."""
    with transaction.atomic(savepoint=False):
        audit_stream_lock(person_stream(user_id))
        if reinforce:
            cursor.execute(REINFORCE_SQL, [at, at, user_id, ids])
        audit_record(
            action=AuditAction.RETRIEVE,
            subject_user_id=user_id,
            purpose=purpose,
            actor_id=actor_id,
            actor_type=READERS[purpose],
            memory_ids=ids,
            detail=detail,
        )


@dataclass
class DenseHits:
    """The dense channel's ranking, and which of its memories are in another language than the
    query (the lexical channel cannot see those)."""

    ids: list[int] = field(default_factory=list)
    other_language: set[int] = field(default_factory=set)


def _cross_language_clause(query_language: str) -> tuple[str, list]:
    """SQL selecting memories measured against another language's centroid than the query."""
    if query_language == language_group("und"):  # the fallback group holds every other code
        return "language = ANY(%s)", [
            [lang for lang in CENTRED_LANGUAGES if lang != query_language]
        ]
    return "language <> %s", [query_language]


def _dense(
    cursor,
    *,
    user_id: int,
    cipher,
    where: str,
    params: list,
    keyed: np.ndarray,
    query_language: str,
    total: int,
    centroids: tuple[dict[str, np.ndarray], dict[str, np.ndarray]],
) -> DenseHits:
    """The dense channel for the query vector under the person's key (`keyed`), ranked by
    language-neutral similarity (`languages`).

    Candidates are the nearest memories by plain cosine plus the nearest in other languages
    than the query's: plain cosine favours the query's language, so with many memories in it
    the others would never be candidates."""
    ids = dense_candidates(
        cursor,
        user_id=user_id,
        where=where,
        params=params,
        vector=keyed,
        limit=POOL,
        current_count=total,
    )
    cross_sql, cross_params = _cross_language_clause(query_language)
    seen = set(ids)
    for memory_id in dense_candidates(
        cursor,
        user_id=user_id,
        where=f"{where} AND {cross_sql}",
        params=[*params, *cross_params],
        vector=keyed,
        limit=POOL // 2,
        current_count=total,
        # A large person's own index filtered by language may come back short; an exact scan of
        # all their rows for a few optional candidates is not worth it.
        exact_fallback=False,
    ):
        if memory_id not in seen:
            ids.append(memory_id)
    if not ids:
        return DenseHits()
    cursor.execute(
        "SELECT id, vector_send(embedding), language FROM memory_memory "
        "WHERE user_id = %s AND id = ANY(%s)",
        [user_id, ids],
    )
    found = {
        memory_id: (np.frombuffer(raw, dtype=">f4", offset=4).astype(np.float32), language)
        for memory_id, raw, language in cursor.fetchall()
    }
    ids = [memory_id for memory_id in ids if memory_id in found]
    other = {m for m in ids if language_group(found[m][1]) != query_language}
    if not other:
        # All in the question's language: plain cosine, as measured best on LoCoMo (centring
        # there cost recall@10, see README).
        return DenseHits(ids=ids)
    passage_centroids, query_centroids = centroids
    similarities = neutral_similarities(
        keyed,
        query_language,
        np.stack([found[memory_id][0] for memory_id in ids]),
        [found[memory_id][1] for memory_id in ids],
        {lang: vector_key(cipher, c) for lang, c in passage_centroids.items()},
        {lang: vector_key(cipher, c) for lang, c in query_centroids.items()},
    )
    return DenseHits(
        ids=[ids[i] for i in np.argsort(-similarities, kind="stable")], other_language=other
    )


def _fuse(dense: DenseHits, lexical: LexicalHits, weights: Weights) -> dict[int, float]:
    """Reciprocal rank fusion, per language. When candidates are in other languages than the
    question, a lexical rank counts in proportion to the share of the query the memory matched,
    so a match on a name alone cannot push noise above the dense match, and a memory in another
    language, which the lexical channel cannot see, takes part of its dense rank in place of a
    lexical one (CROSS_LANGUAGE_STAND_IN). All in one language, it is plain RRF (LoCoMo)."""
    fused: dict[int, float] = {}
    lexical_part: dict[int, float] = {}
    mixed = bool(dense.other_language)
    for rank, memory_id in enumerate(lexical.ids):
        share = lexical.coverage.get(memory_id, 1.0) if mixed else 1.0
        lexical_part[memory_id] = weights.lexical * share / (RRF_K + rank + 1)
    for rank, memory_id in enumerate(dense.ids):
        fused[memory_id] = weights.dense / (RRF_K + rank + 1)
        if memory_id in dense.other_language:
            stand_in = CROSS_LANGUAGE_STAND_IN * weights.lexical / (RRF_K + rank + 1)
            lexical_part[memory_id] = max(lexical_part.get(memory_id, 0.0), stand_in)
    for memory_id, part in lexical_part.items():
        fused[memory_id] = fused.get(memory_id, 0.0) + part
    return fused


def _window(time_range: TimeRange | None, tz: tzinfo) -> Window | None:
    """The person's local days of a query ("yesterday") as moments: their midnight to midnight."""
    if time_range is None:
        return None
    return (
        datetime.combine(time_range.start, time.min, tzinfo=tz),
        datetime.combine(time_range.end, time.max, tzinfo=tz),
    )


def _mmr(
    order: list[int], scores: dict[int, float], vectors: dict[int, np.ndarray], k: int, lam: float
) -> list[int]:
    """Maximal marginal relevance, vectorised: relevance minus redundancy with what is chosen."""
    if not order:
        return []
    relevance = np.array([scores[m] for m in order], dtype=np.float32)
    relevance /= relevance.max() or 1.0
    matrix = np.stack([vectors[m] for m in order])
    redundancy = np.zeros(len(order), dtype=np.float32)
    available = np.ones(len(order), dtype=bool)
    chosen: list[int] = []
    for _ in range(min(k, len(order))):
        value = np.where(available, lam * relevance - (1 - lam) * redundancy, -np.inf)
        best = int(np.argmax(value))
        chosen.append(order[best])
        available[best] = False
        redundancy = np.maximum(redundancy, matrix @ matrix[best])
    return chosen


def _strength(row: dict, now: datetime) -> float:
    return decayed_strength(
        row["strength"],
        row["strength_at"],
        row["recall_count"],
        now,
        pinned=row["pinned"],
    )


def _item(row: dict, score: float, cipher, tz: tzinfo) -> RetrievedMemory:
    event = None
    if row["event_time"] is not None:
        end = row["event_end"] or row["event_time"]
        event = TimeRange(row["event_time"].astimezone(tz).date(), end.astimezone(tz).date())
    item = RetrievedMemory(
        id=row["id"],
        text=cipher.decrypt(row["text_ct"]),
        kind=row["kind"],
        domains=row["domains"],
        language=row["language"],
        created_at=row["created_at"],
        valid_from=row["valid_from"],
        event=event,
        score=score,
        tokens=0,
        external_ids=list(row["external_ids"]),
        message_ids=list(row["message_ids"]),
    )
    item.tokens = count_tokens(item.context_text())  # CJK counts per character
    return item


def retrieve(
    *,
    user,
    query: str,
    k: int = 10,
    budget: int | None = 800,
    filters: Filters | None = None,
    purpose: str = "companion",
    actor=None,
    now: datetime | None = None,
    weights: Weights = DEFAULT_WEIGHTS,
    query_vector: np.ndarray | None = None,
    reinforce: bool | None = None,
    reader: dict[str, int] | None = None,
    policy: Policy | None = None,
) -> RetrievalResult:
    """The person's most useful memories for `query`, best first, within `budget` tokens.

    What it returns is reinforced (a recall) unless `reinforce=False` or the purpose only looks
    (`NON_REINFORCING`: evaluation); read-only previews pass `reinforce=False`. `reader` names
    the reader in the audit event by ids (a sub-agent: `{"installation_id": 7}`). `policy`
    scores the candidates (default: the active global policy); the person's adjustment applies."""
    if not isinstance(query, str) or not query.strip():
        raise DomainError("The query is empty.", fields={"query": ["Write a question."]})
    if len(query) > MAX_QUERY_CHARS:
        raise DomainError(
            f"The query is too long (limit {MAX_QUERY_CHARS:,} characters).",
            fields={"query": ["Too long."]},
        )
    if not 1 <= k <= MAX_K:
        raise DomainError(f"k must be between 1 and {MAX_K}.", fields={"k": ["Out of range."]})
    if purpose not in READERS:
        raise DomainError(f"Unknown purpose {purpose!r}.")
    filters = filters or Filters()
    now = now or timezone.now()
    centroids = language_centroids()  # built once per process (served ones: at start-up)
    started = clock.perf_counter()
    vector = query_vector if query_vector is not None else get_embedder().embed_query(query)
    embedded = clock.perf_counter()

    tz = user_zone(user)
    time_range = resolve_time(query, now, tz=tz)  # the person's "yesterday"
    window = _window(time_range, tz)
    cipher = cipher_for(user.id)
    query_language = text_language_group(query)
    query_tokens = cipher.blind_tokens(lexical_terms(query))
    expansion_tokens = [cipher.blind_token(t) for t in expansion_terms(query)]
    # People, places and things the query names ("What did Anna say…"): memories that
    # mention them are preferred.
    entity_tokens = {cipher.blind_token(t) for t in lexical_terms(" ".join(named_entities(query)))}
    where, params = _where(user.id, filters, window)
    keyed_query = vector_key(cipher, vector)  # the stored vectors are keyed: so is the query
    with connection.cursor() as cursor:
        # BM25's IDF needs the order of magnitude, not an exact count of 100,000 rows.
        total = current_memory_count(cursor, user.id, cap=COUNT_CAP)
        dense = _dense(
            cursor,
            user_id=user.id,
            cipher=cipher,
            where=where,
            params=params,
            keyed=keyed_query,
            query_language=query_language,
            total=total,
            centroids=centroids,
        )
        lexical = _lexical(
            cursor, user.id, where, params, query_tokens, total, expansion=expansion_tokens
        )
        fused = _fuse(dense, lexical, weights)
        shortlist = sorted(fused, key=fused.__getitem__, reverse=True)[: max(RESCORED, 3 * k)]
        rows = _candidates(cursor, user.id, shortlist)
        query_domains = set(tag_domains(query, vector))
        allowed, _ = readable(
            [_facts(rows[memory_id]) for memory_id in shortlist if memory_id in rows],
            _reader(purpose, filters),
            subject_user_id=user.id,
            actor=actor or user,
            now=now,
        )
        candidates = [facts.id for facts in allowed]
        unit_query = keyed_query / (float(np.linalg.norm(keyed_query)) or 1.0)
        features = feature_matrix(
            candidates,
            rows,
            FeatureContext(
                now=now,
                query_language=query_language,
                query_domains=query_domains,
                window=window,
                entity_tokens=entity_tokens,
                unit_query=unit_query,
                fused=fused,
                lexical_ids=lexical.ids,
                coverage=lexical.coverage,
                dense_ids=dense.ids,
                stand_in=CROSS_LANGUAGE_STAND_IN,
                strength=_strength,
                language_group=language_group,
            ),
        )
        scoring = policy_for(user.id, policy)
        scores = dict(zip(candidates, scoring.score(features, candidates).tolist(), strict=True))
        order = sorted(scores, key=scores.__getitem__, reverse=True)[: max(POOL, 3 * k)]
        vectors = {memory_id: rows[memory_id]["embedding"] for memory_id in order}
        second_stage = reranks(query_language, scoring.second_stage)
        depth = max(k, RERANK_HEAD) if second_stage else k
        chosen = _mmr(order, scores, vectors, depth, weights.mmr_lambda)
        reranked = None
        if second_stage:
            reranked = rerank(
                cursor,
                cipher=cipher,
                user_id=user.id,
                query=query,
                order=chosen,
                first_stage=scores,
                languages={m: rows[m]["language"] for m in chosen},
                weight=scoring.second_stage,
            )
            chosen = reranked.order
            position = {memory_id: i for i, memory_id in enumerate(candidates)}
            for memory_id, value in reranked.standardised.items():
                features[position[memory_id], RERANK_FEATURE] = value
        chosen = chosen[:k]

        _add_sources(cursor, rows, chosen)
        items: list[RetrievedMemory] = []
        used = 0
        for memory_id in chosen:
            item = _item(rows[memory_id], scores[memory_id], cipher, tz)
            stored = rows[memory_id]["embedding"]
            item.similarity = float(stored @ unit_query) / (float(np.linalg.norm(stored)) or 1.0)
            if budget is not None and items and used + item.tokens > budget:
                break
            used += item.tokens
            items.append(item)
        searched = clock.perf_counter()
        _audit_and_reinforce(
            cursor,
            actor_id=(actor or user).id,
            user_id=user.id,
            purpose=purpose,
            ids=[item.id for item in items],
            at=now,
            reinforce=(purpose not in NON_REINFORCING) if reinforce is None else reinforce,
            detail=reader,
        )
        logged = None
        if purpose in LOGGED_PURPOSES:
            ranked = sorted(range(len(candidates)), key=lambda i: -scores[candidates[i]])
            logged = retrieval_log(
                user_id=user.id,
                purpose=purpose,
                policy=scoring.name,
                candidate_ids=[candidates[i] for i in ranked],
                matrix=features[ranked],
                scores=np.array([scores[candidates[i]] for i in ranked]),
                shown_ids=[item.id for item in items],
                at=now,
            )
    return RetrievalResult(
        items=items,
        time_range=time_range,
        embed_ms=(embedded - started) * 1000,
        search_ms=(searched - embedded) * 1000,
        rerank_ms=reranked.ms if reranked else 0.0,
        retrieval_id=logged,
    )


__all__ = ["Filters", "RetrievalResult", "RetrievedMemory", "Weights", "retrieve"]
