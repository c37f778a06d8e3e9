"""Purging what has expired: `expires_at` passed or older than `retention_days`.

Run by beat; idempotent (a purged memory is gone) and batched. Memories go through the one
forget service, so term statistics stay consistent and the purge is audited (ids only).
"""

from collections import defaultdict
from datetime import datetime

from django.utils import timezone

from accounts.models import User
from memory.ingest.write import memories_forget
from memory.models import Memory
from memory.privacy.policies import expiry_of

BATCH = 500
PURGE_PURPOSE = "policy expiry"


def memories_purge_expired(*, now: datetime | None = None, batch: int = BATCH) -> int:
    """Forget every memory past its expiry; returns how many were forgotten."""
    now = now or timezone.now()
    purged, after = 0, 0
    while True:
        rows = list(
            Memory.objects.filter(
                pk__gt=after, policy__has_any_keys=["expires_at", "retention_days"]
            )
            .order_by("pk")
            .values_list("pk", "user_id", "created_at", "policy")[:batch]
        )
        if not rows:
            return purged
        due: dict[int, list[int]] = defaultdict(list)
        for pk, user_id, created_at, policy in rows:
            expiry = expiry_of(created_at, policy)
            if expiry is not None and expiry <= now:
                due[user_id].append(pk)
        for user in User.objects.filter(pk__in=due):
            purged += memories_forget(user=user, memory_ids=due[user.pk], purpose=PURGE_PURPOSE)
        after = rows[-1][0]
