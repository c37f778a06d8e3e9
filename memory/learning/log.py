"""The per-call retrieval log (`RetrievalLog`) and its retention."""

from datetime import datetime, timedelta

import numpy as np
from django.conf import settings
from django.utils import timezone

from memory.learning.features import FEATURE_SET_VERSION, pack
from memory.models import RetrievalLog

# Reads whose memories can earn a reward; the person's own searches of their memory page and
# evaluation replays are not logged.
LOGGED_PURPOSES = frozenset({"companion", "subagent", "api"})


def retrieval_log(
    *,
    user_id: int,
    purpose: str,
    policy: str,
    candidate_ids: list[int],
    matrix: np.ndarray,
    scores: np.ndarray,
    shown_ids: list[int],
    at: datetime,
) -> int:
    """Keep what one retrieve() call re-scored: candidates best first, features, scores and
    which were shown. No query text. Returns the log's id (reward events point at it)."""
    return RetrievalLog.objects.create(
        user_id=user_id,
        purpose=purpose,
        policy=policy[:48],
        feature_set=FEATURE_SET_VERSION,
        candidate_ids=candidate_ids,
        shown_ids=shown_ids,
        features=pack(matrix),
        scores=np.asarray(scores, dtype=np.float32).tobytes(),
        created_at=at,
    ).id


def log_days() -> int:
    return settings.LEARNING_LOG_DAYS


def retrieval_logs_prune(*, now: datetime | None = None, batch_size: int = 5000) -> int:
    """Delete logs older than LEARNING_LOG_DAYS, in batches; idempotent. Reward events keep
    their signal (their `retrieval` becomes empty)."""
    cutoff = (now or timezone.now()) - timedelta(days=log_days())
    deleted = 0
    while True:
        ids = list(
            RetrievalLog.objects.filter(created_at__lt=cutoff)
            .order_by("id")
            .values_list("id", flat=True)[:batch_size]
        )
        if not ids:
            return deleted
        deleted += (
            RetrievalLog.objects.filter(id__in=ids).delete()[1].get(RetrievalLog._meta.label, 0)
        )
