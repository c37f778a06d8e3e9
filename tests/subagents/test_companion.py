"""Companion integration: the router hands logging words to the person's tool (an entry made by
the tool's own chat, confirmed with an undo), offers a catalogue tool when none fits, sends
"make me a tool…" to the builder; routed commands are not remembered; the welcome gift installs
real tools; the builder page previews, revises, installs."""

import json

import pytest
from django.db import connections
from django.urls import reverse

from accounts import onboarding as quiz
from accounts.hooks import Welcome
from accounts.services import onboarding_answer, onboarding_choose_interests, onboarding_complete
from macaron.embeddings import get_embedder
from macaron.vault import cipher_for
from memory.companion.chat import chat_reply, chat_turn_start, conversation_start
from memory.models import Memory, Message
from memory.services import messages_process
from subagents.models import Entry, Installation
from subagents.selectors import entries_for_installation, installation_spec
from subagents.services import catalogue_install, catalogue_load
from subagents.welcome import welcome_gift_install
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def offline(settings):
    settings.LLM_BASE_URL = ""


@pytest.fixture(autouse=True)
def catalogue():
    catalogue_load()


def say(user, text: str):
    conversation = conversation_start(user=user)
    turn = chat_turn_start(user=user, conversation_id=conversation.id, text=text)
    return turn, chat_reply(turn)


def amounts(user, installation) -> list:
    return [
        item.values
        for item in entries_for_installation(user=user, installation_id=installation.id).items
    ]


@pytest.mark.parametrize(
    ("text", "amount"),
    [("log 2 glasses of water", 2), ("水を2杯飲んだ", 2), ("물 3잔 마셨어", 3)],
)
def test_logging_words_go_to_the_installed_tool_with_an_undo(user, text, amount):
    water = catalogue_install(user=user, slug="hydration", language="en")
    catalogue_install(user=user, slug="caffeine", language="en")  # another candidate

    _turn, reply = say(user, text)

    assert reply.routed.intent == "log_entry"
    assert [values["amount"] for values in amounts(user, water)] == [amount]
    assert Entry.objects.filter(user=user).count() == 1  # not in the caffeine tool
    labels = [link["label"] for link in reply.routed.links]
    assert len(labels) == 2
    undo = reply.routed.links[0]
    assert undo["method"] == "post" and "/undo/" in undo["url"]
    if text.startswith("log"):
        assert reply.text == "Hydration log: Logged: Amount 2 glass, Drink water."
        assert labels == ["Undo", "Open the tool"]


def test_the_best_of_several_tools_takes_the_words(user):
    water = catalogue_install(user=user, slug="hydration", language="en")
    coffee = catalogue_install(user=user, slug="caffeine", language="en")

    say(user, "log 2 cups of coffee")

    assert amounts(user, water) == []
    assert [values["cups"] for values in amounts(user, coffee)] == [2]


def test_undo_from_the_companion_chat_deletes_the_entry_and_comes_back(client, user):
    catalogue_install(user=user, slug="hydration", language="en")
    turn, reply = say(user, "log 2 glasses of water")
    client.force_login(user)
    other = UserFactory()
    undo = reply.routed.links[0]["url"]

    client.force_login(other)
    assert client.post(undo, {"next": "/chat/"}).status_code == 404
    assert Entry.objects.count() == 1

    client.force_login(user)
    back = f"/chat/{turn.conversation_id}/"
    response = client.post(undo, {"next": back})
    assert response.status_code == 302 and response.url == back
    assert Entry.objects.count() == 0
    # Somewhere else is never a destination.
    assert client.post(undo, {"next": "https://evil.example/"}).url != "https://evil.example/"


def test_the_routed_reply_keeps_its_buttons_in_the_history(client, user):
    catalogue_install(user=user, slug="hydration", language="en")
    turn, reply = say(user, "log 2 glasses of water")
    client.force_login(user)

    page = client.get(f"/chat/{turn.conversation_id}/").content.decode()
    assert 'class="link routed-link">Undo</button>' in page
    api = client.get(f"/api/v1/conversations/{turn.conversation_id}/messages/").json()
    assert api["results"][-1]["routed"]["links"] == list(reply.routed.links)


def test_with_no_fitting_tool_one_tap_installs_the_catalogue_tool_and_logs(client, user):
    _turn, reply = say(user, "log 2 glasses of water")

    assert reply.text.startswith("You don't have a tool for this yet. Hydration log would fit")
    install, _builder = reply.routed.links
    assert install["label"] == "Install Hydration log" and install["method"] == "post"
    assert not Installation.objects.exists()

    client.force_login(UserFactory())
    client.post(install["url"])  # someone else's request id is not logged for them
    assert not Entry.objects.exists()

    client.force_login(user)
    response = client.post(install["url"])
    [tool] = Installation.objects.filter(user=user)
    assert response.status_code == 302 and response.url == f"/tools/{tool.id}/"
    assert tool.source == "catalogue:hydration"
    assert [values["amount"] for values in amounts(user, tool)] == [2]
    client.post(install["url"])  # a double tap installs and logs once
    assert Installation.objects.filter(user=user).count() == 1
    assert Entry.objects.filter(user=user).count() == 1


def test_make_me_a_tool_goes_to_the_builder_prefilled(client, user):
    text = "make me a tool that tracks my reading, 20 pages a day"
    _turn, reply = say(user, text)

    assert reply.routed.intent == "build_tool"
    assert reply.text.startswith("I can build “Reading tracker” for you: Title, Author")
    [builder] = reply.routed.links
    assert builder["url"].startswith("/tools/new/?routed=")
    assert text not in json.dumps(reply.routed.links)  # only ids in the stored buttons

    client.force_login(user)
    assert text in client.get(builder["url"]).content.decode()
    client.force_login(UserFactory())
    assert text not in client.get(builder["url"]).content.decode()


def test_routed_commands_are_not_remembered_but_conversation_is(user):
    catalogue_install(user=user, slug="hydration", language="en")
    turn, _reply = say(user, "log 2 glasses of water, I love my water bottle!")
    _said, _ = say(user, "I love my new blue water bottle!")
    # Store-first: the worker's processing service runs here as it would after the turns.
    messages_process(
        message_ids=list(Message.objects.filter(user=user).values_list("pk", flat=True)),
        limit=100,
    )

    cipher = cipher_for(user.id)
    remembered = [cipher.decrypt(m.text_ct) for m in Memory.objects.filter(user=user)]
    assert not any("log 2 glasses" in text for text in remembered)
    assert any("blue water bottle" in text for text in remembered)
    # The command is stored in the conversation all the same.
    assert Message.objects.filter(pk=turn.message.id).exists()


# -- the welcome gift ---------------------------------------------------------------------------


def finish_onboarding(user, interests):
    for question in quiz.QUESTIONS:
        onboarding_answer(user=user, question_id=question.id, option_id=question.options[0].id)
    onboarding_choose_interests(user=user, interests=list(interests))
    return onboarding_complete(user=user)


def test_the_welcome_gift_installs_three_working_tools(user):
    onboarding = finish_onboarding(user, ["health", "sleep"])

    assert onboarding.welcome_gift == ["hydration-log", "sleep-diary", "medicine-reminder"]
    tools = Installation.objects.filter(user=user).order_by("id")
    assert [tool.source for tool in tools] == [
        "catalogue:hydration",
        "catalogue:sleep",
        "catalogue:medication",
    ]
    # They work: the companion logs into the gift.
    say(user, "log 2 glasses of water")
    assert Entry.objects.filter(installation=tools[0]).count() == 1
    # Idempotent: installing the gift again changes nothing.
    welcome_gift_install(
        Welcome(
            user=user,
            onboarding=onboarding,
            companion=user.companion,
            gift=onboarding.welcome_gift,
            language="en",
        )
    )
    assert Installation.objects.filter(user=user).count() == 3


def test_the_welcome_gift_speaks_the_persons_language():
    person = UserFactory(preferred_language="ja")
    finish_onboarding(person, ["mood"])
    specs = [installation_spec(tool) for tool in Installation.objects.filter(user=person)]
    assert len(specs) == 3
    assert specs[0]["language"] == "ja"
    assert specs[0]["name"] == "気分ログ" or any(
        "\u3040" <= ch <= "\u30ff" or "\u4e00" <= ch <= "\u9fff" for ch in specs[0]["name"]
    )


# -- the builder page ---------------------------------------------------------------------------

NEW = "/tools/new/"


def test_the_builder_previews_revises_and_installs_once(client, user):
    client.force_login(user)
    assert "Describe the tool you want" in client.get(NEW).content.decode()

    built = client.post(NEW, {"action": "build", "request": "track my water, 8 glasses a day"})
    page = built.content.decode()
    assert built.status_code == 200
    assert 'data-preview="1"' in page and "Hydration" in page
    assert 'id="goal-ring-0"' in page  # the tool page's own ring, at 0
    assert not Installation.objects.exists()
    draft = built.context["draft"].initial

    revised = client.post(
        NEW,
        {"action": "revise", "instruction": "use ml", **draft},
    )
    assert revised.status_code == 200
    changes = revised.context["changes"]
    assert changes and any("ml" in change["text"] for change in changes)
    assert 'class="card builder-changes"' in revised.content.decode()
    new_draft = revised.context["draft"].initial
    assert new_draft["client_token"] == draft["client_token"]
    assert json.loads(new_draft["spec"])["fields"][0]["unit"] == "ml"

    installed = client.post(NEW, {"action": "install", **new_draft})
    again = client.post(NEW, {"action": "install", **new_draft})  # a double submit
    [tool] = Installation.objects.filter(user=user)
    assert installed.url == again.url == f"/tools/{tool.id}/"
    assert tool.source == "catalogue:hydration"
    assert installation_spec(tool)["fields"][0]["unit"] == "ml"


def test_the_builder_refuses_clearly_and_creates_nothing(client, user):
    client.force_login(user)
    refused = client.post(NEW, {"action": "build", "request": "make a 3D racing game"})
    assert refused.status_code == 400
    assert 'class="error"' in refused.content.decode()
    unclear = client.post(
        NEW,
        {"action": "revise", "instruction": "blorp", "spec": "{not json", "source": "builder"},
    )
    assert unclear.status_code == 400
    tampered = client.post(
        NEW, {"action": "install", "spec": json.dumps({"name": "x"}), "source": "builder"}
    )
    assert tampered.status_code == 400
    assert "builder-refused" in tampered.content.decode()
    assert not Installation.objects.exists()


def test_the_builder_is_for_signed_in_people(client):
    response = client.get(NEW)
    assert response.status_code == 302 and "/login" in response.url


def test_the_builder_is_written_in_japanese_too(client):
    person = UserFactory(preferred_language="ja")
    client.force_login(person)
    page = client.get(NEW, HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert "欲しいツールを説明してください" in page


# -- the home page ------------------------------------------------------------------------------


def test_home_shows_todays_tools_and_one_tap_logs(client, user):
    water = catalogue_install(user=user, slug="hydration", language="en")
    other = UserFactory()
    theirs = catalogue_install(user=other, slug="hydration", language="en")
    client.force_login(user)

    page = client.get("/").content.decode()
    assert f'data-tool="{water.id}"' in page and f'data-tool="{theirs.id}"' not in page
    assert 'data-value="0" data-target="8' in page
    assert "today-reminder" in page and "/tools/new/" in page

    assert client.post(reverse("tool-quick-log", args=[theirs.id])).status_code == 404
    response = client.post(reverse("tool-quick-log", args=[water.id]))
    assert response.status_code == 302
    assert [values["amount"] for values in amounts(user, water)] == [1]
    assert 'data-value="1" data-target="8' in client.get("/").content.decode()
    assert not Entry.objects.filter(installation=theirs).exists()


@pytest.mark.django_db(transaction=True)
def test_a_routed_command_and_its_memory_hook_embed_with_no_transaction_open(monkeypatch):
    """The handler recalls, logs the entry and its hook writes a memory: every embedding call
    runs with no transaction open (a spy on the real embedder records `in_atomic_block`)."""
    calls: list[tuple[str, bool]] = []
    cls = type(get_embedder())
    for name in ("embed_documents", "embed_query"):
        original = getattr(cls, name)

        def spy(self, texts, _original=original, _name=name):
            calls.append((_name, connections["default"].in_atomic_block))
            return _original(self, texts)

        monkeypatch.setattr(cls, name, spy)
    user = UserFactory()
    coffee = catalogue_install(user=user, slug="caffeine", language="en")
    calls.clear()

    _turn, reply = say(user, "log 2 cups of coffee")

    assert reply.routed.intent == "log_entry"
    assert [values["cups"] for values in amounts(user, coffee)] == [2]
    [memory] = Memory.objects.filter(user=user, source="subagent")
    assert cipher_for(user.id).decrypt(memory.text_ct).endswith("is cutting down on caffeine")
    assert {name for name, _ in calls} == {"embed_query", "embed_documents"}
    assert [call for call in calls if call[1]] == []
