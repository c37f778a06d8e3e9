import json
from datetime import UTC, datetime

import pytest

from macaron.vault import cipher_for
from memory.models import Memory
from memory.services import MessageIn, conversation_create, messages_ingest
from tests.fake_llm import completion, status

pytestmark = pytest.mark.django_db
AT = datetime(2024, 5, 8, 18, 0, tzinfo=UTC)
MESSAGE = (
    "ugh long day. btw my sister Jo is getting married on 14 June and I'm allergic to shellfish"
)


@pytest.fixture
def fake_llm(fake_llm, settings):
    """The shared fake server (tests/conftest.py), configured as the deployment's provider."""
    settings.LLM_BASE_URL = fake_llm.url
    settings.LLM_TIMEOUT_S = 2
    return fake_llm


def remembered(user) -> dict[str, Memory]:
    cipher = cipher_for(user.id)
    return {cipher.decrypt(m.text_ct): m for m in Memory.objects.filter(user=user)}


def test_llm_extracts_facts_with_dates_and_importance(user, fake_llm):
    facts = {
        "facts": [
            {"text": "My sister Jo is getting married on 14 June.", "importance": 0.7},
            {"text": "I am allergic to shellfish.", "importance": 0.9},
        ]
    }
    fake_llm.then(completion(json.dumps(facts)))
    conversation = conversation_create(user=user)
    messages_ingest(
        user=user, conversation=conversation, messages=[MessageIn(text=MESSAGE, sent_at=AT)]
    )

    memories = remembered(user)
    assert set(memories) == {
        "My sister Jo is getting married on 14 June.",
        "I am allergic to shellfish.",
    }
    wedding = memories["My sister Jo is getting married on 14 June."]
    assert wedding.event_time.date().isoformat() == "2024-06-14"
    assert wedding.kind == "plan"
    assert memories["I am allergic to shellfish."].importance == pytest.approx(0.9)
    assert fake_llm.body()["response_format"] == {"type": "json_object"}
    assert fake_llm.body()["messages"][-1]["content"] == MESSAGE


def test_provider_failure_falls_back_to_the_offline_gate(user, fake_llm):
    fake_llm.then(status(400))
    conversation = conversation_create(user=user)
    messages_ingest(
        user=user, conversation=conversation, messages=[MessageIn(text=MESSAGE, sent_at=AT)]
    )
    # The offline gate keeps the clean statement: the filler ("btw") goes.
    assert list(remembered(user)) == [
        "Long day. My sister Jo is getting married on 14 June and I'm allergic to shellfish"
    ]


def test_questions_and_requests_the_model_passes_on_are_not_remembered(user, fake_llm):
    facts = {
        "facts": [
            {"text": "Hi Pip! I work as a nurse.", "importance": 0.6},
            {"text": "What should I cook tonight?", "importance": 0.5},
            {"text": "Log 2 glasses of water", "importance": 0.5},
        ]
    }
    fake_llm.then(completion(json.dumps(facts)))
    conversation = conversation_create(user=user)
    messages_ingest(
        user=user,
        conversation=conversation,
        messages=[
            MessageIn(
                text="Hi Pip! I work as a nurse. What should I cook tonight? Log 2 glasses of water",
                sent_at=AT,
            )
        ],
    )

    assert list(remembered(user)) == ["I work as a nurse."]
    prompt = " ".join(message["content"] for message in fake_llm.body()["messages"])
    assert "questions and requests to you" in prompt
