"""The keyring: the master keys that wrap people's data keys, kept in a file outside the database.

Layout of trust:

- the **root key** is `MASTER_KEY` from the environment; it never changes by itself;
- the **master keys** live in the keyring file (`MASTER_KEYRING_FILE`, default
  `var/keyring.json`, mode 0600), each stored only wrapped (AES-256-GCM) by the root key;
- each person's **data key** is wrapped by the keyring's active master key (`DataKey` rows).

The keyring lives outside Postgres on purpose: a destroyed master key must not survive in the
WAL, in a `pg_dump` or in a database backup. Retiring a master key (after erasures) re-wraps every
remaining data key under a fresh one and then removes the old one from the file, so copies of an
erased person's wrapped data key in old WAL segments and backups no longer unwrap with anything
the deployment holds. The file is rewritten atomically (temporary file + rename) under an
exclusive `flock`, and the previous contents are overwritten before they are unlinked.

Each key records one wrap per root key (by fingerprint), so the root can be rotated without
downtime: add wraps under the new root, restart the processes with it, then drop the old wraps.
"""

import base64
import fcntl
import hashlib
import hmac
import json
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings

from macaron.errors import DomainError

NONCE_BYTES = 12
FORMAT_VERSION = 1


class KeyringError(DomainError):
    status_code = 500
    code = "keyring_error"


def key_decode(encoded: str) -> bytes:
    """A raw 32-byte key from its base64 form; anything else fails loudly."""
    try:
        raw = base64.b64decode((encoded or "").strip(), validate=True)
    except (ValueError, TypeError):
        raw = b""
    if len(raw) != 32:
        raise KeyringError("A master key must be base64 of exactly 32 bytes.")
    return raw


def root_key() -> bytes:
    return key_decode(settings.MASTER_KEY)


def root_fingerprint(root: bytes) -> str:
    """Names a root key in the file without revealing it."""
    return hmac.new(root, b"macaron root fingerprint v1", hashlib.sha256).hexdigest()[:16]


def _seal(root: bytes, key_id: str, key: bytes) -> str:
    nonce = os.urandom(NONCE_BYTES)
    sealed = nonce + AESGCM(root).encrypt(nonce, key, f"masterkey:{key_id}".encode())
    return base64.b64encode(sealed).decode()


def _open(root: bytes, key_id: str, sealed: str) -> bytes:
    raw = base64.b64decode(sealed)
    try:
        return AESGCM(root).decrypt(
            raw[:NONCE_BYTES], raw[NONCE_BYTES:], f"masterkey:{key_id}".encode()
        )
    except InvalidTag:
        raise KeyringError(f"Master key {key_id!r} does not open with the root key.") from None


@dataclass
class KeyringState:
    """The file's contents: which key is active, which are being retired, and the sealed keys."""

    active: str | None = None
    rotating: bool = False  # a rotation started and has not destroyed the old keys yet
    rotation_due: bool = False  # an erasure happened since the last rotation
    keys: dict[str, dict] = field(default_factory=dict)  # id → {"created_at", "wraps": {fp: b64}}

    def to_json(self) -> str:
        body = {
            "version": FORMAT_VERSION,
            "active": self.active,
            "rotating": self.rotating,
            "rotation_due": self.rotation_due,
            "keys": self.keys,
        }
        return json.dumps(body, indent=1, sort_keys=True)


def keyring_path() -> Path:
    return Path(settings.MASTER_KEYRING_FILE)


def _read(path: Path) -> KeyringState:
    try:
        body = json.loads(path.read_text())
    except FileNotFoundError:
        return KeyringState()
    except (OSError, ValueError) as exc:
        raise KeyringError(f"The keyring file {path} is unreadable: {exc}") from None
    return KeyringState(
        active=body.get("active"),
        rotating=bool(body.get("rotating")),
        rotation_due=bool(body.get("rotation_due")),
        keys=dict(body.get("keys") or {}),
    )


def _shred(path: Path) -> None:
    """Overwrite a file's bytes in place before it is unlinked (best effort on COW/SSD media)."""
    try:
        size = path.stat().st_size
        with open(path, "r+b") as handle:
            handle.write(b"\0" * size)
            handle.flush()
            os.fsync(handle.fileno())
        path.unlink()
    except FileNotFoundError:
        pass


def _write(path: Path, state: KeyringState) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(state.to_json())
        handle.flush()
        os.fsync(handle.fileno())
    previous = path.with_name(f".{path.name}.{secrets.token_hex(4)}.old")
    had_previous = True
    try:
        os.link(path, previous)  # keep a name on the old contents so they can be overwritten
    except FileNotFoundError:
        had_previous = False
    os.replace(tmp, path)
    if had_previous:
        _shred(previous)
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
    _cache.clear()


@contextmanager
def keyring_locked() -> Iterator[KeyringState]:
    """Read-modify-write under an exclusive lock; the state is written back when the block ends."""
    path = keyring_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    lock_fd = os.open(path.with_name(f".{path.name}.lock"), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(lock_fd, fcntl.LOCK_EX)
        state = _read(path)
        before = state.to_json()
        yield state
        if state.to_json() != before:
            _write(path, state)
    finally:
        fcntl.flock(lock_fd, fcntl.LOCK_UN)
        os.close(lock_fd)


# Opened keys, cached per file version (inode, mtime, size): a rewrite drops them.
_cache: dict[tuple, tuple[KeyringState, dict[str, bytes]]] = {}


def _opened() -> tuple[KeyringState, dict[str, bytes]]:
    path = keyring_path()
    try:
        stat = path.stat()
    except FileNotFoundError:
        return KeyringState(), {}
    version = (str(path), stat.st_ino, stat.st_mtime_ns, stat.st_size, settings.MASTER_KEY)
    cached = _cache.get(version)
    if cached is None:
        state = _read(path)
        root = root_key()
        fingerprint = root_fingerprint(root)
        opened = {
            key_id: _open(root, key_id, entry["wraps"][fingerprint])
            for key_id, entry in state.keys.items()
            if fingerprint in entry.get("wraps", {})
        }
        _cache.clear()
        cached = _cache[version] = (state, opened)
    return cached


def keyring_state() -> KeyringState:
    return _opened()[0]


def master_key_get(key_id: str) -> bytes | None:
    """The opened master key with this id, or None when the keyring holds no such key."""
    return _opened()[1].get(key_id)


def _new_key_id() -> str:
    return f"mk-{datetime.now(UTC):%Y%m%dT%H%M%S}-{secrets.token_hex(3)}"


def _key_add(state: KeyringState, key: bytes | None = None) -> str:
    key_id = _new_key_id()
    key = key if key is not None else AESGCM.generate_key(bit_length=256)
    state.keys[key_id] = {
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "wraps": {root_fingerprint(root_key()): _seal(root_key(), key_id, key)},
    }
    state.active = key_id
    return key_id


def master_key_active() -> tuple[str, bytes]:
    """The active master key (id, key), creating the keyring on first use."""
    state, opened = _opened()
    if state.active and state.active in opened:
        return state.active, opened[state.active]
    with keyring_locked() as locked:
        if not (locked.active and locked.active in locked.keys):
            _key_add(locked)
    state, opened = _opened()
    if state.active not in opened:
        raise KeyringError("The keyring's active key does not open with the root key (MASTER_KEY).")
    return state.active, opened[state.active]


def master_key_begin_rotation(*, key: bytes | None = None) -> tuple[str, bool]:
    """Make a fresh master key active (the others are now retiring) unless a rotation is already
    under way, which is resumed. Returns (active id, whether a new key was made)."""
    with keyring_locked() as state:
        if state.rotating and state.active in state.keys:
            return state.active, False
        key_id = _key_add(state, key)
        state.rotating = True
        state.rotation_due = False
        return key_id, True


def master_keys_destroy_retired(*, active: str) -> list[str]:
    """Remove every master key but the active one from the keyring; the rotation is finished."""
    with keyring_locked() as state:
        if state.active != active:
            raise KeyringError("The active master key changed during the rotation; run it again.")
        retired = [key_id for key_id in state.keys if key_id != active]
        for key_id in retired:
            del state.keys[key_id]
        state.rotating = False
        return retired


def master_key_rotation_request() -> None:
    """Mark that a rotation is due (after an erasure); the scheduled job performs it."""
    with keyring_locked() as state:
        state.rotation_due = True


def root_key_add(*, new_root: bytes) -> int:
    """Also wrap every master key under a new root key; the current root keeps working until
    `root_keys_retire` runs in a process started with the new one. Returns the keys wrapped."""
    current = root_key()
    if hmac.compare_digest(current, new_root):
        raise KeyringError("The new root key is the same as the current one.")
    new_fp = root_fingerprint(new_root)
    with keyring_locked() as state:
        fingerprint = root_fingerprint(current)
        for key_id, entry in state.keys.items():
            if fingerprint not in entry["wraps"]:
                raise KeyringError(f"Master key {key_id!r} is not wrapped by the current root key.")
            key = _open(current, key_id, entry["wraps"][fingerprint])
            entry["wraps"][new_fp] = _seal(new_root, key_id, key)
        return len(state.keys)


def root_keys_retire() -> int:
    """Drop the wraps made by any root key other than the current one. Returns how many."""
    fingerprint = root_fingerprint(root_key())
    dropped = 0
    with keyring_locked() as state:
        for key_id, entry in state.keys.items():
            if fingerprint not in entry["wraps"]:
                raise KeyringError(
                    f"Master key {key_id!r} has no wrap under the current root key; "
                    "nothing was dropped."
                )
        for entry in state.keys.values():
            for other in [fp for fp in entry["wraps"] if fp != fingerprint]:
                del entry["wraps"][other]
                dropped += 1
    return dropped
