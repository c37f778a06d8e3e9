"""The write path skips a message the router handled as a command (`MessageIn(remember=False)`):
it is stored, encrypted, like any message, but is not a memory of its own."""

import pytest
from django.utils import timezone

from macaron.vault import cipher_for
from memory.ingest.write import MessageIn, conversation_create, messages_ingest
from memory.models import Memory, Message

pytestmark = pytest.mark.django_db

TEXT = "Remember that I love my blue water bottle!"


def test_a_routed_command_is_stored_but_not_remembered(user):
    conversation = conversation_create(user=user)

    [command] = messages_ingest(
        user=user,
        conversation=conversation,
        messages=[MessageIn(text=TEXT, sent_at=timezone.now(), remember=False)],
    )

    assert cipher_for(user.id).decrypt(Message.objects.get(pk=command.pk).text_ct) == TEXT
    assert not Memory.objects.filter(user=user).exists()

    messages_ingest(
        user=user,
        conversation=conversation,
        messages=[MessageIn(text=TEXT, sent_at=timezone.now())],
    )
    assert Memory.objects.filter(user=user).count() == 1
