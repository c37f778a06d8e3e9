"""Store-first ingestion, the fast half: store messages (encrypted) and acknowledge at once.

`messages_store` writes the messages in one short transaction and, after commit, enqueues their
ids for `memory.ingest.process.messages_process` (a worker). `messages_ingest` stores and then
processes synchronously through the same service (the LoCoMo replay, imports, tests).
"""

from django.db import transaction
from django.utils import timezone

from macaron.errors import DomainError, NotFound
from macaron.text import count_tokens
from macaron.timezones import aware
from macaron.vault import cipher_for
from memory.ingest.process import messages_process
from memory.ingest.tasks import processing_enqueue
from memory.ingest.write import MAX_MESSAGE_CHARS, MessageIn, validate_text
from memory.models import Conversation, Message


def messages_store(
    *,
    user,
    conversation: Conversation,
    messages: list[MessageIn],
    enqueue: bool = True,
    hold: bool = False,
) -> list[Message]:
    """Store messages (encrypted, unprocessed) in one short transaction; with `enqueue`, a
    worker processes them after commit.

    With `hold`, the caller keeps the person's messages leased (as a worker's claim) and decides
    later, with `message_release`, whether they become memories: the chat acknowledges a send
    before routing it. Should the caller die, the lease expires and the sweep processes them."""
    if conversation.user_id != user.id:
        raise NotFound("No such conversation.")
    if not messages:
        raise DomainError("There is no message to store.", code="empty")
    for item in messages:
        validate_text(item.text, limit=MAX_MESSAGE_CHARS, what="message")
        if item.role not in Message.Role.values:
            raise DomainError(f"Unknown role; use one of {', '.join(Message.Role.values)}.")
    cipher = cipher_for(user.id)
    now = timezone.now()
    with transaction.atomic():
        stored = Message.objects.bulk_create(
            [
                Message(
                    user=user,
                    conversation=conversation,
                    role=item.role,
                    text_ct=cipher.encrypt(item.text.strip()),
                    sent_at=aware(item.sent_at),
                    external_id=item.external_id[:200],
                    token_count=count_tokens(item.text),
                    # Only what the person says can become a memory; a routed command or the
                    # companion's own words have nothing to process.
                    processed_at=(
                        None if item.remember and item.role == Message.Role.USER else now
                    ),
                    claimed_at=now if hold else None,
                )
                for item in messages
            ]
        )
        Conversation.objects.filter(pk=conversation.pk).update(
            last_message_at=max(m.sent_at for m in stored), updated_at=now
        )
        if enqueue and not hold:
            ids = [m.pk for m in stored if m.processed_at is None]
            transaction.on_commit(lambda: processing_enqueue(ids))
    return stored


def message_release(*, message_id: int, remember: bool) -> None:
    """End the hold on a stored message: a worker makes memories of it, or (`remember` False: a
    command the router handed to a sub-agent) nothing of it is remembered."""
    unprocessed = Message.objects.filter(pk=message_id, processed_at__isnull=True)
    if not remember:
        unprocessed.update(processed_at=timezone.now())
    elif unprocessed.update(claimed_at=None):
        processing_enqueue([message_id])


def messages_ingest(
    *,
    user,
    conversation: Conversation,
    messages: list[MessageIn],
    schedule_compression: bool = True,
) -> list[Message]:
    """Store messages and process them now, through the worker's own service."""
    stored = messages_store(user=user, conversation=conversation, messages=messages, enqueue=False)
    messages_process(
        message_ids=[m.pk for m in stored],
        limit=len(stored),
        schedule_compression=schedule_compression,
    )
    return stored
