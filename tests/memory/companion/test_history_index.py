"""The chat history at rest: conversation search over a blind index (no decryption beyond the
page shown), client_id kept as a keyed hash, and what a reply showed (chips, routed badge)
stored with it and read back by an indexed join."""

import json
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command
from django.core.paginator import Paginator
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from macaron.vault import UserCipher, cipher_for
from memory.companion.chat import (
    chat_reply,
    chat_turn_start,
    conversation_messages,
    conversation_rename,
    conversation_start,
    conversations_for_user,
)
from memory.models import AuditEvent, Conversation, Message, ReplyMemory, RewardEvent
from memory.services import MessageIn, memory_create, messages_process, messages_store
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

START = datetime(2024, 5, 1, 9, tzinfo=UTC)


def said(user, texts: list[str], *, title: str = "") -> int:
    """A conversation holding `texts` (stored through the write path, not processed)."""
    view = conversation_start(user=user, title=title)
    if not texts:
        return view.id
    messages_store(
        user=user,
        conversation=Conversation.objects.get(pk=view.id),
        messages=[
            MessageIn(text=text, sent_at=START + timedelta(minutes=n))
            for n, text in enumerate(texts)
        ],
        enqueue=False,
    )
    return view.id


def found(user, search: str) -> list[int]:
    return [c.id for c in conversations_for_user(user=user, search=search)]


@pytest.fixture
def decryptions(monkeypatch) -> list[int]:
    """Counts every decryption (the real vault still does it)."""
    calls: list[int] = []
    original = UserCipher.decrypt

    def counted(self, blob):
        calls.append(self.user_id)
        return original(self, blob)

    monkeypatch.setattr(UserCipher, "decrypt", counted)
    return calls


# Search ------------------------------------------------------------------------------------


def test_search_finds_whole_words_in_english_japanese_and_korean(user):
    english = said(user, ["Hello there", "I am allergic to peanuts, don't forget"])
    japanese = said(user, ["来週、東京で寿司を食べます"])
    korean = said(user, ["나는 김치를 정말 좋아해요"])
    titled = said(user, [], title="Trip to Lisbon")

    assert found(user, "PEANUTS") == [english]
    assert found(user, "peanut") == [english]  # a light stem: plural and singular meet
    assert found(user, "allergic peanuts") == [english]
    assert found(user, "allergic tennis") == []  # every word of the query, not any
    assert found(user, "東京") == [japanese]
    assert found(user, "寿司") == [japanese]
    assert found(user, "寿") == [japanese]  # one character finds it too
    assert found(user, "京都") == []
    assert found(user, "김치") == [korean]  # the word, with its particle attached in the text
    assert found(user, "좋아해요") == [korean]
    assert found(user, "사과") == []
    assert found(user, "lisbon") == [titled]
    assert found(user, "  ") == [titled, english, korean, japanese]  # no search: all of them
    assert found(user, "?!") == []  # nothing searchable in it
    # Documented: a part of a spaced word is not a word of its own any more.
    assert found(user, "allerg") == []


def test_a_rename_and_a_first_message_index_the_title(user):
    conversation = conversation_start(user=user)
    chat_turn_start(user=user, conversation_id=conversation.id, text="Packing for Kyoto")
    assert found(user, "kyoto") == [conversation.id]

    conversation_rename(user=user, conversation_id=conversation.id, title="Holiday list")
    row = Conversation.objects.get(pk=conversation.id)
    assert row.title_tokens == cipher_for(user.id).blind_tokens(["holiday", "list"])
    assert found(user, "holiday") == [conversation.id]
    assert found(user, "packing") == [conversation.id]  # still in its message


def test_another_persons_search_never_matches(user):
    other = UserFactory()
    mine = said(user, ["My sister Aiko lives in Lisbon"], title="Family")
    theirs = said(other, ["Aiko lives in Lisbon too"], title="Family")

    assert found(user, "aiko lisbon") == [mine]
    assert found(other, "aiko lisbon") == [theirs]
    assert found(other, "sister") == []
    assert found(user, "family") == [mine]
    # The same word is a different token under each person's key.
    theirs_token = cipher_for(other.id).blind_tokens(["aiko"])
    assert not Message.objects.filter(user=user, search_tokens__contains=theirs_token).exists()
    assert cipher_for(user.id).blind_tokens(["aiko"]) != theirs_token


def test_search_decrypts_only_the_page_shown(user, decryptions):
    matching = [
        said(user, [f"Note {n}", f"peanut butter number {n}", "and more"]) for n in range(15)
    ]
    for n in range(5):
        said(user, [f"Nothing about it {n}", "at all"])
    messages = Message.objects.filter(user=user).count()
    decryptions.clear()

    with CaptureQueriesContext(connection) as queries:
        page = Paginator(conversations_for_user(user=user, search="Peanut"), 5).get_page(2)
        shown = list(page)

    assert [c.id for c in shown] == list(reversed(matching))[5:10]
    assert page.paginator.count == 15
    assert len(queries) == 3  # the person's key, the count, one page of 5 rows
    assert "LIMIT 5 OFFSET 5" in queries[-1]["sql"]
    assert len(decryptions) == 5  # a preview for each conversation shown (no titles here)
    assert messages == 55


def test_the_index_command_fills_rows_stored_before_the_index(user):
    conversation = said(user, ["We adopted a cat named Miso"], title="Pets")
    Message.objects.filter(user=user).update(search_tokens=None)
    Conversation.objects.filter(user=user).update(title_tokens=[])
    assert found(user, "miso") == []
    assert found(user, "pets") == []

    call_command("conversation_index", "--batch-size", "1")
    assert found(user, "miso") == [conversation]
    assert found(user, "pets") == [conversation]

    tokens = Message.objects.get(user=user).search_tokens
    Message.objects.filter(user=user).update(search_tokens=[1, 2])
    call_command("conversation_index")  # only unindexed rows: nothing to do
    assert Message.objects.get(user=user).search_tokens == [1, 2]
    call_command("conversation_index", "--rebuild")
    assert Message.objects.get(user=user).search_tokens == tokens


# client_id ----------------------------------------------------------------------------------


def test_the_client_id_is_stored_only_as_a_keyed_hash(user):
    other = UserFactory()
    client_id = "5b0e8c1e-secret-idempotency-key"
    conversation = conversation_start(user=user)
    prepared = chat_turn_start(
        user=user, conversation_id=conversation.id, text="hello", client_id=client_id
    )
    reply = chat_reply(prepared)
    assert (prepared.message.client_id, reply.client_id) == (client_id, f"{client_id}:reply")

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT row_to_json(m)::text FROM memory_message m WHERE conversation_id = %s",
            [conversation.id],
        )
        rows = [row for (row,) in cursor.fetchall()]
    assert len(rows) == 2
    assert not any("secret-idempotency" in row or "client_id" in row for row in rows)
    stored = Message.objects.get(pk=prepared.message.id).client_key
    assert bytes(stored) == cipher_for(user.id).keyed_hash(client_id, purpose="client_id")
    assert bytes(stored) != cipher_for(other.id).keyed_hash(client_id, purpose="client_id")
    assert bytes(stored) != cipher_for(user.id).keyed_hash(client_id)  # kept apart by purpose

    # The history cannot show it back; a resend still finds the stored turn.
    assert [
        m.client_id for m in conversation_messages(user=user, conversation_id=conversation.id)
    ] == [
        None,
        None,
    ]
    again = chat_turn_start(
        user=user, conversation_id=conversation.id, text="hello", client_id=client_id
    )
    assert (again.created, again.message.id, again.reply.id) == (
        False,
        prepared.message.id,
        reply.id,
    )


# Display state -------------------------------------------------------------------------------


def messages_url(conversation_id: int) -> str:
    return f"/api/v1/conversations/{conversation_id}/messages/"


def test_chips_and_the_routed_badge_are_stored_with_the_reply(user, auth_api, settings):
    settings.LLM_BASE_URL = ""
    allergy = memory_create(user=user, text="I'm allergic to nuts")
    conversation = conversation_start(user=user)
    asked = auth_api.post(
        messages_url(conversation.id), {"text": "what am I allergic to?"}, format="json"
    ).json()
    routed = auth_api.post(
        messages_url(conversation.id), {"text": "plan my meals for next week"}, format="json"
    ).json()
    assert {"id": allergy.id, "text": "I'm allergic to nuts"} in asked["memories"]
    assert routed["routed"]["intent"] == "plan"

    answer, handed = asked["reply"]["id"], routed["reply"]["id"]
    chips = ReplyMemory.objects.filter(message_id=answer, kind="used").order_by("rank")
    assert [c.memory_id for c in chips] == [m["id"] for m in asked["memories"]]
    row = Message.objects.get(pk=handed)
    assert row.routed_intent == "plan"
    links = json.loads(cipher_for(user.id).decrypt(row.routed_links_ct))
    assert links == routed["routed"]["links"]
    assert b"builder" not in bytes(row.routed_links_ct)  # the buttons are encrypted
    assert list(
        ReplyMemory.objects.filter(message_id=handed, kind="preference").values_list(
            "memory_id", flat=True
        )
    ) == [p["id"] for p in routed["routed"]["preferences"]]
    event = AuditEvent.objects.get(action="chat_route")
    assert event.detail == {
        "message_id": handed,
        "conversation_id": conversation.id,
        "intent": "plan",
    }

    # A reload reads them from there, not from the reward events or the audit log.
    # (The audit log is append-only, so instead of deleting it the reload's queries are read.)
    RewardEvent.objects.all().delete()
    with CaptureQueriesContext(connection) as queries:
        history = auth_api.get(messages_url(conversation.id)).json()["results"]
    read = " ".join(q["sql"] for q in queries.captured_queries if q["sql"].startswith("SELECT"))
    assert '"memory_auditevent"' not in read and '"memory_rewardevent"' not in read
    assert [m["id"] for m in history] == [
        asked["message"]["id"],
        answer,
        routed["message"]["id"],
        handed,
    ]
    assert history[1]["memories"] == asked["memories"]
    assert history[3]["routed"] == routed["routed"]
    assert "routed" not in history[1]


def test_a_history_page_is_three_queries(user, django_assert_max_num_queries):
    conversation = conversation_start(user=user)
    for n in range(3):
        memory_create(user=user, text=f"My friend number {n} likes tea")
    for text in ["Who likes tea?", "Tell me about my friends", "Any friend who likes tea?"]:
        turn = chat_turn_start(user=user, conversation_id=conversation.id, text=text)
        chat_reply(turn)
        messages_process(message_ids=[turn.message.id])
    assert ReplyMemory.objects.filter(message__conversation_id=conversation.id).count() >= 3
    history = conversation_messages(user=user, conversation_id=conversation.id)

    with django_assert_max_num_queries(3):  # the count, the page, the chips of its replies
        shown = history[0 : len(history)]

    assert [m.role for m in shown] == ["user", "companion"] * 3
    assert all(m.memories for m in shown if m.role == "companion")
    assert shown[1].memories[0].text.startswith("My friend number")
    assert timezone.is_aware(shown[0].sent_at)
