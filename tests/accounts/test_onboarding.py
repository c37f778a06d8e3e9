import threading

import pytest
from django.db import connections
from django.urls import reverse
from rest_framework.test import APIClient

from accounts import onboarding as quiz
from accounts.models import Companion, Onboarding, User
from accounts.services import (
    companion_rename,
    onboarding_answer,
    onboarding_choose_interests,
    onboarding_complete,
)
from macaron.embeddings import get_embedder
from macaron.errors import Conflict, DomainError, NotFound
from macaron.vault import cipher_for
from memory.models import Conversation, Memory, Message
from subagents.models import Installation
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

STATE = "/api/v1/onboarding/"
ANSWERS = "/api/v1/onboarding/answers/"
INTERESTS = "/api/v1/onboarding/interests/"
COMPLETE = "/api/v1/onboarding/complete/"
COMPANION = "/api/v1/companion/"

FIRST_OPTIONS = {q.id: q.options[0].id for q in quiz.QUESTIONS}


def answer_all(user, answers=FIRST_OPTIONS):
    for question_id, option_id in answers.items():
        onboarding_answer(user=user, question_id=question_id, option_id=option_id)


def ready_to_complete(user, interests=("food", "fitness")):
    answer_all(user)
    onboarding_choose_interests(user=user, interests=list(interests))


def manual_memories(user) -> list[str]:
    cipher = cipher_for(user.id)
    rows = Memory.objects.filter(user=user, source=Memory.Source.MANUAL).order_by("id")
    return [cipher.decrypt(m.text_ct) for m in rows]


def conversation_messages(user, conversation_id) -> list[tuple[str, str]]:
    cipher = cipher_for(user.id)
    rows = Message.objects.filter(user=user, conversation_id=conversation_id).order_by("id")
    return [(m.role, cipher.decrypt(m.text_ct)) for m in rows]


# The test itself (pure) ---------------------------------------------------------------------


def test_ten_questions_with_three_or_four_options_in_every_language():
    assert len(quiz.QUESTIONS) == 10
    assert len({q.id for q in quiz.QUESTIONS}) == 10
    for question in quiz.QUESTIONS:
        assert 3 <= len(question.options) <= 4
        assert set(question.text) == set(question.memory) == {"en", "ja", "ko"}
        assert len({question.text[language] for language in ("en", "ja", "ko")}) == 3
        for option in question.options:
            assert set(option.text) == {"en", "ja", "ko"}
            assert len({option.text[language] for language in ("en", "ja", "ko")}) == 3
            assert option.scores and set(option.scores) <= set(quiz.TRAITS)


def test_personality_is_deterministic():
    first = quiz.personality_from_answers(FIRST_OPTIONS)
    assert first == quiz.personality_from_answers(dict(reversed(FIRST_OPTIONS.items())))
    assert first.traits == ["calm", "caring", "focused"]
    assert first.code == "calm-caring-focused"
    assert first.colour == "#8f93b0"
    assert first.names == ["Mochi", "Peach", "Atlas"]
    cheerful = quiz.personality_from_answers({q.id: q.options[1].id for q in quiz.QUESTIONS})
    assert cheerful.traits[0] == "cheerful"
    assert cheerful.colour != first.colour


def test_personality_ignores_unknown_answers():
    noisy = {**FIRST_OPTIONS, "weekend": "cosy_night", "bogus": "x", "pet": "dragon"}
    del noisy["trip"]
    expected = {k: v for k, v in FIRST_OPTIONS.items() if k not in ("trip", "pet")}
    assert quiz.personality_from_answers(noisy) == quiz.personality_from_answers(expected)


def test_gift_is_three_distinct_blueprints_whatever_the_click_order():
    assert quiz.gift_for(["food", "fitness"]) == ["meal-planner", "workout-log", "recipe-box"]
    assert quiz.gift_for(["fitness", "food"]) == quiz.gift_for(["food", "fitness"])
    assert quiz.gift_for(["reading"]) == ["reading-list", "book-notes", "mood-journal"]
    assert quiz.gift_for(["mood"]) == ["mood-journal", "gratitude-list", "hydration-log"]
    many = quiz.gift_for(["music", "food", "travel", "sleep", "mood"])
    assert many == ["meal-planner", "sleep-diary", "mood-journal"]
    for interest, slugs in quiz.WELCOME_GIFTS.items():
        assert interest in quiz.INTERESTS_BY_SLUG
        assert all(slug in quiz.GIFTS_BY_SLUG for slug in slugs)


# Services -----------------------------------------------------------------------------------


def test_answers_store_option_ids_and_the_last_one_brings_the_companion(user):
    onboarding_answer(user=user, question_id="weekend", option_id="brunch")
    assert Onboarding.objects.get(user=user).answers == {"weekend": "brunch"}
    assert not Companion.objects.filter(user=user).exists()
    answer_all(user)
    companion = Companion.objects.get(user=user)
    assert (companion.name, companion.colour, companion.traits) == (
        "Mochi",
        "#8f93b0",
        ["calm", "caring", "focused"],
    )
    assert Onboarding.objects.get(user=user).answers == FIRST_OPTIONS


def test_changing_an_answer_refreshes_the_personality_but_keeps_the_name(user):
    answer_all(user)
    companion_rename(user=user, name="  Biscuit   the  Brave ")
    for question in quiz.QUESTIONS:
        onboarding_answer(user=user, question_id=question.id, option_id=question.options[1].id)
    companion = Companion.objects.get(user=user)
    assert companion.name == "Biscuit the Brave"
    assert companion.traits[0] == "cheerful"
    assert Companion.objects.filter(user=user).count() == 1


@pytest.mark.parametrize(
    ("question_id", "option_id", "code"),
    [("weekend", "moon_base", "unknown_option"), ("favourite_food", "x", "unknown_question")],
)
def test_unknown_question_or_option_is_refused(user, question_id, option_id, code):
    onboarding_answer(user=user, question_id="weekend", option_id="brunch")
    with pytest.raises(DomainError) as refusal:
        onboarding_answer(user=user, question_id=question_id, option_id=option_id)
    assert refusal.value.code == code
    assert Onboarding.objects.get(user=user).answers == {"weekend": "brunch"}


@pytest.mark.parametrize(
    ("name", "code"), [("", "invalid_name"), ("   ", "invalid_name"), ("x" * 41, "invalid_name")]
)
def test_companion_name_must_be_one_to_forty_characters(user, name, code):
    answer_all(user)
    with pytest.raises(DomainError) as refusal:
        companion_rename(user=user, name=name)
    assert refusal.value.code == code
    assert Companion.objects.get(user=user).name == "Mochi"


def test_renaming_before_the_test_is_not_found(user):
    with pytest.raises(NotFound):
        companion_rename(user=user, name="Mochi")


@pytest.mark.parametrize(
    ("interests", "code"),
    [
        ([], "interest_count"),
        (["food", "fitness", "health", "sleep", "mood", "study"], "interest_count"),
        (["food", "knitting-with-cats"], "unknown_interest"),
    ],
)
def test_interest_choice_is_one_to_five_known_interests(user, interests, code):
    onboarding_choose_interests(user=user, interests=["music"])
    with pytest.raises(DomainError) as refusal:
        onboarding_choose_interests(user=user, interests=interests)
    assert refusal.value.code == code
    assert Onboarding.objects.get(user=user).interests == ["music"]


def test_interests_are_deduplicated_in_catalogue_order(user):
    onboarding_choose_interests(user=user, interests=["music", "food", "music"])
    assert Onboarding.objects.get(user=user).interests == ["food", "music"]


def test_completing_before_answering_or_choosing_is_refused(user):
    with pytest.raises(DomainError) as refusal:
        onboarding_complete(user=user)
    assert refusal.value.code == "unanswered"
    answer_all(user)
    with pytest.raises(DomainError) as refusal:
        onboarding_complete(user=user)
    assert refusal.value.code == "no_interests"
    assert Onboarding.objects.get(user=user).completed_at is None
    assert not Memory.objects.filter(user=user).exists()
    assert not Conversation.objects.filter(user=user).exists()


def test_completion_remembers_answers_opens_the_conversation_and_records_the_gift(user):
    ready_to_complete(user, interests=["fitness", "food"])
    onboarding = onboarding_complete(user=user)

    assert onboarding.welcome_gift == ["meal-planner", "workout-log", "recipe-box"]
    assert onboarding.completed_at is not None
    remembered = manual_memories(user)
    assert len(remembered) == 11
    assert remembered[0] == "I picked 'a cosy night in' as my dream weekend."
    assert "When my alarm rings, I jump up, ready to go." in remembered
    assert remembered[-1] == "I'm interested in food & cooking and fitness."

    conversation = Conversation.objects.get(user=user)
    assert onboarding.first_conversation_id == conversation.id
    [(role, text)] = conversation_messages(user, conversation.id)
    assert role == Message.Role.COMPANION
    assert text.startswith(f"Hi {user.name}, I'm Mochi!")
    assert "food & cooking and fitness" in text
    assert "Meal planner, Workout log and Recipe box" in text


def test_completing_twice_creates_nothing_new(user):
    ready_to_complete(user)
    first = onboarding_complete(user=user)
    counts = (
        Memory.objects.filter(user=user).count(),
        Conversation.objects.filter(user=user).count(),
        Message.objects.filter(user=user).count(),
    )
    again = onboarding_complete(user=user)
    assert (again.completed_at, again.first_conversation_id) == (
        first.completed_at,
        first.first_conversation_id,
    )
    assert counts[1:] == (1, 1)
    assert (
        Memory.objects.filter(user=user).count(),
        Conversation.objects.filter(user=user).count(),
        Message.objects.filter(user=user).count(),
    ) == counts


def test_answers_and_interests_are_locked_after_completion(user):
    ready_to_complete(user)
    onboarding_complete(user=user)
    with pytest.raises(Conflict):
        onboarding_answer(user=user, question_id="weekend", option_id="brunch")
    with pytest.raises(Conflict):
        onboarding_choose_interests(user=user, interests=["music"])
    onboarding = Onboarding.objects.get(user=user)
    assert (onboarding.answers["weekend"], onboarding.interests) == (
        "cosy_night",
        ["food", "fitness"],
    )


def test_a_retry_after_an_interrupted_completion_adds_nothing(user):
    """The welcome installers ran but the process died before onboarding was marked complete:
    a second call finishes it, and the installers find their work already done."""
    ready_to_complete(user)
    first = onboarding_complete(user=user)
    Onboarding.objects.filter(user=user).update(completed_at=None, first_conversation_id=None)
    counts = (
        Memory.objects.filter(user=user).count(),
        Conversation.objects.filter(user=user).count(),
        Message.objects.filter(user=user).count(),
        Installation.objects.filter(user=user).count(),
    )

    again = onboarding_complete(user=user)

    assert again.completed_at is not None
    assert again.first_conversation_id == first.first_conversation_id
    assert counts == (11, 1, 1, 3)
    assert (
        Memory.objects.filter(user=user).count(),
        Conversation.objects.filter(user=user).count(),
        Message.objects.filter(user=user).count(),
        Installation.objects.filter(user=user).count(),
    ) == counts
    assert set(Memory.objects.filter(user=user).values_list("importance", flat=True)) == {0.8}


@pytest.fixture
def embedding_calls(monkeypatch) -> list[tuple[str, bool, object]]:
    """(method, whether a transaction was open, texts) of every call of the real embedder: a
    spy on our call sites, the embedding itself still runs."""
    calls: list[tuple[str, bool, object]] = []
    cls = type(get_embedder())
    for name in ("embed_documents", "embed_query"):
        original = getattr(cls, name)

        def spy(self, texts, _original=original, _name=name):
            calls.append((_name, connections["default"].in_atomic_block, texts))
            return _original(self, texts)

        monkeypatch.setattr(cls, name, spy)
    return calls


@pytest.mark.django_db(transaction=True)
def test_completion_embeds_in_one_batch_with_no_transaction_open(embedding_calls):
    user = UserFactory()
    ready_to_complete(user)
    embedding_calls.clear()

    onboarding = onboarding_complete(user=user)

    assert onboarding.first_conversation_id is not None
    assert [name for name, in_transaction, _ in embedding_calls if in_transaction] == []
    first_memories = [
        texts
        for name, _, texts in embedding_calls
        if name == "embed_documents" and "I'm interested in food & cooking and fitness." in texts
    ]
    assert [len(texts) for texts in first_memories] == [11]  # one batch for all of them


@pytest.mark.django_db(transaction=True)
def test_two_completions_at_once_make_one_welcome():
    """A double submit: both requests run the installers; the person's write lock lets one
    write the welcome, and the other finds it."""
    user = UserFactory()
    ready_to_complete(user)
    barrier = threading.Barrier(2)
    results, errors = [], []

    def complete():
        try:
            barrier.wait(10)
            results.append(onboarding_complete(user=User.objects.get(pk=user.pk)))
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=complete) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)

    assert errors == []
    conversation = Conversation.objects.get(user=user)
    assert [r.first_conversation_id for r in results] == [conversation.id, conversation.id]
    assert Message.objects.filter(user=user).count() == 1
    assert len(manual_memories(user)) == 11
    assert Installation.objects.filter(user=user).count() == 3


def test_completion_speaks_japanese_to_a_japanese_speaker(db):
    user = UserFactory(preferred_language="ja", display_name="花子")
    ready_to_complete(user, interests=["sleep"])
    onboarding = onboarding_complete(user=user)
    remembered = manual_memories(user)
    assert remembered[0] == "理想の週末には「おうちでまったり」を選んだ。"
    assert remembered[-1] == "興味があるのは睡眠。"
    [(role, text)] = conversation_messages(user, onboarding.first_conversation_id)
    assert role == Message.Role.COMPANION
    assert text.startswith("花子さん、はじめまして！Mochiです。")
    assert "「睡眠日記」「おやすみルーティン」「気分日記」" in text


# Web pages ----------------------------------------------------------------------------------


def test_question_page_shows_progress_options_and_back_link(client, user):
    client.force_login(user)
    response = client.get(reverse("onboarding_question", args=[3]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Question 3 / 10" in html
    assert "Pick a snack for a long afternoon" in html
    assert html.count('name="option"') == 4
    assert f'href="{reverse("onboarding_question", args=[2])}"' in html
    assert "Skip for now" in html


def test_answering_moves_to_the_next_unanswered_question(client, user):
    client.force_login(user)
    response = client.post(reverse("onboarding_question", args=[1]), {"option": "brunch"})
    assert response["Location"] == reverse("onboarding_question", args=[2])
    assert reverse("onboarding_question", args=[2]) == "/welcome/q/2/"
    assert client.get(reverse("onboarding"))["Location"] == "/welcome/q/2/"
    again = client.get(reverse("onboarding_question", args=[1])).content.decode()
    assert 'value="brunch" class="quiz-option picked" aria-pressed="true"' in again


def test_bad_question_or_option_in_the_browser(client, user):
    client.force_login(user)
    assert client.get(reverse("onboarding_question", args=[11])).status_code == 404
    assert client.get("/welcome/q/0/").status_code == 404
    bad = client.post(reverse("onboarding_question", args=[1]), {"option": "moon_base"})
    assert bad.status_code == 400
    assert b"Unknown option for this question." in bad.content
    assert not Onboarding.objects.filter(user=user).exclude(answers={}).exists()


def test_whole_flow_in_the_browser_ends_on_home_with_the_companion(client, user):
    client.force_login(user)
    for number, question in enumerate(quiz.QUESTIONS, start=1):
        client.post(
            reverse("onboarding_question", args=[number]), {"option": question.options[0].id}
        )
    card = client.get(reverse("onboarding_companion")).content.decode()
    assert "Say hello to Mochi" in card
    assert "#8f93b0" in card
    assert '<li class="chip">calm</li>' in card

    renamed = client.post(reverse("onboarding_companion"), {"name": "Dumpling"})
    assert renamed["Location"] == reverse("onboarding_interests")
    chosen = client.post(reverse("onboarding_interests"), {"interests": ["reading", "music"]})
    assert chosen["Location"] == reverse("onboarding_gift")
    gift = client.get(reverse("onboarding_gift")).content.decode()
    assert gift.count('class="card gift"') == 3
    assert "Practice log" in gift and "Reading list" in gift
    assert "Meet Dumpling" in gift

    done = client.post(reverse("onboarding_complete"))
    assert done.status_code == 302
    assert Onboarding.objects.get(user=user).welcome_gift == [
        "practice-log",
        "reading-list",
        "playlist-notes",
    ]
    home = client.get(reverse("home")).content.decode()
    assert "Dumpling" in home
    assert "companion-avatar" in home and "<title>Dumpling</title>" in home
    assert "Nothing here yet" not in home
    assert client.get(reverse("onboarding"))["Location"] == reverse("home")


def test_companion_name_errors_show_inline(client, user):
    answer_all(user)
    client.force_login(user)
    response = client.post(reverse("onboarding_companion"), {"name": "  "})
    assert response.status_code == 400
    assert b'id="id_name-error"' in response.content
    assert Companion.objects.get(user=user).name == "Mochi"
    picked = client.post(reverse("onboarding_companion"), {"name": "Peach", "stay": "1"})
    assert picked["Location"] == reverse("onboarding_companion")
    assert Companion.objects.get(user=user).name == "Peach"


@pytest.mark.parametrize(
    "interests", [[], ["food", "fitness", "health", "sleep", "mood", "study"], ["dragons"]]
)
def test_interest_errors_show_inline(client, user, interests):
    answer_all(user)
    client.force_login(user)
    response = client.post(reverse("onboarding_interests"), {"interests": interests})
    assert response.status_code == 400
    assert b'id="id_interests-error"' in response.content
    assert Onboarding.objects.get(user=user).interests == []


def test_later_steps_send_you_back_until_earlier_ones_are_done(client, user):
    client.force_login(user)
    for name in ("onboarding_companion", "onboarding_interests", "onboarding_gift"):
        assert client.get(reverse(name))["Location"] == reverse("onboarding")
    assert client.get(reverse("onboarding_complete")).status_code == 405
    refused = client.post(reverse("onboarding_complete"), follow=True)
    assert b"Answer all 10 questions first." in refused.content


def test_skip_goes_home_with_a_way_back(client, user):
    client.force_login(user)
    response = client.post(reverse("onboarding_skip"))
    assert response["Location"] == reverse("home")
    assert Onboarding.objects.get(user=user).skipped_at is not None
    home = client.get(reverse("home")).content.decode()
    assert "Nothing here yet" in home
    assert f'href="{reverse("onboarding")}"' in home


def test_pages_speak_japanese(client, db):
    user = UserFactory(preferred_language="ja")
    client.force_login(user)
    page = client.get(reverse("onboarding_question", args=[1])).content.decode()
    assert "質問 1 / 10" in page
    assert "理想の週末は…" in page
    assert "おうちでまったり" in page
    assert "あとで" in page
    answer_all(user)
    card = client.get(reverse("onboarding_companion")).content.decode()
    assert "おだやか" in card


def test_onboarding_pages_require_login(client):
    response = client.get(reverse("onboarding_question", args=[1]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


# REST API ------------------------------------------------------------------------------------


def test_api_state_answers_and_progress(auth_api, user):
    state = auth_api.get(STATE).json()
    assert state["progress"] == {"answered": 0, "total": 10}
    assert state["next_question"]["id"] == "weekend"
    assert state["next_question"]["number"] == 1
    assert [o["id"] for o in state["next_question"]["options"]] == [
        "cosy_night",
        "new_trail",
        "brunch",
        "project",
    ]
    assert state["companion"] is None

    response = auth_api.post(ANSWERS, {"question": "weekend", "option": "brunch"}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert body["progress"] == {"answered": 1, "total": 10}
    assert body["next_question"]["id"] == "alarm"
    assert body["answers"] == {"weekend": "brunch"}


def test_api_full_flow_and_idempotent_completion(auth_api, user):
    for question_id, option_id in FIRST_OPTIONS.items():
        auth_api.post(ANSWERS, {"question": question_id, "option": option_id}, format="json")
    state = auth_api.get(STATE).json()
    assert state["next_question"] is None
    assert state["companion"]["name"] == "Mochi"
    assert state["companion"]["trait_labels"] == ["calm", "caring", "focused"]
    assert state["companion"]["name_suggestions"] == ["Mochi", "Peach", "Atlas"]

    renamed = auth_api.patch(COMPANION, {"name": "Yuzu"}, format="json")
    assert renamed.status_code == 200
    assert renamed.json()["name"] == "Yuzu"

    chosen = auth_api.post(INTERESTS, {"interests": ["travel"]}, format="json")
    assert [g["slug"] for g in chosen.json()["welcome_gift"]] == [
        "trip-planner",
        "packing-list",
        "mood-journal",
    ]
    done = auth_api.post(COMPLETE, format="json")
    assert done.status_code == 200
    body = done.json()
    assert body["completed"] is True
    conversation_id = body["first_conversation_id"]
    assert conversation_messages(user, conversation_id)[0][1].startswith(
        f"Hi {user.name}, I'm Yuzu!"
    )
    again = auth_api.post(COMPLETE, format="json")
    assert again.status_code == 200
    assert again.json()["first_conversation_id"] == conversation_id
    assert Conversation.objects.filter(user=user).count() == 1
    assert len(manual_memories(user)) == 11


@pytest.mark.parametrize(
    ("url", "method", "payload", "message"),
    [
        (ANSWERS, "post", {"question": "nope", "option": "x"}, "Unknown question."),
        (ANSWERS, "post", {"question": "weekend", "option": "x"}, "Unknown option"),
        (ANSWERS, "post", {"question": "weekend"}, "option: This field is required."),
        (ANSWERS, "post", {"question": "weekend", "option": "brunch", "x": 1}, "x: Unknown"),
        (INTERESTS, "post", {"interests": []}, "Pick between 1 and 5 interests."),
        (
            INTERESTS,
            "post",
            {"interests": ["food", "fitness", "health", "sleep", "mood", "study"]},
            "Pick between 1 and 5 interests.",
        ),
        (INTERESTS, "post", {"interests": ["food", "dragons"]}, "Unknown interest."),
        (INTERESTS, "post", {"interests": "food"}, "interests:"),
        (INTERESTS, "post", {"interests": [None]}, "interests:"),
        (COMPLETE, "post", {}, "Answer all 10 questions first."),
        (COMPANION, "patch", {"name": "Mochi"}, "There is no companion yet"),
    ],
)
def test_api_bad_input_is_400_with_a_clear_message(auth_api, user, url, method, payload, message):
    response = getattr(auth_api, method)(url, payload, format="json")
    assert response.status_code in (400, 404)
    assert message in response.json()["error"]["message"]
    assert not Onboarding.objects.filter(user=user).exclude(answers={}).exists()
    assert not Onboarding.objects.filter(user=user).exclude(interests=[]).exists()


@pytest.mark.parametrize(
    ("name", "message"),
    [("", "Give your companion a name."), ("y" * 41, "at most 40"), (None, "name:")],
)
def test_api_companion_name_must_be_sensible(auth_api, user, name, message):
    answer_all(user)
    response = auth_api.patch(COMPANION, {"name": name}, format="json")
    assert response.status_code == 400
    assert message in response.json()["error"]["message"]
    assert Companion.objects.get(user=user).name == "Mochi"


def test_api_answer_after_completion_is_409(auth_api, user):
    ready_to_complete(user)
    onboarding_complete(user=user)
    response = auth_api.post(ANSWERS, {"question": "weekend", "option": "brunch"}, format="json")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "onboarding_complete"


def test_another_person_cannot_touch_this_onboarding(auth_api, user):
    answer_all(user)
    onboarding_choose_interests(user=user, interests=["food"])
    other = UserFactory()
    other_api = APIClient()
    other_api.force_authenticate(other)

    other_api.post(ANSWERS, {"question": "weekend", "option": "brunch"}, format="json")
    other_api.post(INTERESTS, {"interests": ["music"]}, format="json")
    refused = other_api.patch(COMPANION, {"name": "Stolen"}, format="json")
    assert refused.status_code == 404
    assert other_api.post(COMPLETE, format="json").status_code == 400
    seen = other_api.get(STATE).json()
    assert seen["answers"] == {"weekend": "brunch"}
    assert seen["companion"] is None

    mine = Onboarding.objects.get(user=user)
    assert (mine.answers, mine.interests, mine.completed_at) == (FIRST_OPTIONS, ["food"], None)
    assert Companion.objects.get(user=user).name == "Mochi"
    assert not Memory.objects.filter(user=user).exists()


def test_api_requires_authentication(api):
    assert api.get(STATE).status_code == 401
    assert api.post(COMPLETE).status_code == 401
