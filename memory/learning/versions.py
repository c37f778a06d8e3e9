"""Versions of the global prior (`GatingPolicy`): the hand-set one and the learned ones, each
with its measured effect; one is active, and activating an older one is the roll-back."""

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from macaron.errors import NotFound
from memory.learning.policy import HAND, SHIPPED_PATH, Policy, load_policy_file
from memory.learning.registry import forget_cached_policy
from memory.models import GatingPolicy


def _next_version() -> int:
    return (GatingPolicy.objects.aggregate(top=Max("version"))["top"] or 0) + 1


def policy_version_add(*, policy: Policy, kind: str, note: str = "") -> GatingPolicy:
    data = policy.to_json()
    return GatingPolicy.objects.create(
        version=_next_version(),
        kind=kind,
        weights={k: data[k] for k in ("form", "fused_power", "weights")},
        effect=data["effect"],
        note=note[:200],
    )


def policy_versions_ensure() -> list[GatingPolicy]:
    """The versions, newest first; on first use the hand-set policy (v1) and the shipped
    learned one (v2), the learned one active if it measured better. Idempotent."""
    if not GatingPolicy.objects.exists():
        try:
            with transaction.atomic():
                hand = policy_version_add(policy=HAND, kind=GatingPolicy.Kind.HAND, note="hand-set")
                active = hand
                if SHIPPED_PATH.exists():
                    shipped = load_policy_file(SHIPPED_PATH)
                    learned = policy_version_add(
                        policy=shipped, kind=GatingPolicy.Kind.LEARNED, note="shipped"
                    )
                    if shipped.effect.get("better_than_hand"):
                        active = learned
                GatingPolicy.objects.filter(pk=active.pk).update(
                    active=True, activated_at=timezone.now()
                )
        except IntegrityError:
            pass  # another request seeded them first
        forget_cached_policy()
    return list(GatingPolicy.objects.order_by("-version"))


def policy_version_activate(*, version: int) -> tuple[GatingPolicy, GatingPolicy | None]:
    """Make `version` the active prior (a roll-back when it is older); returns it and the one
    it replaced. Every process sees it within `registry.CACHE_SECONDS`."""
    with transaction.atomic():
        rows = list(GatingPolicy.objects.select_for_update().order_by("version"))
        chosen = next((row for row in rows if row.version == version), None)
        if chosen is None:
            raise NotFound(f"No policy version {version}.")
        previous = next((row for row in rows if row.active), None)
        if previous is not None and previous.pk != chosen.pk:
            GatingPolicy.objects.filter(pk=previous.pk).update(active=False)
        GatingPolicy.objects.filter(pk=chosen.pk).update(active=True, activated_at=timezone.now())
    forget_cached_policy()
    chosen.refresh_from_db()
    return chosen, previous
