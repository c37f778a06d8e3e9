"""Security events into the audit log: from accounts (through `accounts.hooks`) and key
rotations (through `macaron.vault`)."""

from accounts.hooks import SecurityEvent
from macaron.vault import Rotation
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


def key_rotation_record(rotation: Rotation) -> None:
    """A finished master-key rotation, on the system stream (key ids and counts only)."""
    audit_record(
        action=AuditAction.KEY_ROTATE,
        subject_user_id=None,
        purpose="master key rotation",
        detail={
            "key_id": rotation.key_id,
            "resumed": rotation.resumed,
            "rewrapped": rotation.rewrapped,
            "destroyed": list(rotation.destroyed),
        },
    )
