import pytest

from memory.services import memory_create
from subagents.chat import read_entry, tool_chat_history, tool_chat_send, tool_chat_undo
from subagents.models import ChatMessage, Entry
from subagents.selectors import entries_for_installation
from subagents.services import entry_create, installation_create
from tests.subagents.specs import hydration, meal_planner

pytestmark = pytest.mark.django_db


def running() -> dict:
    spec = hydration()
    spec.update(name="Running", domains=["fitness"], translations={})
    spec["fields"] = [
        {"key": "distance", "label": "Distance", "type": "number", "unit": "km", "min": 0},
        {"key": "time", "label": "Time", "type": "duration"},
    ]
    spec["goals"] = [
        {
            "field": "distance",
            "aggregate": "sum",
            "period": "week",
            "target": 20,
            "direction": "at_least",
        }
    ]
    spec["views"] = [{"type": "bar", "field": "distance"}]
    spec["memory"] = {"reads": ["fitness"], "writes": []}
    return spec


def caffeine() -> dict:
    spec = hydration()
    spec.update(name="カフェイン", language="ja", translations={})
    spec["fields"] = [
        {"key": "cups", "label": "杯数", "type": "integer", "unit": "杯", "min": 1, "max": 20},
        {"key": "drink", "label": "飲み物", "type": "choice", "choices": ["コーヒー", "紅茶"]},
    ]
    spec["goals"] = [
        {"field": "cups", "aggregate": "sum", "period": "day", "target": 3, "direction": "at_most"}
    ]
    spec["views"] = [{"type": "progress"}]
    return spec


def korean_water() -> dict:
    spec = hydration()
    spec.update(name="물", language="ko", translations={})
    spec["fields"] = [{"key": "cups", "label": "잔", "type": "integer", "unit": "잔", "min": 1}]
    spec["goals"] = []
    spec["views"] = [{"type": "log"}]
    spec["memory"] = {"reads": [], "writes": []}
    return spec


@pytest.mark.parametrize(
    ("spec", "text", "values"),
    [
        (hydration(), "drank 2 glasses", {"amount": 2.0}),
        (hydration(), "3 glasses of tea", {"amount": 3.0, "drink": "tea"}),
        (running(), "ran 5k in 28 minutes", {"distance": 5.0, "time": 28.0}),
        (running(), "10 km, 1h 2min", {"distance": 10.0, "time": 62.0}),
        (caffeine(), "コーヒー2杯", {"cups": 2.0, "drink": "コーヒー"}),
        (korean_water(), "물 3잔", {"cups": 3.0}),
        (hydration(), "hello there", {}),
    ],
)
def test_words_become_entry_values(spec, text, values):
    assert read_entry(text, spec) == values


def test_logging_from_words_confirms_and_undo_removes_it(user):
    installation = installation_create(user=user, spec=hydration(), source="builder")
    sent = tool_chat_send(user=user, installation_id=installation.id, text="drank 2 glasses")
    assert sent.reply.text == "Logged: Glasses 2 glass."
    assert sent.entry_id is not None
    [item] = entries_for_installation(user=user, installation_id=installation.id).items
    assert item.values == {"amount": 2}
    stored = ChatMessage.objects.get(pk=sent.person.id)
    assert b"drank" not in bytes(stored.text_ct)
    undone = tool_chat_undo(user=user, message_id=sent.reply.id)
    assert undone.text == "Undone."
    assert Entry.objects.count() == 0
    assert [
        line.role for line in tool_chat_history(user=user, installation_id=installation.id)
    ] == ["person", "tool", "tool"]


def test_out_of_range_words_are_refused_clearly(user):
    installation = installation_create(user=user, spec=hydration(), source="builder")
    sent = tool_chat_send(user=user, installation_id=installation.id, text="drank 40 glasses")
    assert sent.reply.text == "I could not log that: Glasses: Enter a value between 1 and 20."
    assert sent.entry_id is None and Entry.objects.count() == 0


def test_questions_are_answered_from_the_data(user):
    installation = installation_create(user=user, spec=hydration(), source="builder")
    for amount in (2, 3):
        entry_create(user=user, installation_id=installation.id, values={"amount": amount})
    reply = tool_chat_send(
        user=user, installation_id=installation.id, text="how much did I drink this week?"
    ).reply.text
    assert reply == "Glasses — total this week: 5 glass."
    reply = tool_chat_send(
        user=user, installation_id=installation.id, text="how many glasses today?"
    ).reply.text
    assert reply == "Glasses — total today: 5 glass / 8."

    runs = installation_create(user=user, spec=running(), source="builder")
    for distance, minutes in ((5, 30), (5, 28), (10, 61)):
        entry_create(
            user=user, installation_id=runs.id, values={"distance": distance, "time": minutes}
        )
    reply = tool_chat_send(user=user, installation_id=runs.id, text="my best 5k?").reply.text
    assert reply == "Time — best so far: 28 min."


def test_questions_use_only_the_memories_the_tool_may_read(user):
    planner = installation_create(user=user, spec=meal_planner(), source="builder")
    memory_create(user=user, text="I am allergic to peanuts")
    memory_create(user=user, text="I am allergic to shellfish", privacy="private")
    reply = tool_chat_send(
        user=user, installation_id=planner.id, text="what am I allergic to?"
    ).reply.text
    assert reply == "From what you told me: I am allergic to peanuts"


def test_chat_page_and_api_are_owner_only(client, user):
    from rest_framework.test import APIClient

    from tests.factories import UserFactory

    installation = installation_create(user=user, spec=hydration(), source="builder")
    other = UserFactory()
    client.force_login(other)
    assert (
        client.post(f"/tools/{installation.id}/chat/", {"text": "drank 2 glasses"}).status_code
        == 404
    )
    api = APIClient()
    url = f"/api/v1/subagents/installations/{installation.id}/chat/"
    assert api.post(url, {"text": "drank 2 glasses"}, format="json").status_code == 401
    api.force_authenticate(other)
    assert api.post(url, {"text": "drank 2 glasses"}, format="json").status_code == 404
    assert api.get(url).status_code == 404
    assert Entry.objects.count() == 0

    client.force_login(user)
    response = client.post(f"/tools/{installation.id}/chat/", {"text": "drank 2 glasses"})
    assert response["Location"] == f"/tools/{installation.id}/#chat"
    html = client.get(f"/tools/{installation.id}/").content.decode()
    assert "Logged: Glasses 2 glass." in html and ">Undo</button>" in html
    reply = ChatMessage.objects.filter(role="tool").get()
    api.force_authenticate(other)
    assert api.post(f"/api/v1/subagents/chat/{reply.id}/undo/").status_code == 404
    api.force_authenticate(user)
    body = api.post(url, {"text": "drank 3 glasses"}, format="json").json()
    assert body["text"] == "Logged: Glasses 3 glass." and body["entry_id"]
    assert api.post(url, {"text": ""}, format="json").status_code == 400
    assert api.post(f"/api/v1/subagents/chat/{reply.id}/undo/").json()["text"] == "Undone."
    assert [e.id for e in Entry.objects.all()] == [body["entry_id"]]
    assert api.post(f"/api/v1/subagents/chat/{reply.id}/undo/").status_code == 400


def test_with_a_provider_its_values_are_used_and_checked(user, settings, fake_llm):
    import json

    from tests.fake_llm import completion, status

    settings.LLM_BASE_URL = fake_llm.url
    settings.LLM_TIMEOUT_S = 2
    installation = installation_create(user=user, spec=hydration(), source="builder")
    fake_llm.then(completion(json.dumps({"log": True, "values": {"amount": 4, "drink": "tea"}})))
    sent = tool_chat_send(user=user, installation_id=installation.id, text="had a pot of tea")
    assert sent.reply.text == "Logged: Glasses 4 glass, Drink tea."
    body = fake_llm.requests[0]["body"]
    assert any("amount (Glasses, glass)" in m["content"] for m in body["messages"])

    # Out of range from the model: refused like a typed entry, nothing logged.
    fake_llm.then(completion(json.dumps({"log": True, "values": {"amount": 400}})))
    sent = tool_chat_send(user=user, installation_id=installation.id, text="a lake of water")
    assert sent.entry_id is None and sent.reply.text.startswith("I could not log that: Glasses")

    # The provider is down: the offline reading logs it.
    for _ in range(5):
        fake_llm.then(status(503))
    sent = tool_chat_send(user=user, installation_id=installation.id, text="drank 2 glasses")
    assert sent.reply.text == "Logged: Glasses 2 glass."
    assert Entry.objects.count() == 2
