"""Per-memory policies: what a memory allows (re-auth, sharing with sub-agents, expiry)."""

from datetime import UTC, datetime, time

from django.utils.dateparse import parse_date, parse_datetime

from macaron.errors import DomainError
from macaron.timezones import aware

POLICY_KEYS = {"reauth_required": bool, "share_with_subagents": bool, "expires_at": str}


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
        if not isinstance(value, expected):
            raise DomainError(
                "A policy rule has the wrong type.",
                fields={"policy": [f"{key}: wrong type."]},
            )
        if key == "expires_at" and isinstance(value, str):
            parsed = _parse_datetime(value)
            value = parsed.isoformat()
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
