"""Short strings a person types (their companion's name, an API token's name), stored only as
ciphertext under the person's key and read back as plain attributes.

`SealedText` is a model attribute over a binary `<name>_ct` column: reading decrypts (once per
instance and value), assigning encrypts. The owner is the row's `user_id`, which the ciphertext
is bound to, so a value can only be assigned once the owner is known. Each read of a new row
loads the owner's data key (one query): use it where a page shows the owner's own rows, not
for lists of other people's.
"""

from typing import Any

from macaron.vault import cipher_for


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
            cache[(self.column, blob)] = cipher_for(owner_id).decrypt(blob) if owner_id else ""
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


def seal(user_id: int, value: str) -> bytes | None:
    """`value` as the column of a SealedText holds it (for `create()` and data migrations)."""
    return cipher_for(user_id).encrypt(value) if value else None


__all__ = ["SealedText", "seal"]
