"""Envelope encryption: a data key per person, wrapped by the master key (AES-256-GCM).

Ciphertext layout: version (1 byte) | nonce (12 bytes) | AES-GCM ciphertext + tag. The user id
is bound as associated data, so a blob copied into another person's row does not decrypt.
Destroying a person's DataKey row makes every copy of their ciphertext unreadable
(crypto-shredding), backups included once the key row is gone from them.
"""

import base64
import hashlib
import hmac
import os
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.db import IntegrityError, transaction

from macaron.errors import DomainError
from memory.models import DataKey

VERSION = b"\x01"
NONCE_BYTES = 12


class VaultError(DomainError):
    status_code = 500
    code = "vault_error"


def master_key(encoded: str | None = None) -> bytes:
    raw = base64.b64decode(encoded or settings.MASTER_KEY)
    if len(raw) != 32:
        raise VaultError("MASTER_KEY must be base64 of exactly 32 bytes.")
    return raw


def _wrap(key: bytes, data_key: bytes, user_id: int) -> bytes:
    nonce = os.urandom(NONCE_BYTES)
    return nonce + AESGCM(key).encrypt(nonce, data_key, f"datakey:{user_id}".encode())


def _unwrap(key: bytes, wrapped: bytes, user_id: int) -> bytes:
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


def master_key_rotate(*, old_key: str, new_key: str, new_key_id: str) -> int:
    """Re-wrap every data key under a new master key; ciphertext is untouched. All or nothing."""
    old, new = master_key(old_key), master_key(new_key)
    rotated = 0
    with transaction.atomic():
        for row in DataKey.objects.select_for_update().order_by("id"):
            data_key = _unwrap(old, row.wrapped_key, row.user_id)
            row.wrapped_key = _wrap(new, data_key, row.user_id)
            row.master_key_id = new_key_id
            row.save(update_fields=["wrapped_key", "master_key_id", "updated_at"])
            rotated += 1
    return rotated
