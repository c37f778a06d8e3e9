"""Audit retention: read events older than `AUDIT_READ_RETENTION_DAYS` become daily aggregates.

A read-heavy person writes an audit record per retrieval; kept for ever they would grow without
bound. The beat job folds each person's old `retrieve` records into `read_summary` records (one
per day, reader and purpose, with counts) and a `compaction` checkpoint, all appended to the same
chain, then deletes what it folded. The checkpoint lists each removed run of sequences with the
hash that entered it, the hash that left it and a digest of the removed hashes, so `audit_verify`
steps over exactly those gaps and nothing else; every surviving record is checked as before.
"""

from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from memory.models import AuditEvent
from memory.privacy.audit import Actor, AuditAction, audit_prune, audit_record, audit_stream_lock
from memory.privacy.chain import segment_digest

BATCH = 1000  # records folded per transaction (bounds the checkpoint's size and the lock time)
READ_FIELDS = (
    "id",
    "sequence",
    "prev_hash",
    "hash",
    "actor_type",
    "actor_id",
    "purpose",
    "memory_ids",
    "detail",
    "created_at",
)


def _segments(rows: list[dict]) -> list[list]:
    """Runs of consecutive sequences: [first, last, hash entering, hash leaving, digest]."""
    runs: list[list[dict]] = []
    for row in rows:
        if runs and row["sequence"] == runs[-1][-1]["sequence"] + 1:
            runs[-1].append(row)
        else:
            runs.append([row])
    return [
        [
            run[0]["sequence"],
            run[-1]["sequence"],
            run[0]["prev_hash"],
            run[-1]["hash"],
            segment_digest([r["hash"] for r in run]),
        ]
        for run in runs
    ]


SummaryKey = tuple[str, str, int | None, str, int | None]


def _summaries(rows: list[dict]) -> dict[SummaryKey, list[int]]:
    """(day, actor type, actor id, purpose, sub-agent installation) → [reads, memories read]."""
    summaries: dict[SummaryKey, list[int]] = {}
    for row in rows:
        key = (
            row["created_at"].astimezone(UTC).date().isoformat(),
            row["actor_type"],
            row["actor_id"],
            row["purpose"],
            (row["detail"] or {}).get("installation_id"),
        )
        counts = summaries.setdefault(key, [0, 0])
        counts[0] += 1
        counts[1] += len(row["memory_ids"])
    return summaries


def stream_reads_compact(*, stream: str, subject_user_id: int, before: datetime) -> int:
    """Fold up to BATCH of the stream's reads older than `before`; how many were folded."""
    with transaction.atomic():
        audit_stream_lock(stream)  # nobody appends or compacts this stream meanwhile
        rows = list(
            AuditEvent.objects.filter(
                stream=stream, action=AuditAction.RETRIEVE, created_at__lt=before
            )
            .order_by("sequence")
            .values(*READ_FIELDS)[:BATCH]
        )
        if not rows:
            return 0
        for (day, actor_type, actor_id, purpose, installation_id), (reads, memories) in sorted(
            _summaries(rows).items(), key=lambda item: str(item[0])
        ):
            detail = {"day": day, "reads": reads, "memories": memories}
            if installation_id is not None:
                detail["installation_id"] = installation_id
            audit_record(
                action=AuditAction.READ_SUMMARY,
                subject_user_id=subject_user_id,
                purpose=purpose,
                actor_id=actor_id,
                actor_type=actor_type,
                detail=detail,
                stream=stream,
            )
        audit_record(
            action=AuditAction.COMPACTION,
            subject_user_id=subject_user_id,
            purpose="audit retention",
            actor_type=Actor.SYSTEM,
            detail={
                "segments": _segments(rows),
                "removed": len(rows),
                "before": before.astimezone(UTC).isoformat(),
            },
            stream=stream,
        )
        audit_prune(stream=stream, ids=[row["id"] for row in rows])
    return len(rows)


def audit_reads_compact(*, now: datetime | None = None) -> int:
    """The beat job: fold every person's reads older than the retention; how many were folded."""
    before = (now or timezone.now()) - timedelta(days=settings.AUDIT_READ_RETENTION_DAYS)
    streams = (
        AuditEvent.objects.filter(action=AuditAction.RETRIEVE, created_at__lt=before)
        .values_list("stream", "subject_user_id")
        .distinct()
    )
    folded = 0
    for stream, subject_user_id in list(streams):
        while n := stream_reads_compact(
            stream=stream, subject_user_id=subject_user_id, before=before
        ):
            folded += n
    return folded
