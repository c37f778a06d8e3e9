"""Per-person adjustments, fitted from the person's reward events (`fit.fit_person`)."""

import numpy as np
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from memory.learning.features import FEATURE_SET_VERSION, FEATURES, unpack
from memory.learning.fit import fit_person
from memory.models import PersonPolicy, RewardEvent

LEARNED_SOURCES = (
    RewardEvent.Source.THUMBS,
    RewardEvent.Source.CONTINUED,
    RewardEvent.Source.CORRECTION,
    RewardEvent.Source.SUBAGENT,
    RewardEvent.Source.EDITED,
    RewardEvent.Source.FORGOTTEN,
)
MAX_EVENTS = 2_000  # the latest ones: old habits fade as new feedback comes


def _examples(user_id: int) -> tuple[list[tuple[np.ndarray, float]], int]:
    events = (
        RewardEvent.objects.filter(
            user_id=user_id,
            source__in=LEARNED_SOURCES,
            retrieval__isnull=False,
            retrieval__feature_set=FEATURE_SET_VERSION,
        )
        .select_related("retrieval")
        .order_by("-id")[:MAX_EVENTS]
    )
    examples = []
    last = 0
    for event in events:
        last = max(last, event.id)
        log = event.retrieval
        if log is None:
            continue
        ids = list(log.candidate_ids)
        if event.memory_id not in ids:
            continue
        matrix = unpack(bytes(log.features))
        if matrix.shape[0] != len(ids):
            continue
        index = {memory_id: i for i, memory_id in enumerate(ids)}
        others = [index[m] for m in log.shown_ids if m in index and m != event.memory_id]
        if not others:
            continue
        difference = matrix[index[event.memory_id]] - matrix[others].mean(axis=0)
        examples.append((difference, event.reward))
    return examples, last


def person_policy_fit(*, user_id: int) -> PersonPolicy:
    """Refit the person's adjustment from all their (latest MAX_EVENTS) reward events: the
    same events give the same adjustment, so a retried or repeated run changes nothing."""
    examples, last = _examples(user_id)
    # stored to 6 places, truncated toward zero so the stored one stays inside the bound too
    delta = np.trunc(fit_person(examples) * 1e6) / 1e6
    adjustment = {name: float(delta[i]) for i, name in enumerate(FEATURES) if delta[i]}
    with transaction.atomic():
        policy, _ = PersonPolicy.objects.select_for_update().get_or_create(user_id=user_id)
        policy.adjustment = adjustment
        policy.last_event_id = max(policy.last_event_id, last)
        policy.events = len(examples)
        policy.fitted_at = timezone.now()
        policy.save()
    return policy


def people_with_new_rewards(limit: int = 500) -> list[int]:
    """People whose reward events are newer than their last fit."""
    latest = (
        RewardEvent.objects.filter(source__in=LEARNED_SOURCES, retrieval__isnull=False)
        .values("user_id")
        .annotate(last=Max("id"))
    )
    fitted = dict(PersonPolicy.objects.values_list("user_id", "last_event_id"))
    return [row["user_id"] for row in latest if row["last"] > fitted.get(row["user_id"], 0)][:limit]
