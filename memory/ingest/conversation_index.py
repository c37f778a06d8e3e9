"""Filling the conversation search's blind index for rows stored before it existed, or
rebuilding it after `macaron.text.search_terms` changed.

New messages and titles are indexed where they are written (`messages_store`,
`conversation_create`, `conversation_title_set`); this runs in batches of one short
transaction each, so it is safe under traffic and resumable.
"""

from dataclasses import dataclass
from typing import Any

from django.db import transaction

from macaron.text import search_terms
from macaron.vault import UserCipher, VaultError, cipher_for
from memory.models import Conversation, Message


@dataclass(frozen=True)
class IndexFill:
    messages: int
    titles: int
    skipped: int  # rows whose person's key no longer decrypts them (left unindexed)


def _tokens(ciphers: dict[int, UserCipher | None], user_id: int, blob) -> list[int] | None:
    """The row's search tokens, or None when its owner's key cannot decrypt it."""
    if user_id not in ciphers:
        try:
            ciphers[user_id] = cipher_for(user_id)
        except VaultError:
            ciphers[user_id] = None
    cipher = ciphers[user_id]
    if cipher is None:
        return None
    try:
        return cipher.blind_tokens(search_terms(cipher.decrypt(blob)))
    except VaultError:
        return None


def conversation_index_fill(
    *,
    rebuild: bool = False,
    batch_size: int = 500,
    message_model: type[Message] = Message,
    conversation_model: type[Conversation] = Conversation,
) -> IndexFill:
    """Index every message without search tokens and every titled conversation without title
    tokens (with `rebuild`: every row). Returns the counts. The models can be a migration's
    historical ones; only the id, owner, ciphertext and token columns are read and written."""
    ciphers: dict[int, UserCipher | None] = {}
    counts = {"messages": 0, "titles": 0, "skipped": 0}
    tables: list[tuple[Any, str, str, str]] = [  # historical models in a migration
        (message_model, "text_ct", "search_tokens", "messages"),
        (conversation_model, "title_ct", "title_tokens", "titles"),
    ]
    for model, ct, tokens, kind in tables:
        rows = model.objects.filter(**{f"{ct}__isnull": False})
        if not rebuild:
            empty: dict[str, Any] = (
                {f"{tokens}__isnull": True} if kind == "messages" else {tokens: []}
            )
            rows = rows.filter(**empty)
        last = 0
        while True:
            with transaction.atomic():
                batch = list(
                    rows.filter(pk__gt=last)
                    .order_by("pk")
                    .select_for_update(skip_locked=True)
                    .only("pk", "user_id", ct)[:batch_size]
                )
                if not batch:
                    break
                done = []
                for row in batch:
                    value = _tokens(ciphers, row.user_id, getattr(row, ct))
                    if value is None:
                        counts["skipped"] += 1
                        continue
                    setattr(row, tokens, value)
                    done.append(row)
                model.objects.bulk_update(done, [tokens])
                counts[kind] += len(done)
                last = batch[-1].pk
    return IndexFill(**counts)
