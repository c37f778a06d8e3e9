"""Envelope encryption: a data key per person, wrapped by a master key (AES-256-GCM).

Master keys live in the keyring (macaron/keyring.py: a 0600 file under var/, each key wrapped by
the root key MASTER_KEY from the environment), not in the database, so retiring one after an
erasure makes the erased person's wrapped data key unreadable in WAL, dumps and backups too.

Ciphertext layout: version (1 byte) | nonce (12 bytes) | AES-GCM ciphertext + tag. The user id
is bound as associated data, so a blob copied into another person's row does not decrypt.
Destroying a person's DataKey row makes every copy of their ciphertext unreadable
(crypto-shredding), backups included once the key row is gone from them.
"""

import base64
import binascii
import hashlib
import hmac
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Count

from macaron.errors import DomainError
from macaron.keyring import (
    keyring_state,
    master_key_active,
    master_key_begin_rotation,
    master_key_get,
    master_keys_destroy_retired,
)
from macaron.models import DataKey

VERSION = b"\x01"
NONCE_BYTES = 12


class VaultError(DomainError):
    status_code = 500
    code = "vault_error"


MAX_KEY_ID_CHARS: int = DataKey._meta.get_field("master_key_id").max_length or 64


def master_key(encoded: str | None = None) -> bytes:
    """The raw 32-byte key from its base64 form (the configured MASTER_KEY by default)."""
    try:
        # validate=True: a typo'd key must fail loudly, not decode to different bytes.
        raw = base64.b64decode(encoded or settings.MASTER_KEY, validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != 32:
        raise VaultError("A master key must be base64 of exactly 32 bytes.")
    return raw


def _wrap(key: bytes, data_key: bytes, user_id: int) -> bytes:
    nonce = os.urandom(NONCE_BYTES)
    return nonce + AESGCM(key).encrypt(nonce, data_key, f"datakey:{user_id}".encode())


def _unwrap(key: bytes, wrapped: bytes | memoryview, user_id: int) -> bytes:
    wrapped = bytes(wrapped)
    try:
        return AESGCM(key).decrypt(
            wrapped[:NONCE_BYTES], wrapped[NONCE_BYTES:], f"datakey:{user_id}".encode()
        )
    except InvalidTag:
        raise VaultError("A data key does not unwrap with the current master key.") from None


@dataclass(frozen=True)
class UserCipher:
    """Encrypts/decrypts one person's content and derives their blind-index key and the seed of
    their vector rotation (macaron.vectorkey)."""

    user_id: int
    _aead: AESGCM
    index_key: bytes
    vector_seed: bytes

    def encrypt(self, text: str) -> bytes:
        nonce = os.urandom(NONCE_BYTES)
        aad = f"user:{self.user_id}".encode()
        return VERSION + nonce + self._aead.encrypt(nonce, text.encode("utf-8"), aad)

    def decrypt(self, blob: bytes | memoryview) -> str:
        blob = bytes(blob)
        if blob[:1] != VERSION:
            raise VaultError("Unknown ciphertext version.")
        nonce, body = blob[1 : 1 + NONCE_BYTES], blob[1 + NONCE_BYTES :]
        try:
            return self._aead.decrypt(nonce, body, f"user:{self.user_id}".encode()).decode("utf-8")
        except InvalidTag:
            raise VaultError("Ciphertext does not belong to this person or was altered.") from None

    def encrypt_bytes(self, data: bytes, *, purpose: str) -> bytes:
        """Encrypt a file (an export archive); `purpose` is bound too, so it only opens as one."""
        nonce = os.urandom(NONCE_BYTES)
        aad = f"user:{self.user_id}:{purpose}".encode()
        return VERSION + nonce + self._aead.encrypt(nonce, data, aad)

    def decrypt_bytes(self, blob: bytes, *, purpose: str) -> bytes:
        if blob[:1] != VERSION:
            raise VaultError("Unknown ciphertext version.")
        nonce, body = blob[1 : 1 + NONCE_BYTES], blob[1 + NONCE_BYTES :]
        try:
            return self._aead.decrypt(nonce, body, f"user:{self.user_id}:{purpose}".encode())
        except InvalidTag:
            raise VaultError("The file does not belong to this person or was altered.") from None

    def keyed_hash(self, value: str, *, purpose: str = "") -> bytes:
        """HMAC-SHA256 of `value` for equality lookups; a `purpose` keeps uses apart (the same
        value hashed for two purposes gives unrelated digests)."""
        message = f"{purpose}\x00{value}" if purpose else value
        return hmac.new(self.index_key, message.encode("utf-8"), hashlib.sha256).digest()

    def blind_token(self, token: str) -> int:
        """A signed 64-bit HMAC of a normalised token: equal tokens match, nothing reads back."""
        digest = hmac.new(self.index_key, token.encode("utf-8"), hashlib.sha256).digest()
        return int.from_bytes(digest[:8], "big", signed=True)

    def blind_tokens(self, terms: Iterable[str]) -> list[int]:
        """The distinct blind tokens of `terms`, sorted (an index column's value)."""
        return sorted({self.blind_token(term) for term in terms})


def _cipher(user_id: int, data_key: bytes) -> UserCipher:
    index_key = hmac.new(data_key, b"macaron blind index v1", hashlib.sha256).digest()
    vector_seed = hmac.new(data_key, b"macaron vector rotation v1", hashlib.sha256).digest()
    return UserCipher(
        user_id=user_id, _aead=AESGCM(data_key), index_key=index_key, vector_seed=vector_seed
    )


def _wrapping_key(key_id: str) -> bytes:
    """The key that wraps a data key: its keyring master key, or the root for legacy rows."""
    key = master_key_get(key_id)
    if key is not None:
        return key
    if key_id == settings.MASTER_KEY_ID:  # wrapped directly by the root before the keyring
        return master_key()
    raise VaultError(f"The master key {key_id!r} is not in the keyring (destroyed or missing).")


def _cipher_load(user_id: int) -> UserCipher | None:
    row = DataKey.objects.filter(user_id=user_id).only("wrapped_key", "master_key_id").first()
    if row is None:
        return None
    return _cipher(user_id, _unwrap(_wrapping_key(row.master_key_id), row.wrapped_key, user_id))


def ciphers_for(user_ids) -> dict[int, UserCipher]:
    """The ciphers of several people in one query (of those who have a data key): for lists
    that show many people's sealed names (macaron.sealed.sealed_preload)."""

    def load() -> dict[int, UserCipher]:
        rows = DataKey.objects.filter(user_id__in=set(user_ids)).only(
            "user_id", "wrapped_key", "master_key_id"
        )
        return {
            row.user_id: _cipher(
                row.user_id,
                _unwrap(_wrapping_key(row.master_key_id), row.wrapped_key, row.user_id),
            )
            for row in rows
        }

    try:
        return load()
    except VaultError:  # re-wrapped by a rotation in between, as in cipher_for: reread
        return load()


def cipher_for(user_id: int) -> UserCipher:
    """The person's cipher, creating their data key (under the active master key) on first use."""
    try:
        cipher = _cipher_load(user_id)
    except VaultError:
        # A rotation may have re-wrapped the row and destroyed its old key in between: reread.
        cipher = _cipher_load(user_id)
    if cipher is not None:
        return cipher
    data_key = AESGCM.generate_key(bit_length=256)
    for _attempt in range(3):
        key_id, key = master_key_active()
        try:
            with transaction.atomic():
                DataKey.objects.create(
                    user_id=user_id,
                    wrapped_key=_wrap(key, data_key, user_id),
                    master_key_id=key_id,
                )
                # A rotation that finished while this insert waited destroyed `key_id`: retry.
                if master_key_get(key_id) is None:
                    raise _Retired
        except IntegrityError:  # created concurrently: use the stored one
            cipher = _cipher_load(user_id)
            if cipher is None:
                raise VaultError("The data key vanished while it was being created.") from None
            return cipher
        except _Retired:
            continue
        return _cipher(user_id, data_key)
    raise VaultError("Could not create a data key while master keys were being rotated.")


class _Retired(Exception):
    pass


def data_key_shred(*, user_id: int) -> bool:
    """Crypto-shredding: destroy the person's data key. Returns whether one existed.

    The row's old versions stay in the table's heap until `data_keys_compact` rewrites it, and in
    the WAL and backups until the master key that wrapped it is retired (`master_key_rotate`)."""
    deleted, _ = DataKey.objects.filter(user_id=user_id).delete()
    return deleted > 0


def data_keys_compact() -> None:
    """Rewrite the data-key table (VACUUM FULL) so deleted wrapped keys leave its heap files.
    Must run outside a transaction; it holds an exclusive lock on the (small) table briefly."""
    if connection.in_atomic_block:
        raise VaultError("data_keys_compact must run outside a transaction.")
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM FULL {connection.ops.quote_name(DataKey._meta.db_table)}")


ROTATION_LOCK = 0x6D6B726F74  # pg advisory lock id: one rotation at a time across processes


@dataclass(frozen=True)
class Rotation:
    key_id: str
    resumed: bool
    rewrapped: int
    destroyed: list[str]


def _rewrap_batch(*, active: str, key: bytes, after_id: int, batch_size: int) -> tuple[int, int]:
    """Re-wrap one batch of data keys not under `active`, atomically. Returns (count, last id)."""
    with transaction.atomic():
        rows = list(
            DataKey.objects.exclude(master_key_id=active)
            .filter(id__gt=after_id)
            .order_by("id")
            .select_for_update()[:batch_size]
        )
        for row in rows:
            try:
                data_key = _unwrap(_wrapping_key(row.master_key_id), row.wrapped_key, row.user_id)
            except VaultError:
                raise VaultError(
                    f"The data key of user {row.user_id} (master key {row.master_key_id!r}) "
                    "does not unwrap; batches done so far are kept, rerun to resume."
                ) from None
            row.wrapped_key = _wrap(key, data_key, row.user_id)
            row.master_key_id = active
        DataKey.objects.bulk_update(rows, ["wrapped_key", "master_key_id"])
    return len(rows), (rows[-1].id if rows else after_id)


# Told about every finished master-key rotation (memory records it in the audit log; macaron
# never imports memory): (key id now active, data keys re-wrapped, master keys destroyed).
RotationListener = Callable[[Rotation], None]
_rotation_listeners: list[RotationListener] = []


def rotation_listener_register(listener: RotationListener) -> None:
    if listener not in _rotation_listeners:
        _rotation_listeners.append(listener)


def master_key_rotate(*, new_key: bytes | None = None, batch_size: int = 500) -> Rotation:
    """Retire every master key but a fresh one: re-wrap all data keys under it, then destroy the
    old keys, so wrapped data keys left in WAL, dumps and backups no longer unwrap.

    Safe under traffic: data keys are re-wrapped in small batches, each row atomically; readers
    use whichever key a row names. Resumable: an interrupted run leaves the keyring marked
    `rotating` and each re-wrapped row names the new key, so the next run picks up where it
    stopped (`new_key` is then ignored). One rotation at a time (a Postgres advisory lock).
    """
    if connection.in_atomic_block:
        raise VaultError("master_key_rotate must run outside a transaction.")
    if batch_size < 1:
        raise VaultError("batch_size must be at least 1.")
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [ROTATION_LOCK])
        if not cursor.fetchone()[0]:
            raise VaultError("Another master key rotation is running.")
    try:
        master_key_active()  # the keyring exists (legacy rows are wrapped by the root)
        active, fresh = master_key_begin_rotation(key=new_key)
        key = master_key_get(active)
        if key is None:
            raise VaultError("The new master key does not open with the root key.")
        rewrapped, last = 0, 0
        while True:
            count, last = _rewrap_batch(
                active=active, key=key, after_id=last, batch_size=batch_size
            )
            rewrapped += count
            if count < batch_size:
                break
        table = connection.ops.quote_name(DataKey._meta.db_table)
        while True:
            # Block new data keys for a moment: none may appear under a key about to go.
            with transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute(f"LOCK TABLE {table} IN SHARE ROW EXCLUSIVE MODE")
                if not DataKey.objects.exclude(master_key_id=active).exists():
                    destroyed = master_keys_destroy_retired(active=active)
                    break
            count, _ = _rewrap_batch(active=active, key=key, after_id=0, batch_size=batch_size)
            rewrapped += count
        data_keys_compact()
        rotation = Rotation(
            key_id=active, resumed=not fresh, rewrapped=rewrapped, destroyed=destroyed
        )
        for listener in list(_rotation_listeners):
            listener(rotation)
        return rotation
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [ROTATION_LOCK])


def master_key_rotate_if_due() -> Rotation | None:
    """The scheduled job: rotate when an erasure asked for it or a rotation was interrupted."""
    state = keyring_state()
    if not (state.rotation_due or state.rotating):
        return None
    return master_key_rotate()


def key_rotation_status() -> dict:
    """How many data keys each master key wraps, and whether all are under the active one."""
    counts = dict(
        DataKey.objects.values_list("master_key_id")
        .annotate(n=Count("id"))
        .order_by("master_key_id")
        .values_list("master_key_id", "n")
    )
    state = keyring_state()
    current = state.active
    return {
        "current_key_id": current,
        "keyring_keys": sorted(state.keys),
        "rotating": state.rotating,
        "rotation_due": state.rotation_due,
        "keys_by_master_key_id": counts,
        "total": sum(counts.values()),
        "stale": sum(n for key_id, n in counts.items() if key_id != current),
        "all_current": all(key_id == current for key_id in counts),
    }
