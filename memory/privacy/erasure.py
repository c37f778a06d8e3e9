"""Erasure: crypto-shred the person's data key, then delete them and every row that is theirs."""

from django.db import transaction

from macaron.vault import data_key_shred
from memory.privacy.audit import AuditAction, audit_record


def user_erase(*, user, actor=None, reason: str = "erasure request") -> None:
    """Crypto-shred the person's data key, then delete them and every row that is theirs."""
    user_id = user.id
    with transaction.atomic():
        data_key_shred(user_id=user_id)
        user.delete()
        audit_record(
            actor=actor if actor is not None and actor.pk != user_id else None,
            subject_user_id=user_id,
            action=AuditAction.ERASE,
            purpose=reason[:120],
        )
