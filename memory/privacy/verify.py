"""Walk the audit chains: every record links to the one before and matches its own hash.

Compaction removes old read records and leaves a checkpoint (a `compaction` record in the same
stream, itself chained) listing each removed run of sequences with the hash that entered it and
the hash that left it; the walk steps over a gap only where a checkpoint accounts for it.
"""

from dataclasses import dataclass

from memory.models import AuditEvent, AuditStream
from memory.privacy.audit import AuditAction
from memory.privacy.chain import GENESIS, record_hash

FIELDS = (
    "id",
    "stream",
    "sequence",
    "actor_type",
    "actor_id",
    "subject_user_id",
    "action",
    "purpose",
    "memory_ids",
    "detail",
    "created_at",
    "prev_hash",
    "hash",
)


@dataclass(frozen=True)
class BrokenLink:
    stream: str
    sequence: int
    event_id: int | None
    reason: str

    def __str__(self) -> str:
        record = f"id {self.event_id}" if self.event_id is not None else "the stream head"
        return f"BROKEN: stream {self.stream}, sequence {self.sequence}, {record}: {self.reason}"


@dataclass(frozen=True)
class StreamReport:
    stream: str
    records: int
    broken: BrokenLink | None


def _gaps(stream: str) -> dict[int, tuple[int, str, str]]:
    """first removed sequence → (last removed sequence, hash entering, hash leaving)."""
    gaps: dict[int, tuple[int, str, str]] = {}
    checkpoints = AuditEvent.objects.filter(stream=stream, action=AuditAction.COMPACTION)
    for detail in checkpoints.values_list("detail", flat=True):
        for first, last, entering, leaving, _digest in detail.get("segments", []):
            gaps[int(first)] = (int(last), entering, leaving)
    return gaps


def stream_verify(stream: str) -> StreamReport:
    gaps = _gaps(stream)
    expected, prev, count = 1, GENESIS, 0
    rows = AuditEvent.objects.filter(stream=stream).order_by("sequence").values(*FIELDS)
    for row in rows.iterator(chunk_size=2000):
        sequence = row["sequence"]
        while sequence > expected and expected in gaps and gaps[expected][1] == prev:
            last, _, leaving = gaps.pop(expected)
            expected, prev = last + 1, leaving
        broken = None
        if sequence != expected:
            end = min([g for g in gaps if expected < g < sequence], default=sequence) - 1
            broken = f"records {expected}..{end} are missing"
        elif row["prev_hash"] != prev:
            broken = "it does not link to the record before it"
        else:
            fields = {k: row[k] for k in FIELDS if k not in ("id", "hash")}
            if record_hash(**fields) != row["hash"]:
                broken = "its content does not match its hash"
        if broken:
            return StreamReport(stream, count, BrokenLink(stream, sequence, row["id"], broken))
        prev, expected, count = row["hash"], expected + 1, count + 1
    head = AuditStream.objects.filter(stream=stream).first()
    if head is None or (head.sequence, head.hash) != (expected - 1, prev):
        reason = "the chain does not end where the stream head says (records missing at the end)"
        last = head.sequence if head is not None else expected - 1
        return StreamReport(stream, count, BrokenLink(stream, last, None, reason))
    return StreamReport(stream, count, None)


def audit_streams() -> list[str]:
    heads = set(AuditStream.objects.values_list("stream", flat=True))
    return sorted(heads | set(AuditEvent.objects.values_list("stream", flat=True).distinct()))


def audit_verify(*, stream: str | None = None) -> list[StreamReport]:
    """Verify one stream or all of them; a report per stream, in order."""
    return [stream_verify(s) for s in ([stream] if stream is not None else audit_streams())]
