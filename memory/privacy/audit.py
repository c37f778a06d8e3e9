"""The one audit writer: who read or changed what, and why — ids and purposes, never content."""

from django.db import models

from accounts.models import User
from memory.models import AuditEvent


class AuditAction(models.TextChoices):
    RETRIEVE = "retrieve", "retrieve"
    FORGET = "forget", "forget"
    ERASE = "erase", "erase"
    CONVERSATION_DELETE = "conversation_delete", "conversation delete"
    CHAT_ROUTE = "chat_route", "chat route"
    EXPORT = "export", "export"
    EXPORT_DOWNLOAD = "export_download", "export download"
    IMPORT = "import", "import"
    POLICY_DENIED = "policy_denied", "policy denied"


PURPOSE_MAX = AuditEvent._meta.get_field("purpose").max_length or 120


def audit_record(
    *,
    action: AuditAction,
    subject_user_id: int,
    purpose: str,
    actor: User | None = None,
    memory_ids: list[int] | None = None,
    detail: dict | None = None,
) -> AuditEvent:
    """Write one audit event (inside the caller's transaction, so it commits with the change)."""
    return AuditEvent.objects.create(
        actor=actor,
        subject_user_id=subject_user_id,
        action=AuditAction(action).value,
        purpose=purpose[:PURPOSE_MAX],
        memory_ids=list(memory_ids or []),
        detail=detail or {},
    )
