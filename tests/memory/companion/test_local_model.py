"""The companion with a local model: the OpenAI-compatible provider (what llama.cpp's server,
Ollama and vLLM serve at /v1/chat/completions) against the fake server on loopback, judged by
the request the model receives."""

import json
from datetime import UTC, datetime

import pytest
from django.utils import timezone

from accounts import onboarding as quiz
from accounts.services import companion_create, companion_rename, onboarding_answer
from macaron.llm import OfflineProvider, get_provider
from memory.companion.chat import chat_reply, chat_turn_start, conversation_start
from memory.companion.router import NONE, registered_intents
from memory.services import MessageIn, conversation_create, messages_ingest
from tests.fake_llm import completion, delta, sse

pytestmark = pytest.mark.django_db

SAID_ON = datetime(2026, 10, 4, 12, 0, tzinfo=UTC)


def streamed(text: str):
    return sse([f"data: {delta(text, finish='stop')}", "", "data: [DONE]", ""])


def answers(fake_llm, reply) -> None:
    """What the server says to one turn: the router asks it first (when sub-agents registered
    intents) and hears "no tool", then the companion's reply request gets `reply`."""
    if registered_intents():
        fake_llm.then(completion(json.dumps({"intent": NONE, "arguments": {}})))
    fake_llm.then(reply)


def chat_requests(fake_llm) -> list[dict]:
    """The companion's reply requests (streamed), not the router's or the extractor's JSON."""
    return [request["body"] for request in fake_llm.requests if request["body"]["stream"]]


@pytest.fixture
def person(user):
    for question in quiz.QUESTIONS:
        onboarding_answer(user=user, question_id=question.id, option_id=question.options[0].id)
    companion_create(user=user)
    companion_rename(user=user, name="Kuri")
    user.display_name = "Aki"
    user.save()
    earlier = conversation_create(user=user)
    messages_ingest(
        user=user,
        conversation=earlier,
        messages=[
            MessageIn(text="I am allergic to peanuts.", sent_at=SAID_ON),
            MessageIn(text="My sister Hana lives in Lisbon.", sent_at=SAID_ON),
        ],
    )
    return type(user).objects.get(pk=user.pk)  # as a request would load them


def test_the_local_model_gets_memories_with_provenance_the_window_and_the_personality(
    person, settings, fake_llm
):
    settings.LLM_BASE_URL = fake_llm.url
    settings.LLM_MODEL = "qwen2.5:3b-instruct"
    conversation = conversation_start(user=person)
    said = [
        ("I had a slow morning with tea.", "A slow morning sounds nice."),
        ("Then I went for a walk by the river.", "The river must have been lovely."),
        ("What am I allergic to?", "You're allergic to peanuts — you told me on 4 October."),
    ]
    for text, answer in said:
        answers(fake_llm, streamed(answer))
        reply = chat_reply(chat_turn_start(user=person, conversation_id=conversation.id, text=text))
        assert reply.text == answer

    first, *_, last = chat_requests(fake_llm)
    assert fake_llm.requests[-1]["path"] == "/v1/chat/completions"
    assert last["model"] == "qwen2.5:3b-instruct"
    system, *window = last["messages"]
    # The short-term window: the conversation so far, verbatim, ending with the question.
    assert window == [
        {"role": "user", "content": "I had a slow morning with tea."},
        {"role": "assistant", "content": "A slow morning sounds nice."},
        {"role": "user", "content": "Then I went for a walk by the river."},
        {"role": "assistant", "content": "The river must have been lovely."},
        {"role": "user", "content": "What am I allergic to?"},
    ]
    assert first["messages"][1:] == [{"role": "user", "content": "I had a slow morning with tea."}]
    # The personality and who it talks to.
    assert system["role"] == "system"
    prompt = system["content"]
    assert "You are Kuri, a personal companion to Aki." in prompt
    traits = person.companion.traits
    assert traits and f"Your personality: {', '.join(traits)}." in prompt
    assert "Always answer in English." in prompt
    assert f"Today is {timezone.localdate():%A} {timezone.localdate().isoformat()}." in prompt
    # The memories, each with when it was said; the one asked about is among them.
    remembered = [line for line in prompt.splitlines() if line.startswith("- ")]
    assert [line for line in remembered if "peanuts" in line] == [
        "- I am allergic to peanuts. (they told you on 2026-10-04)"
    ]
    assert all(line.endswith(" (they told you on 2026-10-04)") for line in remembered)


def test_the_local_model_answers_in_the_persons_language(person, settings, fake_llm):
    settings.LLM_BASE_URL = fake_llm.url
    conversation = conversation_start(user=person)
    answers(fake_llm, streamed("ピーナッツのアレルギーだよ。"))

    chat_reply(
        chat_turn_start(user=person, conversation_id=conversation.id, text="私は何のアレルギー？")
    )

    [body] = chat_requests(fake_llm)
    assert "Always answer in Japanese." in body["messages"][0]["content"]
    # Asked in Japanese, the English memory is still recalled and given to the model.
    assert "peanuts" in body["messages"][0]["content"]


def test_the_offline_provider_stays_the_default_and_needs_no_server(person, settings):
    settings.LLM_BASE_URL = ""
    assert isinstance(get_provider(), OfflineProvider)
    conversation = conversation_start(user=person)

    reply = chat_reply(
        chat_turn_start(user=person, conversation_id=conversation.id, text="What am I allergic to?")
    )

    assert "peanuts" in reply.text


def test_a_non_streaming_local_server_still_answers(person, settings, fake_llm):
    """Some local servers ignore `stream` and answer with one JSON completion."""
    settings.LLM_BASE_URL = fake_llm.url
    conversation = conversation_start(user=person)
    answers(fake_llm, completion("You told me about Hana in Lisbon."))

    reply = chat_reply(
        chat_turn_start(user=person, conversation_id=conversation.id, text="Where does Hana live?")
    )

    assert reply.text == "You told me about Hana in Lisbon."
