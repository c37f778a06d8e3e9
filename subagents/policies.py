"""Entries under memory's policies: the beat purge of expired entries and the entries an export
waits for a step-up on. Registered with accounts.hooks from SubagentsConfig.ready, so memory
runs them without importing sub-agents."""

from datetime import datetime

from django.db import transaction
from django.db.models import Q

from accounts.models import User
from memory.privacy.audit import AuditAction, audit_record
from memory.privacy.policies import EXPIRY_BATCH, SECRET, PolicyFacts, expired_by_owner
from subagents.models import Entry

BATCH = EXPIRY_BATCH
PURGE_PURPOSE = "policy expiry"


def entries_purge_expired(now: datetime, *, batch: int = BATCH) -> int:
    """Delete every entry past its `expires_at` or `retention_days`, in batches, auditing each
    person's purge by ids; returns how many were deleted. Idempotent: a purged entry is gone."""
    purged = 0
    for due in expired_by_owner(Entry.objects.all(), now, batch=batch):
        for user_id, ids in due.items():
            with transaction.atomic():
                deleted, _ = Entry.objects.filter(user_id=user_id, pk__in=ids).delete()
                if deleted:
                    audit_record(
                        action=AuditAction.FORGET,
                        subject_user_id=user_id,
                        purpose=PURGE_PURPOSE,
                        detail={"entry_ids": ids},
                    )
            purged += deleted
    return purged


def entries_step_up_guarded(user: User) -> list[PolicyFacts]:
    """The person's entries that need a step-up before they are read (secret or
    reauth_required)."""
    rows = (
        Entry.objects.filter(user=user)
        .filter(Q(privacy=SECRET) | Q(policy__reauth_required=True))
        .values_list("pk", "privacy", "policy", "created_at")
    )
    return [PolicyFacts(pk, privacy, policy, created) for pk, privacy, policy, created in rows]
