"""Purging what has expired: `expires_at` passed or older than `retention_days`.

Run by beat; idempotent (a purged memory is gone) and batched. Memories go through the one
forget service, so term statistics stay consistent and the purge is audited (ids only).
"""

from datetime import datetime

from django.utils import timezone

from accounts.models import User
from memory.ingest.write import memories_forget
from memory.models import Memory
from memory.privacy.policies import EXPIRY_BATCH, expired_by_owner

BATCH = EXPIRY_BATCH
PURGE_PURPOSE = "policy expiry"


def memories_purge_expired(*, now: datetime | None = None, batch: int = BATCH) -> int:
    """Forget every memory past its expiry; returns how many were forgotten."""
    purged = 0
    for due in expired_by_owner(Memory.objects.all(), now or timezone.now(), batch=batch):
        for user in User.objects.filter(pk__in=due):
            purged += memories_forget(user=user, memory_ids=due[user.pk], purpose=PURGE_PURPOSE)
    return purged
