import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from macaron.vault import cipher_for
from memory.companion.chat import (
    chat_reply,
    chat_turn_start,
    conversation_delete,
    conversation_rename,
    conversation_start,
    conversations_for_user,
    title_from,
    turn_prepare,
)
from memory.episodes.compress import SHORT_TERM_WINDOW
from memory.models import AuditEvent, Conversation, Memory, MemorySource, Message, RewardEvent
from memory.services import MessageIn, messages_ingest, messages_process
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

CONVERSATIONS = "/api/v1/conversations/"
ALLERGY = "I am allergic to peanuts and I love hiking"
QUESTION = "what do you remember about my allergies?"


def detail(conversation_id: int) -> str:
    return f"{CONVERSATIONS}{conversation_id}/"


def messages_url(conversation_id: int) -> str:
    return f"{CONVERSATIONS}{conversation_id}/messages/"


def decrypt(user, blob) -> str:
    return cipher_for(user.id).decrypt(blob)


def stored(conversation_id: int) -> list[tuple[str, str]]:
    rows = Message.objects.filter(conversation_id=conversation_id).order_by("sent_at", "id")
    return [(m.role, decrypt(m.user, m.text_ct)) for m in rows.select_related("user")]


def turn(user, conversation_id: int, text: str, client_id: str | None = None):
    """A turn, then the worker's processing service (store-first: the send only stores)."""
    prepared = chat_turn_start(
        user=user, conversation_id=conversation_id, text=text, client_id=client_id
    )
    reply = chat_reply(prepared)
    messages_process(message_ids=[prepared.message.id])
    return prepared, reply


def process_pending() -> int:
    """What the worker does after a send: the same processing service, for every message."""
    return messages_process(message_ids=[], fill=True, limit=1000)


def sse(response) -> list[tuple[str, dict]]:
    body = b"".join(response.streaming_content).decode()
    events = []
    for block in body.strip().split("\n\n"):
        name, data = block.split("\n")
        events.append((name.removeprefix("event: "), json.loads(data.removeprefix("data: "))))
    return events


@pytest.fixture
def conversation(user):
    return conversation_start(user=user)


@pytest.fixture
def other():
    return UserFactory()


@pytest.fixture
def other_api(other):
    client = APIClient()
    client.force_authenticate(other)
    return client


class FakeLLM(BaseHTTPRequestHandler):
    """An OpenAI-compatible endpoint on loopback that fails the way real ones do."""

    mode = "error"

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if self.server.mode == "error":
            self.send_response(500)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b'{"error": {"message": "boom"}}')
        else:  # malformed JSON with a JSON content type
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b'{"choices": [{"message": {"content": "half')

    def log_message(self, *args):
        pass


@pytest.fixture
def fake_llm(settings):
    servers = []

    def start(mode: str) -> str:
        server = ThreadingHTTPServer(("127.0.0.1", 0), FakeLLM)
        server.mode = mode
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        settings.LLM_BASE_URL = f"http://127.0.0.1:{server.server_address[1]}/v1"
        settings.LLM_TIMEOUT_S = 2
        return settings.LLM_BASE_URL

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture
def no_llm(settings):
    """A configured endpoint where nothing listens (connection refused)."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.LLM_BASE_URL = f"http://127.0.0.1:{port}/v1"
    settings.LLM_TIMEOUT_S = 0.5
    return settings


# Services ---------------------------------------------------------------------------------


def test_turn_stores_both_messages_through_the_write_path(user, conversation):
    prepared, reply = turn(user, conversation.id, ALLERGY, client_id="c1")

    assert stored(conversation.id) == [("user", ALLERGY), ("companion", reply.text)]
    assert prepared.message.text == ALLERGY
    assert prepared.message.client_id == "c1"
    assert reply.client_id == "c1:reply"
    assert reply.role == "companion"
    # The gate turned the person's message into long-term memories with provenance.
    remembered = Memory.objects.filter(user=user, sources__message_id=prepared.message.id)
    texts = {decrypt(user, memory.text_ct) for memory in remembered}
    assert any("peanuts" in text for text in texts)
    # The conversation got its title from the first message and its last activity time.
    row = Conversation.objects.get(pk=conversation.id)
    assert (
        decrypt(user, row.title_ct) == title_from(ALLERGY) == "I am allergic to peanuts and I love…"
    )
    assert row.last_message_at == Message.objects.get(pk=reply.id).sent_at


def test_reply_recalls_a_memory_from_an_earlier_turn(user, conversation):
    turn(user, conversation.id, ALLERGY)
    turn(user, conversation.id, "My sister Aiko lives in Lisbon")

    visit, visit_reply = turn(user, conversation.id, "I might visit my sister next month")
    assert "Lisbon" in visit_reply.text  # only an earlier turn said where she lives
    assert any("Lisbon" in memory.text for memory in visit.memories)

    prepared, reply = turn(user, conversation.id, QUESTION)

    assert any("peanuts" in memory.text for memory in prepared.memories)
    assert reply.memories == prepared.memories
    # What only the companion said is not recalled as something the person told it.
    companion_said = set(
        MemorySource.objects.filter(message__role="companion").values_list("memory_id", flat=True)
    ) - set(MemorySource.objects.filter(message__role="user").values_list("memory_id", flat=True))
    assert not companion_said & {memory.id for memory in prepared.memories}
    used = RewardEvent.objects.filter(user=user, signal="used", features__message_id=reply.id)
    assert sorted(used.values_list("memory_id", flat=True)) == sorted(
        memory.id for memory in prepared.memories
    )
    assert {event.reward for event in used} == {0.5}
    # The companion was given the conversation so far, verbatim, ending with the question.
    assert [m["role"] for m in prepared.window] == ["user", "assistant"] * 3 + ["user"]
    assert prepared.window[0]["content"] == ALLERGY
    assert prepared.window[-1] == {"role": "user", "content": QUESTION}


def test_window_is_the_last_messages_of_the_conversation(user, conversation):
    from datetime import UTC, datetime, timedelta

    start = datetime(2024, 5, 1, 9, tzinfo=UTC)
    messages_ingest(
        user=user,
        conversation=Conversation.objects.get(pk=conversation.id),
        messages=[
            MessageIn(text=f"Note number {n}", sent_at=start + timedelta(minutes=n))
            for n in range(SHORT_TERM_WINDOW + 4)
        ],
        schedule_compression=False,
    )

    prepared = turn_prepare(
        chat_turn_start(user=user, conversation_id=conversation.id, text="And now?")
    )

    assert len(prepared.window) == SHORT_TERM_WINDOW
    assert prepared.window[0]["content"] == "Note number 5"
    assert prepared.window[-1]["content"] == "And now?"


def test_the_same_client_id_stores_one_message_and_one_reply(user, conversation):
    first, reply = turn(user, conversation.id, ALLERGY, client_id="double-click")
    memories = Memory.objects.count()

    again, same_reply = turn(user, conversation.id, ALLERGY, client_id="double-click")

    assert again.created is False
    assert again.message.id == first.message.id
    assert same_reply.id == reply.id
    assert same_reply.text == reply.text
    assert Message.objects.filter(conversation_id=conversation.id).count() == 2
    assert Memory.objects.count() == memories
    # A client_id is per conversation: another conversation may use the same one.
    elsewhere = conversation_start(user=user)
    turn(user, elsewhere.id, ALLERGY, client_id="double-click")
    assert Message.objects.filter(conversation_id=elsewhere.id).count() == 2


def test_a_client_id_reused_for_another_text_is_refused(user, conversation):
    from macaron.errors import Conflict

    turn(user, conversation.id, ALLERGY, client_id="k1")

    with pytest.raises(Conflict):
        chat_turn_start(
            user=user, conversation_id=conversation.id, text="Something else", client_id="k1"
        )
    assert Message.objects.filter(conversation_id=conversation.id).count() == 2


def test_rename_search_and_delete(user):
    peanuts = conversation_start(user=user)
    turn(user, peanuts.id, ALLERGY)
    turn(user, peanuts.id, "Tomorrow I start a new job at the bakery")
    lisbon = conversation_start(user=user, title="Trip planning")
    messages_ingest(
        user=user,
        conversation=Conversation.objects.get(pk=lisbon.id),
        messages=[MessageIn(text="My sister lives in Lisbon", sent_at=timezone.now())],
    )

    assert [c.id for c in conversations_for_user(user=user)] == [lisbon.id, peanuts.id]
    # Search reads titles and every message (decrypted for their owner), not just the latest.
    assert [c.id for c in conversations_for_user(user=user, search="PEANUTS")] == [peanuts.id]
    assert [c.id for c in conversations_for_user(user=user, search="trip")] == [lisbon.id]
    assert conversations_for_user(user=user, search="tennis") == []

    renamed = conversation_rename(user=user, conversation_id=peanuts.id, title="  Food  notes ")
    assert renamed.title == "Food notes"
    assert [c.id for c in conversations_for_user(user=user, search="food")] == [peanuts.id]

    message_ids = list(
        Message.objects.filter(conversation_id=peanuts.id).values_list("id", flat=True)
    )
    remembered = set(
        MemorySource.objects.filter(message_id__in=message_ids).values_list("memory_id", flat=True)
    )
    assert remembered
    assert conversation_delete(user=user, conversation_id=peanuts.id) == 4
    assert not Conversation.objects.filter(pk=peanuts.id).exists()
    assert not Message.objects.filter(pk__in=message_ids).exists()
    # What was learned stays; its provenance just loses the message link.
    assert set(Memory.objects.filter(pk__in=remembered).values_list("id", flat=True)) == remembered
    assert not MemorySource.objects.filter(memory_id__in=remembered, message__isnull=False).exists()
    event = AuditEvent.objects.get(action="conversation_delete")
    assert event.detail == {"conversation_id": peanuts.id, "messages": 4}


# REST: conversations ---------------------------------------------------------------------


def test_conversation_crud_over_the_api(auth_api, user):
    created = auth_api.post(CONVERSATIONS, {"title": "Weekend"}, format="json")
    assert created.status_code == 201
    body = created.json()
    assert set(body) == {
        "id",
        "title",
        "created_at",
        "last_message_at",
        "preview",
        "preview_role",
    }
    assert body["title"] == "Weekend"
    assert body["preview"] == ""
    untitled = auth_api.post(CONVERSATIONS, {}, format="json").json()
    assert untitled["title"] == ""

    listed = auth_api.get(CONVERSATIONS).json()
    assert listed["count"] == 2
    assert [c["id"] for c in listed["results"]] == [untitled["id"], body["id"]]
    assert [c["id"] for c in auth_api.get(CONVERSATIONS, {"search": "week"}).json()["results"]] == [
        body["id"]
    ]

    renamed = auth_api.patch(detail(body["id"]), {"title": "Long weekend"}, format="json")
    assert renamed.status_code == 200
    assert renamed.json()["title"] == "Long weekend"
    empty = auth_api.patch(detail(body["id"]), {"title": " "}, format="json")
    assert empty.status_code == 400
    assert empty.json()["error"]["fields"] == {"title": ["Write a title."]}
    assert auth_api.get(detail(body["id"])).json()["title"] == "Long weekend"
    unknown = auth_api.post(CONVERSATIONS, {"title": "x", "colour": "red"}, format="json")
    assert unknown.status_code == 400

    assert auth_api.delete(detail(body["id"])).status_code == 204
    assert auth_api.get(detail(body["id"])).status_code == 404
    assert list(Conversation.objects.filter(user=user).values_list("id", flat=True)) == [
        untitled["id"]
    ]


def test_someone_elses_conversation_is_a_404_everywhere(auth_api, user, other_api, conversation):
    turn(user, conversation.id, ALLERGY)
    before = stored(conversation.id)

    for response in [
        other_api.get(detail(conversation.id)),
        other_api.patch(detail(conversation.id), {"title": "Mine now"}, format="json"),
        other_api.delete(detail(conversation.id)),
        other_api.get(messages_url(conversation.id)),
        other_api.post(messages_url(conversation.id), {"text": "hi"}, format="json"),
        other_api.post(
            messages_url(conversation.id), {"text": "hi", "stream": True}, format="json"
        ),
    ]:
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"
    assert other_api.get(CONVERSATIONS).json()["count"] == 0
    assert stored(conversation.id) == before
    assert decrypt(user, Conversation.objects.get(pk=conversation.id).title_ct) == title_from(
        ALLERGY
    )


# REST: messages --------------------------------------------------------------------------


def test_send_returns_the_message_the_reply_and_the_memories_used(auth_api, user, conversation):
    first = auth_api.post(
        messages_url(conversation.id), {"text": ALLERGY, "client_id": "a1"}, format="json"
    )
    assert first.status_code == 201
    assert first.json()["message"]["text"] == ALLERGY
    assert first.json()["memories"] == []
    process_pending()  # the worker's part of the first send

    response = auth_api.post(
        messages_url(conversation.id), {"text": QUESTION, "client_id": "a2"}, format="json"
    )

    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"message", "reply", "memories"}
    assert set(body["reply"]) == {
        "id",
        "conversation_id",
        "role",
        "text",
        "sent_at",
        "client_id",
        "memories",
    }
    assert body["message"]["role"] == "user"
    assert body["message"]["client_id"] == "a2"
    assert body["reply"]["role"] == "companion"
    assert "peanuts" in body["reply"]["text"]
    assert body["reply"]["memories"] == body["memories"]
    chip = next(m for m in body["memories"] if "peanuts" in m["text"])
    assert set(chip) == {"id", "text"}
    assert RewardEvent.objects.filter(
        user=user, memory_id=chip["id"], signal="used", features__message_id=body["reply"]["id"]
    ).exists()

    # 👎 on a chip goes through the memory feedback API and becomes a reward event.
    down = auth_api.post(f"/api/v1/memories/{chip['id']}/feedback/", {"signal": "down"})
    assert down.status_code == 201
    event = RewardEvent.objects.get(user=user, memory_id=chip["id"], signal="down")
    assert event.reward == -1.0

    history = auth_api.get(messages_url(conversation.id), {"page_size": 3})
    assert history.status_code == 200
    page = history.json()
    assert page["count"] == 4
    assert [m["role"] for m in page["results"]] == ["user", "companion", "user"]
    last = auth_api.get(messages_url(conversation.id), {"page_size": 3, "page": 2}).json()
    assert [m["id"] for m in last["results"]] == [body["reply"]["id"]]
    assert last["results"][0]["memories"] == body["memories"]


def test_double_submit_over_the_api_is_stored_once(auth_api, conversation):
    payload = {"text": ALLERGY, "client_id": "5b0e8c1e-0d57-4a1b-9d55-3f3c2f1d9a10"}
    first = auth_api.post(messages_url(conversation.id), payload, format="json")
    second = auth_api.post(messages_url(conversation.id), payload, format="json")

    assert first.status_code == 201
    assert second.status_code == 200
    assert second.json() == first.json()
    assert [role for role, _ in stored(conversation.id)] == ["user", "companion"]

    reused = auth_api.post(
        messages_url(conversation.id), {**payload, "text": "Another thing"}, format="json"
    )
    assert reused.status_code == 409
    assert reused.json()["error"]["code"] == "conflict"
    bad = auth_api.post(
        messages_url(conversation.id), {"text": "hi", "client_id": "no spaces"}, format="json"
    )
    assert bad.status_code == 400
    assert list(bad.json()["error"]["fields"]) == ["client_id"]
    assert len(stored(conversation.id)) == 2


@pytest.mark.parametrize(
    ("text", "status", "code"),
    [
        ("", 400, "empty"),
        ("   \n ", 400, "empty"),
        ("x" * 100_000, 413, "too_large"),
    ],
)
def test_bad_messages_are_refused_clearly_and_store_nothing(
    auth_api, conversation, text, status, code
):
    for stream in (False, True):
        response = auth_api.post(
            messages_url(conversation.id),
            {"text": text, "stream": stream},
            format="json",
            HTTP_ACCEPT="text/event-stream" if stream else "application/json",
        )
        assert response.status_code == status
        error = response.json()["error"]
        assert error["code"] == code
        assert list(error["fields"]) == ["text"]
        assert "x" * 100 not in response.content.decode()  # the text is not echoed back
    assert Message.objects.count() == 0
    if status == 413:
        assert error["message"] == (
            "The message is too long (100,000 characters; the limit is 20,000)."
        )


def test_streamed_send(auth_api, user, conversation):
    auth_api.post(messages_url(conversation.id), {"text": ALLERGY}, format="json")
    process_pending()

    response = auth_api.post(
        messages_url(conversation.id),
        {"text": QUESTION, "client_id": "s1", "stream": True},
        format="json",
        HTTP_ACCEPT="text/event-stream",
    )

    assert response.status_code == 200
    assert response["Content-Type"] == "text/event-stream"
    events = sse(response)
    names = [name for name, _ in events]
    assert names[:2] == ["message", "memories"]
    assert names[-1] == "done"
    assert set(names[2:-1]) == {"chunk"}
    assert len(names) > 4  # the reply arrives in several chunks
    message, memories, done = events[0][1], events[1][1], events[-1][1]
    assert "conversation_title" not in message  # the first message already named it
    streamed = "".join(data["text"] for name, data in events if name == "chunk")
    assert done["message"]["text"] == streamed
    assert "peanuts" in streamed
    assert any("peanuts" in m["text"] for m in memories["memories"])
    assert done["memories"] == memories["memories"]
    assert stored(conversation.id)[-2:] == [("user", QUESTION), ("companion", streamed)]
    assert message["message"]["id"] == Message.objects.get(client_id="s1").id
    assert done["message"]["id"] == Message.objects.get(client_id="s1:reply").id

    replay = sse(
        auth_api.post(
            messages_url(conversation.id),
            {"text": QUESTION, "client_id": "s1", "stream": True},
            format="json",
        )
    )
    assert [name for name, _ in replay] == ["message", "memories", "chunk", "done"]
    assert replay[-1][1] == done
    assert Message.objects.filter(conversation_id=conversation.id).count() == 4


# Provider failures -----------------------------------------------------------------------


def test_provider_down_is_a_502_and_keeps_the_message(auth_api, user, conversation, no_llm):
    payload = {"text": ALLERGY, "client_id": "down-1"}

    response = auth_api.post(messages_url(conversation.id), payload, format="json")

    assert response.status_code == 502
    error = response.json()["error"]
    assert error["code"] == "llm_unavailable"
    assert error["message"] == (
        "The language model is not answering right now. Please try again in a moment."
    )
    assert stored(conversation.id) == [("user", ALLERGY)]
    assert not RewardEvent.objects.exists()

    # Retrying the same send while still down stores nothing more.
    assert auth_api.post(messages_url(conversation.id), payload, format="json").status_code == 502
    assert stored(conversation.id) == [("user", ALLERGY)]

    # Once the model is back, the same client_id gets its answer; the message is still once.
    no_llm.LLM_BASE_URL = ""
    retried = auth_api.post(messages_url(conversation.id), payload, format="json")
    assert retried.status_code == 201
    assert [role for role, _ in stored(conversation.id)] == ["user", "companion"]
    assert retried.json()["message"]["id"] == Message.objects.get(client_id="down-1").id


@pytest.mark.parametrize("mode", ["error", "garbage"])
def test_provider_errors_and_malformed_json(auth_api, conversation, fake_llm, mode):
    fake_llm(mode)

    response = auth_api.post(messages_url(conversation.id), {"text": ALLERGY}, format="json")

    assert response.status_code == 502
    assert response.json()["error"]["code"] == "llm_unavailable"
    assert "boom" not in response.content.decode()
    assert stored(conversation.id) == [("user", ALLERGY)]


def test_provider_failure_while_streaming_is_an_error_event(auth_api, conversation, fake_llm):
    fake_llm("error")

    response = auth_api.post(
        messages_url(conversation.id), {"text": ALLERGY, "stream": True}, format="json"
    )

    events = sse(response)
    assert [name for name, _ in events] == ["message", "memories", "error"]
    assert events[0][1]["conversation_title"] == title_from(ALLERGY)
    assert events[-1][1] == {
        "code": "llm_unavailable",
        "message": "The language model is not answering right now. Please try again in a moment.",
        "status": 502,
    }
    assert stored(conversation.id) == [("user", ALLERGY)]


# Web pages -------------------------------------------------------------------------------


def test_chat_pages(client, user, other):
    client.force_login(user)
    assert client.get("/chat/").status_code == 200
    created = client.post("/chat/")
    conversation = Conversation.objects.get(user=user)
    assert created.url == f"/chat/{conversation.id}/"

    # Without JavaScript the composer posts a form and comes back to the conversation.
    sent = client.post(f"/chat/{conversation.id}/send/", {"text": ALLERGY, "client_id": "w1"})
    assert sent.status_code == 302
    assert [role for role, _ in stored(conversation.id)] == ["user", "companion"]
    page = client.get(f"/chat/{conversation.id}/")
    assert page.status_code == 200
    assert ALLERGY in page.content.decode()
    listing = client.get("/chat/", {"q": "peanuts"}).content.decode()
    assert "I am allergic to peanuts and I love…" in listing
    assert (
        "No conversation mentions that." in client.get("/chat/", {"q": "tennis"}).content.decode()
    )

    empty = client.post(f"/chat/{conversation.id}/send/", {"text": "  "}, follow=True)
    assert "The message is empty." in empty.content.decode()
    assert len(stored(conversation.id)) == 2

    client.post(f"/chat/{conversation.id}/rename/", {"title": "Food"})
    assert "Food" in client.get(f"/chat/{conversation.id}/").content.decode()
    assert client.get(f"/chat/{conversation.id}/delete/").status_code == 200

    client.force_login(other)
    for url in ["", "send/", "rename/", "delete/"]:
        method = client.get if url in ("", "delete/") else client.post
        assert method(f"/chat/{conversation.id}/{url}").status_code == 404
    assert client.post(f"/chat/{conversation.id}/delete/").status_code == 404
    assert Conversation.objects.filter(pk=conversation.id).exists()

    client.force_login(user)
    deleted = client.post(f"/chat/{conversation.id}/delete/")
    assert deleted.url == "/chat/"
    assert not Conversation.objects.filter(pk=conversation.id).exists()


def test_chat_pages_do_not_query_per_conversation_or_message(client, user):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(user)
    first = conversation_start(user=user)
    turn(user, first.id, ALLERGY)
    turn(user, first.id, "I love hiking in the Alps")  # a reply with "remembered" chips

    def queries(url: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    page, listing = queries(f"/chat/{first.id}/"), queries("/chat/")
    for text in ["My sister Aiko lives in Lisbon", "I might visit my sister", QUESTION]:
        turn(user, first.id, text)
        turn(user, conversation_start(user=user).id, text)

    assert queries(f"/chat/{first.id}/") == page
    assert queries("/chat/") == listing


def test_the_conversation_list_reads_and_decrypts_only_the_page_shown(user):
    from django.core.paginator import Paginator
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    started = [conversation_start(user=user, title=f"Topic {n}") for n in range(25)]
    newest_first = [c.id for c in reversed(started)]
    conversations = conversations_for_user(user=user)

    with CaptureQueriesContext(connection) as queries:
        page = Paginator(conversations, 10).get_page(2)
        shown = list(page)

    assert [c.id for c in shown] == newest_first[10:20]
    assert [c.title for c in shown] == [f"Topic {n}" for n in range(14, 4, -1)]
    assert len(queries) == 2  # the count, then one page of 10 rows
    assert "LIMIT 10 OFFSET 10" in queries[-1]["sql"]
    assert len(conversations) == 25
    assert [c.id for c in conversations] == newest_first
