"""Memory strength: the forgetting curve and its periodic decay."""

import math
from datetime import datetime

from django.db import connection
from django.utils import timezone

from memory.learning.gate import shipped_decay_days
from memory.models import Memory

# The forgetting curve's time constant (it grows with each recall: the spacing effect), fitted
# on labelled conversations and shipped with the forget gate (`memory.learning.gate`).
DECAY_DAYS = shipped_decay_days()
# The periodic job stores a decayed strength only once it has fallen by at least this much:
# reads compute the current strength from `strength_at` (`decayed_strength`), so rows are not
# rewritten every run for changes nobody would see.
DECAY_STORE_STEP = 0.05


def memories_decay(*, now: datetime | None = None, batch_size: int = 5000) -> int:
    """Forgetting curve: strength *= exp(-elapsed / (DECAY_DAYS * (1 + recalls))).

    Computed from each row's `strength_at`, so running it twice (or late) gives the same result.
    Only rows whose strength fell by at least DECAY_STORE_STEP are written; returns how many.
    Pinned memories do not fade.
    """
    now = now or timezone.now()
    updated = 0
    last_id = 0
    while True:
        ids = list(
            Memory.objects.filter(pk__gt=last_id, pinned=False, strength_at__lt=now)
            .order_by("pk")
            .values_list("pk", flat=True)[:batch_size]
        )
        if not ids:
            return updated
        last_id = ids[-1]
        with connection.cursor() as cursor:
            cursor.execute(
                """
                UPDATE memory_memory
                   SET strength = strength * exp(
                         -extract(epoch FROM (%s - strength_at)) / 86400.0
                         / (%s * (1 + recall_count))),
                       strength_at = %s
                 WHERE id = ANY(%s) AND strength_at < %s
                   AND strength * (1 - exp(
                         -extract(epoch FROM (%s - strength_at)) / 86400.0
                         / (%s * (1 + recall_count)))) >= %s
                """,
                [now, DECAY_DAYS, now, ids, now, now, DECAY_DAYS, DECAY_STORE_STEP],
            )
            updated += cursor.rowcount


def decayed_strength(
    strength: float,
    strength_at: datetime,
    recall_count: int,
    now: datetime,
    *,
    pinned: bool = False,
) -> float:
    """The strength now; a pinned memory keeps its stored one (it never fades)."""
    if pinned:
        return strength
    days = max(0.0, (now - strength_at).total_seconds() / 86400.0)
    return strength * math.exp(-days / (DECAY_DAYS * (1 + recall_count)))
