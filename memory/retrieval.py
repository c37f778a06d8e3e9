"""The read path: one `retrieve()` for the companion, sub-agents, the API and the benchmark.

Hybrid: a pgvector channel (cosine) and a lexical channel over the keyed blind index (BM25 on
HMAC'd tokens, no plaintext at rest), fused by reciprocal rank fusion, re-scored by
importance / strength / recency / domain gate / time match, diversified with maximal marginal
relevance and cut to a context budget. Time expressions in the query become a time filter
(soft by default: in-range memories are preferred; `filters.strict_time` makes it hard).
Every call writes an audit event and reinforces what it returned.
"""

import math
import time as clock
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, time

import numpy as np
from django.db import connection, transaction
from django.utils import timezone

from macaron.embeddings import get_embedder
from macaron.errors import DomainError
from memory.domains import tag_domains
from memory.models import AuditEvent, Memory, MemorySource
from memory.services import decayed_strength, reinforce_recalled
from memory.text import lexical_terms
from memory.timeexpr import TimeRange, resolve_time
from memory.vault import cipher_for

MAX_QUERY_CHARS = 2_000
MAX_K = 100
POOL = 60  # candidates per channel; independent of k so that top-k is a prefix of top-(k+n)
RRF_K = 60
LEXICAL_CANDIDATE_CAP = 5_000
BM25_K1, BM25_B, AVG_TOKENS = 1.2, 0.75, 20.0


@dataclass(frozen=True)
class Weights:
    """Hand-set re-scoring weights; `memory.gating` fits better ones from reward events."""

    dense: float = 1.0
    lexical: float = 1.0
    importance: float = 0.15
    strength: float = 0.05
    recency: float = 0.05
    domain: float = 0.1
    time_match: float = 0.5
    pinned: float = 0.2
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
    search_ms: float

    @property
    def context_tokens(self) -> int:
        return sum(item.tokens for item in self.items)


PURPOSES = {"companion", "subagent", "api", "evaluation", "person"}


def _policy_allows(row: dict, purpose: str, filters: Filters, now: datetime) -> bool:
    policy = row["policy"] or {}
    expires = policy.get("expires_at")
    if expires and datetime.fromisoformat(expires) < now:
        return False
    needs_reauth = policy.get("reauth_required") or row["privacy"] == Memory.Privacy.SECRET
    if needs_reauth and not filters.reauthenticated:
        return False
    shared = row["privacy"] == Memory.Privacy.NORMAL and policy.get("share_with_subagents", True)
    return purpose != "subagent" or bool(shared)


def _where(user_id: int, filters: Filters, time_range: TimeRange | None) -> tuple[str, list]:
    # user_id is inlined as an integer literal so that a per-user partial index can match.
    clauses, params = [f"user_id = {int(user_id)}"], []
    if not filters.include_history:
        clauses.append("valid_to IS NULL")
    if filters.domains:
        clauses.append("domains && %s::varchar[]")
        params.append(list(filters.domains))
    if filters.kinds:
        clauses.append("kind = ANY(%s)")
        params.append(list(filters.kinds))
    since, until = filters.since, filters.until
    if filters.strict_time and time_range is not None:
        tz = timezone.get_current_timezone()
        since = datetime.combine(time_range.start, time.min, tzinfo=tz)
        until = datetime.combine(time_range.end, time.max, tzinfo=tz)
    if since is not None:
        clauses.append("COALESCE(event_end, event_time, valid_from) >= %s")
        params.append(since)
    if until is not None:
        clauses.append("COALESCE(event_time, valid_from) <= %s")
        params.append(until)
    return " AND ".join(clauses), params


def _dense(cursor, where: str, params: list, vector: np.ndarray) -> list[int]:
    from memory.vector_index import dense_candidates

    # `_where` always starts with the inlined literal "user_id = <id>".
    user_id = int(where.split(" AND ", 1)[0].removeprefix("user_id = "))
    return dense_candidates(
        cursor, user_id=user_id, where=where, params=params, vector=vector, limit=POOL
    )


def _lexical(cursor, where: str, params: list, tokens: list[int], total: int) -> list[int]:
    if not tokens:
        return []
    cursor.execute(
        f"SELECT id, lexical_tokens, token_count FROM memory_memory "
        f"WHERE {where} AND lexical_tokens && %s::bigint[] LIMIT {LEXICAL_CANDIDATE_CAP}",
        [*params, tokens],
    )
    rows = cursor.fetchall()
    if not rows:
        return []
    wanted = set(tokens)
    df = Counter(t for _, row_tokens, _ in rows for t in set(row_tokens) & wanted)
    n = max(total, len(rows))
    idf = {t: math.log(1 + (n - d + 0.5) / (d + 0.5)) for t, d in df.items()}
    scored = []
    for memory_id, row_tokens, length in rows:
        norm = BM25_K1 * (1 - BM25_B + BM25_B * (length or AVG_TOKENS) / AVG_TOKENS)
        score = sum(idf[t] * (BM25_K1 + 1) / (1 + norm) for t in set(row_tokens) & wanted)
        scored.append((score, memory_id))
    scored.sort(reverse=True)
    return [memory_id for _, memory_id in scored[:POOL]]


def _user_memory_count(cursor, user_id: int) -> int:
    cursor.execute(
        "SELECT count(*) FROM memory_memory WHERE user_id = %s AND valid_to IS NULL", [user_id]
    )
    return cursor.fetchone()[0]


def _fuse(channels: list[tuple[list[int], float]]) -> dict[int, float]:
    fused: dict[int, float] = {}
    for ranked, weight in channels:
        for rank, memory_id in enumerate(ranked):
            fused[memory_id] = fused.get(memory_id, 0.0) + weight / (RRF_K + rank + 1)
    return fused


def _time_match(row: dict, time_range: TimeRange | None) -> float:
    if time_range is None:
        return 0.0
    start = (row["event_time"] or row["valid_from"]).date()
    end = (row["event_end"] or row["event_time"] or row["valid_from"]).date()
    return 1.0 if start <= time_range.end and end >= time_range.start else 0.0


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
) -> RetrievalResult:
    """The person's most useful memories for `query`, best first, within `budget` tokens."""
    if not isinstance(query, str) or not query.strip():
        raise DomainError("The query is empty.", fields={"query": ["Write a question."]})
    if len(query) > MAX_QUERY_CHARS:
        raise DomainError(
            f"The query is too long (limit {MAX_QUERY_CHARS:,} characters).",
            fields={"query": ["Too long."]},
        )
    if not 1 <= k <= MAX_K:
        raise DomainError(f"k must be between 1 and {MAX_K}.", fields={"k": ["Out of range."]})
    if purpose not in PURPOSES:
        raise DomainError(f"Unknown purpose {purpose!r}.")
    filters = filters or Filters()
    now = now or timezone.now()
    started = clock.perf_counter()
    vector = query_vector if query_vector is not None else get_embedder().embed_query(query)
    embedded = clock.perf_counter()

    time_range = resolve_time(query, now)
    cipher = cipher_for(user.id)
    query_tokens = sorted({cipher.blind_token(t) for t in lexical_terms(query)})
    where, params = _where(user.id, filters, time_range)
    with connection.cursor() as cursor:
        dense = _dense(cursor, where, params, vector)
        total = _user_memory_count(cursor, user.id) if query_tokens else 0
        lexical = _lexical(cursor, where, params, query_tokens, total)
    fused = _fuse([(dense, weights.dense), (lexical, weights.lexical)])
    rows = {
        row["id"]: row
        for row in Memory.objects.filter(user=user, pk__in=list(fused)).values(
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
            "token_count",
        )
    }
    query_domains = set(tag_domains(query, vector))
    scores, vectors = {}, {}
    for memory_id, base in fused.items():
        row = rows.get(memory_id)
        if row is None or not _policy_allows(row, purpose, filters, now):
            continue
        age_days = max(0.0, (now - row["valid_from"]).total_seconds() / 86400)
        boost = (
            weights.importance * row["importance"]
            + weights.strength
            * decayed_strength(row["strength"], row["strength_at"], row["recall_count"], now)
            + weights.recency * math.exp(-age_days / 30)
            + weights.domain * (1.0 if query_domains & set(row["domains"]) else 0.0)
            + weights.time_match * _time_match(row, time_range)
            + weights.pinned * row["pinned"]
        )
        scores[memory_id] = base * (1 + boost)
        vectors[memory_id] = np.asarray(row["embedding"], dtype=np.float32)
    order = sorted(scores, key=scores.get, reverse=True)
    chosen = _mmr(order[: max(POOL, 3 * k)], scores, vectors, k, weights.mmr_lambda)

    texts = {
        m.id: m
        for m in Memory.objects.filter(user=user, pk__in=chosen).only(
            "id",
            "text_ct",
            "kind",
            "domains",
            "language",
            "created_at",
            "valid_from",
            "event_time",
            "event_end",
            "token_count",
        )
    }
    sources: dict[int, list[tuple[int | None, str]]] = {}
    for memory_id, message_id, external_id in MemorySource.objects.filter(
        memory_id__in=chosen
    ).values_list("memory_id", "message_id", "external_id"):
        sources.setdefault(memory_id, []).append((message_id, external_id))

    items: list[RetrievedMemory] = []
    used = 0
    for memory_id in chosen:
        memory = texts[memory_id]
        event = None
        if memory.event_time is not None:
            event = TimeRange(
                memory.event_time.date(), (memory.event_end or memory.event_time).date()
            )
        item = RetrievedMemory(
            id=memory.id,
            text=cipher.decrypt(memory.text_ct),
            kind=memory.kind,
            domains=memory.domains,
            language=memory.language,
            created_at=memory.created_at,
            valid_from=memory.valid_from,
            event=event,
            score=scores[memory_id],
            tokens=0,
            external_ids=[e for _, e in sources.get(memory_id, []) if e],
            message_ids=[m for m, _ in sources.get(memory_id, []) if m],
        )
        item.tokens = len(item.context_text().split())
        if budget is not None and items and used + item.tokens > budget:
            break
        used += item.tokens
        items.append(item)

    searched = clock.perf_counter()
    returned = [item.id for item in items]
    with transaction.atomic():
        AuditEvent.objects.create(
            actor=actor or user,
            subject_user_id=user.id,
            action="retrieve",
            purpose=purpose,
            memory_ids=returned,
        )
        reinforce_recalled(memory_ids=returned, at=now)
    return RetrievalResult(
        items=items,
        time_range=time_range,
        embed_ms=(embedded - started) * 1000,
        search_ms=(searched - embedded) * 1000,
    )


__all__ = ["Filters", "RetrievalResult", "RetrievedMemory", "Weights", "retrieve"]
