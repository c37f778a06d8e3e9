"""Short strings a person types (their display name, their companion's name, an API token's
name), stored only as ciphertext under the person's key and read back as plain attributes.

`SealedText` is a model attribute over a binary `<name>_ct` column: reading decrypts (once per
instance and value), assigning encrypts. The owner is the row's `user_id` (or the person's own
`pk`), which the ciphertext is bound to, so a value can only be assigned once the owner's id is
known: an unsaved User is created first and named after (UserManager.create_user). Reading a
row loads its owner's data key (one query); a list of many people's rows calls
`sealed_preload` first, which loads all their keys in one.
"""

from collections.abc import Iterable
from typing import Any

from macaron.vault import cipher_for, ciphers_for


class SealedText(property):
    """A plain-text attribute backed by an encrypted column (a `property`, so Django accepts
    it as a constructor keyword)."""

    def __init__(self, column: str, owner: str = "user_id") -> None:
        super().__init__(self._get, self._set)
        self.column = column
        self.owner = owner

    def _owner_id(self, obj: Any) -> int | None:
        return getattr(obj, self.owner)

    def _get(self, obj: Any) -> str:
        blob = getattr(obj, self.column)
        if blob is None:
            return ""
        blob = bytes(blob)
        cache = obj.__dict__.setdefault("_sealed_plain", {})
        if (self.column, blob) not in cache:
            owner_id = self._owner_id(obj)
            if not owner_id:
                return ""
            cipher = obj.__dict__.get("_sealed_ciphers", {}).get(owner_id) or cipher_for(owner_id)
            cache[(self.column, blob)] = cipher.decrypt(blob)
        return cache[(self.column, blob)]

    def _set(self, obj: Any, value: str) -> None:
        if not value:
            setattr(obj, self.column, None)
            return
        owner_id = self._owner_id(obj)
        if owner_id is None:
            raise ValueError(f"{self.column}: the owner's id is needed before a value is set.")
        blob = cipher_for(owner_id).encrypt(value)
        setattr(obj, self.column, blob)
        obj.__dict__.setdefault("_sealed_plain", {})[(self.column, blob)] = value


def sealed_preload(objects: Iterable[Any]) -> None:
    """Load, in one query, the keys that reading the sealed values of `objects` needs."""
    objects = [obj for obj in objects if obj is not None]
    owners = {
        getattr(obj, attr.owner)
        for obj in objects
        for attr in vars(type(obj)).values()
        if isinstance(attr, SealedText)
    }
    ciphers = ciphers_for(owner for owner in owners if owner)
    for obj in objects:
        obj.__dict__["_sealed_ciphers"] = ciphers


def seal(user_id: int, value: str) -> bytes | None:
    """`value` as the column of a SealedText holds it (for `create()` and data migrations)."""
    return cipher_for(user_id).encrypt(value) if value else None


__all__ = ["SealedText", "seal", "sealed_preload"]
