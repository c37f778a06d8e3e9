"""Envelope encryption: a data key per person, wrapped by the master key (AES-256-GCM).

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
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Count

from macaron.errors import DomainError
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
    """Encrypts/decrypts one person's content and derives their blind-index key."""

    user_id: int
    _aead: AESGCM
    index_key: bytes

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

    def keyed_hash(self, value: str) -> bytes:
        return hmac.new(self.index_key, value.encode("utf-8"), hashlib.sha256).digest()

    def blind_token(self, token: str) -> int:
        """A signed 64-bit HMAC of a normalised token: equal tokens match, nothing reads back."""
        digest = hmac.new(self.index_key, token.encode("utf-8"), hashlib.sha256).digest()
        return int.from_bytes(digest[:8], "big", signed=True)


def _cipher(user_id: int, data_key: bytes) -> UserCipher:
    index_key = hmac.new(data_key, b"macaron blind index v1", hashlib.sha256).digest()
    return UserCipher(user_id=user_id, _aead=AESGCM(data_key), index_key=index_key)


def cipher_for(user_id: int) -> UserCipher:
    """The person's cipher, creating their data key on first use."""
    row = DataKey.objects.filter(user_id=user_id).only("wrapped_key").first()
    if row is None:
        data_key = AESGCM.generate_key(bit_length=256)
        try:
            with transaction.atomic():
                DataKey.objects.create(
                    user_id=user_id,
                    wrapped_key=_wrap(master_key(), data_key, user_id),
                    master_key_id=settings.MASTER_KEY_ID,
                )
        except IntegrityError:  # created concurrently: use the stored one
            row = DataKey.objects.get(user_id=user_id)
        else:
            return _cipher(user_id, data_key)
    return _cipher(user_id, _unwrap(master_key(), row.wrapped_key, user_id))


def data_key_shred(*, user_id: int) -> bool:
    """Crypto-shredding: destroy the person's data key. Returns whether one existed."""
    deleted, _ = DataKey.objects.filter(user_id=user_id).delete()
    return deleted > 0


def _unwraps(key: bytes, wrapped: bytes | memoryview, user_id: int) -> bool:
    try:
        _unwrap(key, wrapped, user_id)
    except VaultError:
        return False
    return True


def master_key_rotate(*, old_key: str, new_key: str, new_key_id: str) -> int:
    """Re-wrap data keys under a new master key; ciphertext is untouched. All or nothing.

    Returns how many keys were re-wrapped. Keys that already unwrap with the new key are left
    as they are, so a second run (after every process has switched to the new key) picks up
    stragglers that a process still on the old key created meanwhile; `key_rotation_status`
    shows them. The table is locked against writes while the run is in progress.
    """
    new_key_id = (new_key_id or "").strip()
    if not new_key_id or len(new_key_id) > MAX_KEY_ID_CHARS:
        raise VaultError(f"The new key id must be 1 to {MAX_KEY_ID_CHARS} characters.")
    old, new = master_key(old_key), master_key(new_key)
    if hmac.compare_digest(old, new):
        raise VaultError("The new master key is the same as the old one.")
    rotated = 0
    with transaction.atomic():
        with connection.cursor() as cursor:
            table = connection.ops.quote_name(DataKey._meta.db_table)
            cursor.execute(f"LOCK TABLE {table} IN SHARE ROW EXCLUSIVE MODE")
        for row in DataKey.objects.order_by("id"):
            if _unwraps(new, row.wrapped_key, row.user_id):
                if row.master_key_id != new_key_id:
                    row.master_key_id = new_key_id
                    row.save(update_fields=["master_key_id", "updated_at"])
                continue
            if row.master_key_id == new_key_id:
                raise VaultError(
                    f"The key id {new_key_id!r} already names another master key; "
                    "choose a new id. Nothing was changed."
                )
            try:
                data_key = _unwrap(old, row.wrapped_key, row.user_id)
            except VaultError:
                raise VaultError(
                    "The old master key does not unwrap the data key of user "
                    f"{row.user_id} (key id {row.master_key_id!r}). Nothing was changed."
                ) from None
            row.wrapped_key = _wrap(new, data_key, row.user_id)
            row.master_key_id = new_key_id
            row.save(update_fields=["wrapped_key", "master_key_id", "updated_at"])
            rotated += 1
    return rotated


def key_rotation_status() -> dict:
    """How many data keys each master key id wraps, and whether all are under the current one."""
    counts = dict(
        DataKey.objects.values_list("master_key_id")
        .annotate(n=Count("id"))
        .order_by("master_key_id")
        .values_list("master_key_id", "n")
    )
    current = settings.MASTER_KEY_ID
    return {
        "current_key_id": current,
        "keys_by_master_key_id": counts,
        "total": sum(counts.values()),
        "stale": sum(n for key_id, n in counts.items() if key_id != current),
        "all_current": all(key_id == current for key_id in counts),
    }
