"""Retrieval's two stages side by side on the LoCoMo dev set and the cross-lingual dev set.

Each conversation is ingested once through the real ingestion (token vectors timed apart);
then every question is asked with the first stage only and with both, one after the other, so
both see the same memories and the same machine load. Latency is the whole retrieve() call, the
query's embedding and the second stage's encoding included. Read-only (evaluation purpose), in
throwaway accounts erased afterwards.
"""

import time as clock
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from django.db import connection

from macaron.late_interaction import get_late_encoder
from memory.evaluation.locomo import (
    eval_user,
    ingest_sample,
    load_dataset,
    percentile,
    question_read,
    score_items,
)
from memory.evaluation.metrics import CATEGORIES, RECALL_AT, Scores
from memory.ingest.late import memories_late_encode
from memory.learning.registry import global_policy
from memory.privacy.erasure import user_erase

K = 10

STORAGE_SQL = """
SELECT count(*), count(late_ct), coalesce(avg(octet_length(late_ct)), 0),
       avg(octet_length(vector_send(embedding)))
  FROM memory_memory WHERE user_id = %s AND forgotten_at IS NULL
"""


@dataclass
class Variant:
    overall: Scores = field(default_factory=Scores)
    by_category: dict[int, Scores] = field(default_factory=dict)
    latencies: list[float] = field(default_factory=list)
    rerank_ms: list[float] = field(default_factory=list)


@dataclass
class DatasetRun:
    variants: dict[str, Variant]
    turns: int = 0
    ingest_s: float = 0.0
    late_s: float = 0.0
    memories: int = 0
    encoded: int = 0
    late_bytes: float = 0.0
    vector_bytes: float = 0.0


def run_dataset(path: Path, *, progress: bool, limit: int | None = None) -> DatasetRun:
    samples = load_dataset(path)[:limit]
    active = global_policy()
    variants = {"first stage": active.with_second_stage(0.0), "two stages": active}
    out = DatasetRun(variants={name: Variant() for name in variants})
    for sample in samples:
        user = eval_user()
        try:
            started = clock.perf_counter()
            end = ingest_sample(user, sample, progress=progress, late_vectors=False)
            out.ingest_s += clock.perf_counter() - started
            started = clock.perf_counter()
            memories_late_encode(user_id=user.id)
            out.late_s += clock.perf_counter() - started
            out.turns += sum(len(s.turns) for s in sample.sessions)
            with connection.cursor() as cursor:
                cursor.execute(STORAGE_SQL, [user.id])
                memories, encoded, late_bytes, vector_bytes = cursor.fetchone()
            out.late_bytes += float(late_bytes) * encoded
            out.vector_bytes += float(vector_bytes or 0) * memories
            out.memories += memories
            out.encoded += encoded
            for qa in sample.questions:
                for name, policy in variants.items():
                    result = question_read(user, qa.question, now=end, policy=policy)
                    variant = out.variants[name]
                    variant.latencies.append(result.embed_ms + result.search_ms)
                    variant.rerank_ms.append(result.rerank_ms)
                    scored = score_items(result.items, qa, K)
                    if scored is None:
                        continue
                    variant.by_category.setdefault(qa.category, Scores()).add(*scored)
                    if qa.category != 5:
                        variant.overall.add(*scored)
        finally:
            user_erase(user=user, reason="retrieval_bench throwaway user")
    return out


def _recall(scores: Scores, n: int) -> str:
    return f"{scores.report(K)[f'recall@{n}']:.3f}"


def run(
    *,
    dataset: Path,
    crosslingual: Path,
    write: Callable[[str], None] = print,
    progress: bool = False,
    limit: int | None = None,
) -> list[tuple[str, str]]:
    encoder = get_late_encoder()
    if encoder is None:
        return [("retrieval_bench", "skipped: the second stage is off or not installed")]
    encoder.encode_query("warm up")
    lines: list[tuple[str, str]] = []

    def row(name: str, value: str) -> None:
        lines.append((name, value))
        write(f"  {name}: {value}")

    row(
        "scoring policy",
        f"{global_policy().name} (the active one), its second stage's share "
        f"{global_policy().second_stage:g}",
    )
    for label, path in (("LoCoMo dev", dataset), ("cross-lingual dev", crosslingual)):
        if not path.exists():
            row(label, f"skipped: no {path}")
            continue
        measured = run_dataset(path, progress=progress, limit=limit)
        for name, variant in measured.variants.items():
            report = variant.overall.report(K)
            recalls = " ".join(f"@{n} {report[f'recall@{n}']:.3f}" for n in RECALL_AT)
            row(
                f"{label}, {name}",
                f"recall {recalls}; tokens@10 {report[f'tokens@{K}']:.0f}; "
                f"session any-hit@5 {report['session_any_hit@5']:.3f}; "
                f"{report['questions']} questions",
            )
            if label == "LoCoMo dev":
                categories = ", ".join(
                    f"{CATEGORIES[c]} {_recall(s, K)} (@1 {_recall(s, 1)})"
                    for c, s in sorted(variant.by_category.items())
                )
                row(f"{label}, {name}, by category @10", categories)
            row(
                f"{label}, {name}, retrieve()",
                f"p50 {percentile(variant.latencies, 0.5)} ms / "
                f"p95 {percentile(variant.latencies, 0.95)} ms (embedding and second stage "
                f"included; second stage alone p95 {percentile(variant.rerank_ms, 0.95)} ms)",
            )
        if measured.turns:
            without = measured.turns / measured.ingest_s
            with_late = measured.turns / (measured.ingest_s + measured.late_s)
            row(
                f"{label}, ingestion",
                f"{measured.turns} turns: {without:.1f} turns/s without token vectors, "
                f"{with_late:.1f} turns/s with them "
                f"({measured.late_s * 1000 / max(measured.encoded, 1):.1f} ms a memory)",
            )
        if measured.encoded:
            row(
                f"{label}, storage",
                f"{measured.encoded} of {measured.memories} memories with token vectors, "
                f"{measured.late_bytes / measured.encoded:.0f} bytes each (encrypted), "
                f"beside {measured.vector_bytes / max(measured.memories, 1):.0f} bytes of "
                f"dense vector",
            )
    return lines
