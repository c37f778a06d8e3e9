"""Erasure: crypto-shred the person's data key, run every app's eraser, delete the account.

What reaches the disk (README, "Keys, erasure and backups"): after the transaction commits, the
data-key table is rewritten (`VACUUM FULL`) so the wrapped key leaves its heap files, and a
master-key rotation is requested; the scheduled job (or `rotate_master_key`) re-wraps every
remaining data key under a fresh master key and destroys the old one, so copies of the erased
person's wrapped key in WAL, dumps and backups no longer unwrap with anything the deployment holds.
The person's vectors were stored under a rotation derived from that key (macaron.vectorkey): a
copy of them left in a backup can no longer be linked to any sentence either.
"""

from django.db import transaction

from accounts.hooks import ErasureOptions, erasers_run
from macaron.keyring import master_key_rotation_request
from macaron.vault import data_key_shred, data_keys_compact
from macaron.vectorkey import vector_keys_forget
from memory.models import AuditStream
from memory.privacy.audit import AuditAction, audit_prune, audit_record, audit_stream_lock
from memory.privacy.chain import SYSTEM_STREAM, person_stream


def _after_erasure() -> None:
    vector_keys_forget()  # the erased person's vector rotation may be cached in this process
    master_key_rotation_request()
    data_keys_compact()


def user_erase(
    *,
    user,
    actor=None,
    reason: str = "erasure request",
    options: ErasureOptions | None = None,
) -> dict[str, int]:
    """Erase the person everywhere; returns what each app's eraser removed or anonymised.
    Published sub-agents stay for the community only when `options.keep_published`."""
    user_id = user.id
    stream = person_stream(user_id)
    with transaction.atomic():
        audit_stream_lock(stream)  # first: the lock order of memory.privacy.audit
        data_key_shred(user_id=user_id)
        counts = erasers_run(user, options or ErasureOptions())
        user.delete()
        # The person's own audit stream goes with them; the system stream keeps a tombstone
        # with the stream's last link, so the deletion itself is on record.
        sequence, last_hash = audit_stream_lock(stream)  # held already: its head now
        removed = audit_prune(stream=stream)
        AuditStream.objects.filter(stream=stream).delete()
        audit_record(
            actor=actor if actor is not None and actor.pk != user_id else None,
            subject_user_id=user_id,
            action=AuditAction.ERASE,
            purpose=reason[:120],
            stream=SYSTEM_STREAM,
            detail={"stream": stream, "sequence": sequence, "hash": last_hash, "events": removed},
        )
        transaction.on_commit(_after_erasure)
    return counts
