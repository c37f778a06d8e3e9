"""Online, per person: a Celery job fits a small adjustment from the person's reward events.
A simulated person who keeps thumbs-downing onboarding quiz trivia sees it ranked lower within
a few turns while the rest is found as before; random feedback cannot move their policy
further than PERSON_BOUND from the prior."""

import random
from datetime import timedelta

import numpy as np
import pytest
from django.utils import timezone

from memory.learning.features import FEATURES
from memory.learning.fit import PERSON_BOUND, fit_person
from memory.learning.policy import vector
from memory.learning.registry import forget_cached_policy
from memory.models import PersonPolicy
from memory.retrieval.search import retrieve
from memory.services import (
    MessageIn,
    conversation_create,
    memory_create,
    memory_feedback,
    messages_ingest,
)
from memory.tasks import fit_person_policies, fit_person_policy
from tests.factories import UserFactory

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

TRIVIA = [
    "Quiz answer: my favourite colour is teal.",
    "Quiz answer: my favourite season is autumn.",
    "Quiz answer: my favourite number is seven.",
    "Quiz answer: my favourite animal is the otter.",
]
SAID = {
    "My favourite band is Radiohead, I saw them live twice.": "Which band do I like?",
    "My favourite book is Dune, I reread it every winter.": "What book do I love?",
    "I cook pasta with my kids every Friday evening.": "What do I cook on Fridays?",
    "I go hiking in the mountains with my dog Biscuit.": "Where do I go hiking?",
    "My favourite film is Spirited Away.": "What is my favourite film?",
}
PROBES = ["What are my favourites?", "What things do I like most?", "Tell me my favourite things"]
TURNS = 6  # the bound on how many turns of feedback it takes


def _person():
    user = UserFactory()
    conversation = conversation_create(user=user)
    now = timezone.now()
    messages_ingest(
        user=user,
        conversation=conversation,
        messages=[
            MessageIn(text=text, sent_at=now - timedelta(minutes=10 - i))
            for i, text in enumerate(SAID)
        ],
    )
    trivia = [memory_create(user=user, text=text).id for text in TRIVIA]
    return user, set(trivia)


def _shown(user, query: str, k: int = 4) -> list[int]:
    result = retrieve(user=user, query=query, k=k, budget=None, purpose="evaluation")
    return [item.id for item in result.items]


def _trivia_share(user, trivia: set[int]) -> float:
    shown = [m for probe in PROBES for m in _shown(user, probe)]
    return sum(m in trivia for m in shown) / len(shown)


def _found(user) -> dict[str, bool]:
    found = {}
    for text, question in SAID.items():
        result = retrieve(user=user, query=question, k=3, budget=None, purpose="evaluation")
        found[question] = text in [item.text for item in result.items]
    return found


def test_thumbs_down_on_quiz_trivia_ranks_it_lower_and_leaves_the_rest(celery_worker):
    forget_cached_policy()
    user, trivia = _person()
    before_share = _trivia_share(user, trivia)
    before_found = _found(user)
    assert before_share >= 0.25  # the probes do show trivia to begin with
    shares = []
    for _turn in range(TURNS):
        for probe in PROBES:  # a companion turn: shown chips, the person reacts
            result = retrieve(user=user, query=probe, k=4, reinforce=False)
            for item in result.items:
                if item.id in trivia:
                    memory_feedback(user=user, memory_id=item.id, signal="down")
        fit_person_policy.delay(user.id).get(timeout=60)  # the real worker
        shares.append(_trivia_share(user, trivia))
        if shares[-1] <= before_share / 2:
            break
    print("trivia share", before_share, shares)
    assert shares[-1] <= before_share / 2, (before_share, shares)
    assert len(shares) <= TURNS
    assert _found(user) == before_found  # everything else is found as before
    adjustment = vector(PersonPolicy.objects.get(user=user).adjustment)
    assert float(np.linalg.norm(adjustment)) <= PERSON_BOUND + 1e-9
    assert adjustment[FEATURES.index("stated")] < 0  # what moved trivia down


def test_random_feedback_stays_within_the_bound_and_refits_are_idempotent(celery_worker):
    forget_cached_policy()
    user, _ = _person()
    rng = random.Random(13)
    queries = PROBES + list(SAID.values())
    for _ in range(40):
        result = retrieve(user=user, query=rng.choice(queries), k=4, reinforce=False)
        for item in result.items:
            memory_feedback(user=user, memory_id=item.id, signal=rng.choice(["up", "down"]))
    assert fit_person_policies.delay().get(timeout=120) == 1  # the beat job finds the person
    first = PersonPolicy.objects.get(user=user)
    norm = float(np.linalg.norm(vector(first.adjustment)))
    assert 0 < norm <= PERSON_BOUND + 1e-9
    assert fit_person_policies.delay().get(timeout=60) == 0  # nothing new: nobody refitted
    fit_person_policy.delay(user.id).get(timeout=60)  # a retried job gives the same fit
    again = PersonPolicy.objects.get(user=user)
    assert again.adjustment == first.adjustment and again.events == first.events


def test_extreme_feedback_is_still_bounded():
    rng = np.random.default_rng(5)
    examples = [(rng.normal(0, 5, len(FEATURES)), float(rng.choice([-1, 1]))) for _ in range(500)]
    examples += [(np.full(len(FEATURES), 3.0), -1.0)] * 500  # one direction, hammered
    delta = fit_person(examples)
    assert float(np.linalg.norm(delta)) <= PERSON_BOUND + 1e-9
