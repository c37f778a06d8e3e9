"""Evaluation and read-only previews look without recalling: scores do not depend on order."""

from datetime import timedelta

import pytest
from django.utils import timezone

from memory.models import AuditEvent, Memory
from memory.retrieval.search import retrieve
from memory.selectors import memories_for_user
from memory.services import memory_create
from subagents.builder.personal import personalisation_for
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

FACTS = [
    "I am allergic to penicillin and peanuts",
    "My sister Aiko lives in Sapporo with her two cats",
    "I play tennis every Tuesday evening with my colleague Ben",
    "My favourite food is grilled mackerel with rice",
    "I drink green tea in the morning and coffee after lunch",
    "I am training for the Osaka half marathon in March",
    "My car is a blue Honda that I bought in 2021",
    "I work as a nurse at the city hospital on night shifts",
]
QUESTIONS = [
    "What am I allergic to?",
    "Where does my sister live?",
    "When do I play tennis?",
    "What do I like to eat?",
    "What do I drink in the morning?",
    "Which race am I training for?",
]


def ask_all(user, questions: list[str], now) -> dict[str, list[tuple[int, float]]]:
    answers = {}
    for question in questions:
        result = retrieve(
            user=user, query=question, k=5, budget=None, purpose="evaluation", now=now
        )
        answers[question] = [(item.id, round(item.score, 9)) for item in result.items]
    return answers


def recall_state(user) -> dict[int, tuple]:
    return {
        row["id"]: (row["recall_count"], row["strength"], row["strength_at"])
        for row in Memory.objects.filter(user=user).values(
            "id", "recall_count", "strength", "strength_at"
        )
    }


def test_evaluation_scores_do_not_depend_on_question_order():
    person = UserFactory()
    for fact in FACTS:
        memory_create(user=person, text=fact)
    before = recall_state(person)
    now = timezone.now() + timedelta(days=45)  # strengths have faded: a recall would show

    forwards = ask_all(person, QUESTIONS, now)
    backwards = ask_all(person, list(reversed(QUESTIONS)), now)

    assert forwards == backwards
    assert recall_state(person) == before
    # Still audited: every read is on the record.
    assert AuditEvent.objects.filter(action="retrieve", purpose="evaluation").count() == 12


def test_previews_and_memory_search_do_not_reinforce():
    person = UserFactory()
    for fact in FACTS:
        memory_create(user=person, text=fact)
    before = recall_state(person)

    personalisation_for(user=person, request="a tracker for my tennis practice and allergies")
    memories_for_user(user=person, q="allergic")

    assert recall_state(person) == before
