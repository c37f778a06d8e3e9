"""The one audit writer: who read or changed what, and why — ids and purposes, never content.

Every record is appended to a hash chain (`memory.privacy.chain`): one stream per subject person
(`user:<id>`) and the `system` stream for events without one. Appending locks the stream's head
row (`AuditStream`) until the transaction ends, so concurrent writers of a stream take turns and
the unique (stream, sequence) constraint backs it up.

Lock order: a transaction that changes a person's memories or conversations and is audited takes
the person's stream lock before touching those rows (`person_write_lock` does, retrieval does
before reinforcing, deletions do first), so two such transactions never wait on each other in a
circle.
"""

from datetime import datetime

from django.db import connection, models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from memory.models import AuditEvent, AuditStream
from memory.privacy.chain import SYSTEM_STREAM, person_stream, record_hash


class AuditAction(models.TextChoices):
    RETRIEVE = "retrieve", _("retrieve")
    FORGET = "forget", _("forget")
    TRASH = "trash", _("moved to the trash")
    RESTORE = "restore", _("restored from the trash")
    ERASE = "erase", _("erase")
    CONVERSATION_DELETE = "conversation_delete", _("conversation delete")
    CHAT_ROUTE = "chat_route", _("chat route")
    EXPORT_DOWNLOAD = "export_download", _("export download")
    IMPORT = "import", _("import")
    # Compaction of old read events (memory.privacy.retention)
    READ_SUMMARY = "read_summary", _("read summary")
    COMPACTION = "compaction", _("compaction")
    # Security events
    LOGIN = "login", _("login")
    LOGIN_FAILED = "login_failed", _("login failed")
    LOGOUT = "logout", _("logout")
    LOGOUT_EVERYWHERE = "logout_everywhere", _("log out everywhere")
    PASSWORD_CHANGE = "password_change", _("password change")
    TOKEN_CREATE = "token_create", _("token created")
    TOKEN_USE = "token_use", _("token used")
    TOKEN_REVOKE = "token_revoke", _("token revoked")
    KEY_ROTATE = "key_rotate", _("key rotation")
    KEY_SHRED = "key_shred", _("data key destroyed")
    EXPORT = "export", _("export")
    PERMISSION_CHANGE = "permission_change", _("permission change")
    # The staff console (memory.staff): a page looked at, a reasoned read of content, and a
    # read a memory's policy refused.
    STAFF_VIEW = "staff_view", _("staff console view")
    BREAK_GLASS = "break_glass", _("break-glass read")
    POLICY_DENY = "policy_deny", _("policy denial")
    # A version of the memory scoring policy made active (memory.learning.versions).
    SCORING_POLICY = "scoring_policy", _("scoring policy change")


Actor = AuditEvent.Actor
PURPOSE_MAX = AuditEvent._meta.get_field("purpose").max_length or 120
LOCK_SQL = "SELECT sequence, hash FROM memory_auditstream WHERE stream = %s FOR UPDATE"
HEAD_SQL = """
INSERT INTO memory_auditstream (stream, sequence, hash) VALUES (%s, 0, '')
ON CONFLICT (stream) DO UPDATE SET stream = EXCLUDED.stream
RETURNING sequence, hash
"""


def actor_type_of(*, actor: User | None, subject_user_id: int | None) -> str:
    """Who acted, when the caller does not say: nobody is the system, the person themself is the
    person, staff are staff (another signed-in person acting is recorded as a person)."""
    if actor is None:
        return Actor.SYSTEM
    if actor.is_staff and actor.pk != subject_user_id:
        return Actor.STAFF
    return Actor.PERSON


def audit_record(
    *,
    action: AuditAction,
    subject_user_id: int | None,
    purpose: str,
    actor: User | None = None,
    actor_id: int | None = None,
    actor_type: str | None = None,
    memory_ids: list[int] | None = None,
    detail: dict | None = None,
    stream: str | None = None,
    at: datetime | None = None,
) -> AuditEvent:
    """Append one audit event to its stream (inside the caller's transaction, so it commits with
    the change; alone, in its own). `actor_id` stands in for `actor` where only the id is known."""
    if actor is not None:
        actor_id = actor.pk
    if actor_type is None:
        actor_type = actor_type_of(actor=actor, subject_user_id=subject_user_id)
    if stream is None:
        stream = SYSTEM_STREAM if subject_user_id is None else person_stream(subject_user_id)
    fields = {
        "stream": stream,
        "actor_type": Actor(actor_type).value,
        "actor_id": actor_id,
        "subject_user_id": subject_user_id,
        "action": AuditAction(action).value,
        "purpose": purpose[:PURPOSE_MAX],
        "memory_ids": [int(i) for i in memory_ids or []],
        "detail": detail or {},
        # Microseconds are what Postgres keeps; the hash covers what is stored.
        "created_at": at or timezone.now(),
    }
    with transaction.atomic(savepoint=False):
        last_sequence, last_hash = audit_stream_lock(stream)
        sequence = last_sequence + 1
        digest = record_hash(sequence=sequence, prev_hash=last_hash, **fields)
        event = AuditEvent.objects.create(
            sequence=sequence, prev_hash=last_hash, hash=digest, **fields
        )
        AuditStream.objects.filter(stream=stream).update(sequence=sequence, hash=digest)
    return event


def audit_stream_lock(stream: str) -> tuple[int, str]:
    """Lock the stream's head until the transaction ends (creating it the first time); its
    last (sequence, hash)."""
    with connection.cursor() as cursor:
        cursor.execute(LOCK_SQL, [stream])
        row = cursor.fetchone()
        if row is None:
            cursor.execute(HEAD_SQL, [stream])
            row = cursor.fetchone()
    return row[0], row[1]


def audit_prune(*, stream: str, ids: list[int] | None = None) -> int:
    """Delete records of one stream (all of them, or `ids`), past the append-only trigger: only
    compaction (after checkpointing what it removes) and erasure (after a tombstone) call it.
    The caller holds the stream lock inside its transaction."""
    if not connection.in_atomic_block:
        raise RuntimeError("audit_prune runs inside the caller's transaction")
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('macaron.audit_prune', 'on', true)")
        if ids is None:
            cursor.execute("DELETE FROM memory_auditevent WHERE stream = %s", [stream])
        else:
            cursor.execute(
                "DELETE FROM memory_auditevent WHERE stream = %s AND id = ANY(%s)", [stream, ids]
            )
        removed = cursor.rowcount
        cursor.execute("SELECT set_config('macaron.audit_prune', 'off', true)")
    return removed
