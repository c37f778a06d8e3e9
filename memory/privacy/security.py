"""Security events from accounts (through `accounts.hooks`) into the audit log."""

from accounts.hooks import SecurityEvent
from memory.privacy.audit import Actor, AuditAction, audit_record


def security_record(event: SecurityEvent) -> None:
    audit_record(
        action=AuditAction(event.kind),
        subject_user_id=event.user_id,
        purpose="security",
        actor_id=event.actor_id,
        actor_type=Actor.SYSTEM if event.actor_id is None else Actor.PERSON,
        detail=event.detail,
    )
