"""Which policy a read uses: the active global version (staff console; else the shipped
learned policy if it measured better; else hand), with the person's adjustment."""

import time

import numpy as np

from memory.learning.policy import HAND, Policy, PolicyError, shipped_policy, vector
from memory.models import GatingPolicy, PersonPolicy

CACHE_SECONDS = 30.0  # a roll-back reaches every process within this
_cache: dict[str, tuple[float, Policy]] = {}


def policy_from_version(row: GatingPolicy) -> Policy:
    data = dict(row.weights)
    data.setdefault("name", f"v{row.version}")
    data["name"] = f"v{row.version}:{row.kind}"
    data["effect"] = row.effect
    return Policy.from_json(data)


def global_policy() -> Policy:
    cached = _cache.get("global")
    if cached is not None and time.monotonic() - cached[0] < CACHE_SECONDS:
        return cached[1]
    row = GatingPolicy.objects.filter(active=True).first()
    policy: Policy = HAND
    if row is not None:
        try:
            policy = policy_from_version(row)
        except PolicyError:
            policy = HAND  # a stored version that no longer loads never breaks reads
    else:
        policy = shipped_policy() or HAND
    _cache["global"] = (time.monotonic(), policy)
    return policy


def forget_cached_policy() -> None:
    _cache.clear()


def person_adjustment(user_id: int) -> np.ndarray | None:
    adjustment = (
        PersonPolicy.objects.filter(user_id=user_id).values_list("adjustment", flat=True).first()
    )
    if not adjustment:
        return None
    try:
        return vector(adjustment)
    except PolicyError:
        return None


def policy_for(user_id: int, prior: Policy | None = None) -> Policy:
    """The policy one person's reads use: `prior` (else the global one) with their adjustment."""
    return (prior or global_policy()).with_adjustment(person_adjustment(user_id))
