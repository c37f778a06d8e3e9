"""Per-item policies and the one place that decides who may read what.

Every memory and every sub-agent entry carries a privacy level (normal, private — the
sensitive level —, secret) and
rules (`reauth_required`, `share_with_subagents`, `share_with_companion`, `expires_at`,
`retention_days`). `may_read(item, reader)` is the only judge: retrieval, the API, the pages,
export and staff tools ask it, and `readable()` audits what it denied (ids only).
"""

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from enum import StrEnum
from typing import Protocol, TypeVar

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from macaron.errors import DomainError, PermissionDenied
from macaron.timezones import aware

POLICY_KEYS = {
    "reauth_required": bool,
    "share_with_subagents": bool,
    "share_with_companion": bool,
    "expires_at": str,
    "retention_days": int,
}
MAX_RETENTION_DAYS = 36_500
# The sensitive level is stored as "private" (never shared with sub-agents unless allowed).
NORMAL, SENSITIVE, SECRET = "normal", "private", "secret"
SENSITIVE_DOMAINS = frozenset({"health", "finance"})


def default_privacy(domains: Iterable[str]) -> str:
    """Health and finance are sensitive unless the person says otherwise."""
    return SENSITIVE if SENSITIVE_DOMAINS.intersection(domains) else NORMAL


def default_policy(privacy: str) -> dict:
    """The rules a level gets by default. A sensitive item stays usable by sub-agents (an
    allergy shapes the meal planner, as the design wants) but says so, so the person can untick
    it; a level the person chooses themself starts from that level's own defaults."""
    return {"share_with_subagents": True} if privacy == SENSITIVE else {}


class ReaderKind(StrEnum):
    PERSON = "person"  # the owner, on the web or the API; `stepped_up` after a password re-entry
    COMPANION = "companion"
    SUBAGENT = "subagent"
    STAFF = "staff"
    EXPORT = "export"


@dataclass(frozen=True)
class Reader:
    kind: ReaderKind
    stepped_up: bool = False
    subagent_id: int | None = None
    break_glass: bool = False  # staff reading one item with a stated, audited reason

    @property
    def purpose(self) -> str:
        if self.kind == ReaderKind.SUBAGENT and self.subagent_id is not None:
            return f"subagent {self.subagent_id}"
        return str(self.kind)


class PolicyItem(Protocol):
    """What `may_read` needs of a memory or a sub-agent entry (memory never imports entries)."""

    @property
    def privacy(self) -> str: ...
    @property
    def policy(self) -> dict: ...
    @property
    def created_at(self) -> datetime: ...


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str = ""
    locked: bool = False  # shown to the person as "locked" (id only) until a step-up

    def __bool__(self) -> bool:
        return self.allowed


ALLOW = Decision(allowed=True)


class StepUpRequired(PermissionDenied):
    code = "step_up_required"


@dataclass(frozen=True)
class PolicyFacts:
    """A PolicyItem built from a raw row or from a sub-agent entry's fields."""

    id: int
    privacy: str
    policy: dict
    created_at: datetime


T = TypeVar("T", bound=PolicyItem)


def rules(privacy: str, policy: dict | None) -> dict:
    """The item's rules with the level's defaults filled in (stated rules win)."""
    stated = policy or {}
    return {
        "reauth_required": privacy == SECRET or bool(stated.get("reauth_required", False)),
        "share_with_subagents": privacy == NORMAL
        if "share_with_subagents" not in stated
        else bool(stated["share_with_subagents"]) and privacy != SECRET,
        "share_with_companion": privacy != SECRET
        and bool(stated.get("share_with_companion", True)),
        "expires_at": stated.get("expires_at"),
        "retention_days": stated.get("retention_days"),
    }


def expiry_of(created_at: datetime, policy: dict | None) -> datetime | None:
    """When the item is due to be purged: its `expires_at` or the end of its retention."""
    stated = policy or {}
    moments = []
    if stated.get("expires_at"):
        moments.append(datetime.fromisoformat(stated["expires_at"]))
    if stated.get("retention_days"):
        moments.append(created_at + timedelta(days=int(stated["retention_days"])))
    return min(moments) if moments else None


EXPIRY_BATCH = 500


def expired_by_owner(
    rows: QuerySet, now: datetime, *, batch: int = EXPIRY_BATCH
) -> Iterator[dict[int, list[int]]]:
    """The ids of rows (memories, entries: anything with `user_id`, `created_at` and a `policy`)
    past their expiry, grouped by owner, one batch of rows carrying an expiry rule at a time."""
    after = 0
    while True:
        page = list(
            rows.filter(pk__gt=after, policy__has_any_keys=["expires_at", "retention_days"])
            .order_by("pk")
            .values_list("pk", "user_id", "created_at", "policy")[:batch]
        )
        if not page:
            return
        due: dict[int, list[int]] = defaultdict(list)
        for pk, user_id, created_at, policy in page:
            expiry = expiry_of(created_at, policy)
            if expiry is not None and expiry <= now:
                due[user_id].append(pk)
        yield due
        after = page[-1][0]


def may_read(item: PolicyItem, reader: Reader, *, now: datetime | None = None) -> Decision:
    """Whether this reader may see this item's content, and if not, why."""
    expiry = expiry_of(item.created_at, item.policy)
    if expiry is not None and expiry <= (now or timezone.now()):
        return Decision(allowed=False, reason="expired")
    effective = rules(item.privacy, item.policy)
    match reader.kind:
        case ReaderKind.COMPANION:
            if not effective["share_with_companion"]:
                return Decision(allowed=False, reason="not_shared_with_companion")
            if effective["reauth_required"]:
                return Decision(allowed=False, reason="step_up_required")
        case ReaderKind.SUBAGENT:
            if not effective["share_with_subagents"] or effective["reauth_required"]:
                return Decision(allowed=False, reason="not_shared_with_subagents")
        case ReaderKind.PERSON | ReaderKind.EXPORT:
            if effective["reauth_required"] and not reader.stepped_up:
                return Decision(allowed=False, reason="step_up_required", locked=True)
        case ReaderKind.STAFF:  # staff see that an item exists, never what it says
            if not reader.break_glass:
                return Decision(allowed=False, reason="staff", locked=True)
            if item.privacy == SECRET:  # not even with a reason
                return Decision(allowed=False, reason="secret")
    return ALLOW


def readable(
    items: Sequence[T],
    reader: Reader,
    *,
    subject_user_id: int,
    ids: Sequence[int] | None = None,
    actor=None,
    now: datetime | None = None,
    kind: str = "memory",
) -> tuple[list[T], list[T]]:
    """Split items into (readable, denied); denials are audited once, by id (memories in
    `memory_ids`, other kinds of item, such as "entry", in the detail)."""
    from memory.privacy.audit import AuditAction, audit_record  # audit imports the models

    now = now or timezone.now()
    allowed, denied, denied_ids = [], [], []
    for index, item in enumerate(items):
        if may_read(item, reader, now=now):
            allowed.append(item)
        else:
            denied.append(item)
            denied_ids.append(ids[index] if ids is not None else item.id)  # type: ignore[attr-defined]
    if denied_ids:
        audit_record(
            action=AuditAction.POLICY_DENY,
            subject_user_id=subject_user_id,
            actor=actor,
            purpose=reader.purpose,
            memory_ids=denied_ids if kind == "memory" else None,
            detail=None if kind == "memory" else {f"{kind}_ids": denied_ids},
        )
    return allowed, denied


def validate_policy(policy: dict) -> dict:
    if not isinstance(policy, dict):
        raise DomainError(
            "The policy must be an object.", fields={"policy": ["Must be an object."]}
        )
    clean = {}
    for key, value in policy.items():
        expected = POLICY_KEYS.get(key)
        if expected is None:
            raise DomainError(
                f"Unknown policy rule; the rules are {', '.join(POLICY_KEYS)}.",
                fields={"policy": ["Unknown rule."]},
            )
        if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
            raise DomainError(
                "A policy rule has the wrong type.",
                fields={"policy": [f"{key}: wrong type."]},
            )
        if key == "expires_at" and isinstance(value, str):
            parsed = _parse_datetime(value)
            value = parsed.isoformat()
        if key == "retention_days" and not 1 <= value <= MAX_RETENTION_DAYS:
            raise DomainError(
                "Retention must be between 1 and 36500 days.",
                fields={"policy": ["retention_days: between 1 and 36500."]},
            )
        clean[key] = value
    return clean


def _parse_datetime(value: str) -> datetime:
    """ISO 8601; a bare date means the end of that day."""
    try:  # ValueError: well-formed but impossible (2024-02-30); OverflowError: beyond 1..9999
        day = parse_date(value)
        parsed = datetime.combine(day, time.max) if day else parse_datetime(value)
        parsed = aware(parsed) if parsed is not None else None
        if parsed is not None:
            parsed.astimezone(UTC)  # comparing it with now() must not overflow
    except (ValueError, OverflowError):
        parsed = None
    if parsed is None:
        raise DomainError(
            "Not an ISO 8601 date.", fields={"policy": ["expires_at must be ISO 8601."]}
        )
    return parsed
