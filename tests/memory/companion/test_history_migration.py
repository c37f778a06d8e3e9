"""Migrations 0007-0009 on rows stored before them: plaintext client_ids become keyed hashes,
messages and titles get their blind index, and the chips and routed badges move out of the
reward events and the audit log into the reply's own rows."""

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from macaron.vault import cipher_for
from memory.companion.chat import conversation_messages, conversations_for_user
from memory.models import Message
from memory.services import memory_create

BEFORE = [("memory", "0006_message_processing_state")]
LINKS = [{"label": "Open the builder", "url": "/tools/new/?routed=7", "method": "get"}]


def migrate(targets) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets or executor.loader.graph.leaf_nodes())
    return executor


@pytest.mark.django_db(transaction=True)
def test_the_migrations_carry_existing_chat_history_over(user):
    allergy = memory_create(user=user, text="I'm allergic to nuts")
    cipher = cipher_for(user.id)
    executor = migrate(BEFORE)
    try:
        old = executor.loader.project_state(BEFORE).apps
        Conversation, Message_ = (
            old.get_model("memory", "Conversation"),
            old.get_model("memory", "Message"),
        )
        conversation = Conversation.objects.create(
            user_id=user.id, title_ct=cipher.encrypt("Trip to Lisbon")
        )

        def message(role: str, text: str, client_id: str, minute: int):
            return Message_.objects.create(
                user_id=user.id,
                conversation=conversation,
                role=role,
                text_ct=cipher.encrypt(text),
                sent_at=datetime(2024, 5, 1, 9, minute, tzinfo=UTC),
                client_id=client_id,
            )

        asked = message("user", "Which nuts again?", "k1", 1)
        answer = message("companion", "You are allergic to nuts.", "k1:reply", 2)
        plan = message("user", "plan my meals", "k2", 3)
        handed = message("companion", "I'll hand this to your planner.", "k2:reply", 4)
        old.get_model("memory", "RewardEvent").objects.create(
            user_id=user.id,
            memory_id=allergy.id,
            signal="used",
            reward=0.5,
            features={"message_id": answer.id, "conversation_id": conversation.id, "rank": 0},
        )
        old.get_model("memory", "AuditEvent").objects.create(
            actor_id=user.id,
            subject_user_id=user.id,
            action="chat_route",
            purpose="routed to plan",
            memory_ids=[allergy.id],
            detail={"message_id": handed.id, "intent": "plan", "links": LINKS},
        )
    finally:
        migrate(None)

    def by_client_id(client_id: str) -> int:
        key = cipher.keyed_hash(client_id, purpose="client_id")
        return Message.objects.get(client_key=key).id

    assert [by_client_id(k) for k in ["k1", "k1:reply", "k2", "k2:reply"]] == [
        asked.id,
        answer.id,
        plan.id,
        handed.id,
    ]
    assert [c.id for c in conversations_for_user(user=user, search="nuts")] == [conversation.id]
    assert [c.id for c in conversations_for_user(user=user, search="lisbon")] == [conversation.id]
    history = list(conversation_messages(user=user, conversation_id=conversation.id))
    assert [(m.id, [c.text for c in m.memories]) for m in history] == [
        (asked.id, []),
        (answer.id, ["I'm allergic to nuts"]),
        (plan.id, []),
        (handed.id, []),
    ]
    routed = history[3].routed
    assert routed is not None
    assert (routed.intent, routed.links) == ("plan", tuple(LINKS))
    assert [p.id for p in routed.preferences] == [allergy.id]
    assert history[1].routed is None
