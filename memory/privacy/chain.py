"""The audit hash chain: the canonical form of one record and its SHA-256.

Pure functions (no models), so the migration that chains pre-existing records and
`audit_verify` compute exactly what the writer computed.
"""

import hashlib
import json
from datetime import UTC, datetime

GENESIS = ""  # prev_hash of a stream's first record
SYSTEM_STREAM = "system"  # events without a subject: tombstones, unknown-account login failures


def person_stream(user_id: int) -> str:
    return f"user:{int(user_id)}"


def _plain(value, path: str = "detail") -> None:
    """Detail is hashed before it goes through jsonb; floats would not round-trip exactly."""
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(f"{path}: keys must be strings")
            _plain(item, f"{path}.{key}")
    elif isinstance(value, list):
        for item in value:
            _plain(item, path)
    elif not (value is None or isinstance(value, (str, int, bool))):
        raise TypeError(f"{path}: only strings, integers, booleans, lists and objects")


def canonical(
    *,
    stream: str,
    sequence: int,
    actor_type: str,
    actor_id: int | None,
    subject_user_id: int | None,
    action: str,
    purpose: str,
    memory_ids: list[int],
    detail: dict,
    created_at: datetime,
    prev_hash: str,
) -> bytes:
    _plain(detail)
    record = {
        "stream": stream,
        "sequence": int(sequence),
        "actor_type": actor_type,
        "actor_id": actor_id,
        "subject": subject_user_id,
        "action": action,
        "purpose": purpose,
        "ids": [int(i) for i in memory_ids],
        "detail": detail,
        "at": created_at.astimezone(UTC).isoformat(timespec="microseconds"),
        "prev": prev_hash,
    }
    return json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def record_hash(**fields) -> str:
    return hashlib.sha256(canonical(**fields)).hexdigest()


def segment_digest(hashes: list[str]) -> str:
    """What a compaction checkpoint keeps of the records it removed: the hash of their hashes."""
    return hashlib.sha256("\n".join(hashes).encode()).hexdigest()
