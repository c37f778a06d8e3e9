"""The forget gate: fitted in numpy, fades what it does not expect to help, never what is
pinned, important, recalled or recent; the beat job runs it in the real worker."""

from datetime import timedelta

import numpy as np
import pytest
from django.utils import timezone

from memory.learning import gate
from memory.learning.gate import (
    GATE_FEATURES,
    KEEP_USEFUL,
    fit_gate,
    gate_threshold,
    memories_fade,
    usefulness,
)
from memory.models import Memory
from memory.services import memory_create
from memory.tasks import fade_memories
from tests.factories import UserFactory

FADE_ALL = (np.array([-10.0] + [0.0] * (len(GATE_FEATURES) - 1)), 0.5)


def test_the_gate_learns_what_turns_out_useful():
    rng = np.random.default_rng(3)
    importance = rng.uniform(0, 1, 2000)
    dated = (rng.uniform(0, 1, 2000) < 0.3).astype(float)
    matrix = np.column_stack(
        [np.ones(2000), importance, np.zeros((2000, 5)), dated, np.full(2000, 0.5)]
    )
    useful = (rng.uniform(0, 1, 2000) < 0.1 + 0.6 * importance * (0.5 + dated)).astype(float)
    weights = fit_gate(matrix, useful)
    assert weights[GATE_FEATURES.index("importance")] > 0
    assert weights[GATE_FEATURES.index("dated")] > 0
    p = usefulness(weights, matrix)
    assert p[useful > 0].mean() > p[useful == 0].mean()
    threshold = gate_threshold(weights, matrix, useful)
    kept_useful = float((p[useful > 0] >= threshold).mean())
    assert KEEP_USEFUL <= kept_useful < KEEP_USEFUL + 0.01
    assert (p[useful == 0] < threshold).mean() > 1 - KEEP_USEFUL  # it does fade the rest more


def _old(memory: Memory, days: int = 90, **fields) -> None:
    at = timezone.now() - timedelta(days=days)
    Memory.objects.filter(pk=memory.pk).update(valid_from=at, **fields)


@pytest.mark.django_db
def test_pinned_important_recalled_and_recent_memories_never_fade(user):
    trivia = memory_create(user=user, text="My favourite colour is teal")
    pinned = memory_create(user=user, text="My blood type is O negative", pinned=True)
    important = memory_create(user=user, text="My daughter was born on 3 May")
    recalled = memory_create(user=user, text="I take the 8:10 train to work")
    recent = memory_create(user=user, text="I just started learning the cello")
    _old(trivia, importance=0.3)
    _old(pinned, importance=0.1)
    _old(important, importance=0.9)
    _old(recalled, importance=0.2, recall_count=2)
    Memory.objects.filter(pk=recent.pk).update(importance=0.1)

    assert memories_fade(user_id=user.id, gate=FADE_ALL) == 1
    strengths = dict(Memory.objects.filter(user=user).values_list("pk", "strength"))
    assert strengths[trivia.pk] == 0.0
    assert all(strengths[m.pk] > 0 for m in (pinned, important, recalled, recent))
    assert memories_fade(user_id=user.id, gate=FADE_ALL) == 0  # idempotent
    assert Memory.objects.filter(user=user, forgotten_at__isnull=True).count() == 5  # kept


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_the_beat_job_fades_in_the_worker_and_spares_the_protected(celery_worker):
    person = UserFactory()
    faded = memory_create(user=person, text="Quiz answer: my favourite season is autumn")
    pinned = memory_create(
        user=person, text="Quiz answer: my favourite number is seven", pinned=True
    )
    _old(faded, importance=0.2)
    _old(pinned, importance=0.2)
    assert gate.shipped_gate() is not None  # the worker uses the shipped gate
    fade_memories.delay().get(timeout=60)
    strengths = dict(Memory.objects.filter(user=person).values_list("pk", "strength"))
    assert strengths[pinned.pk] > 0
    weights, threshold = gate.shipped_gate()
    row = Memory.objects.filter(pk=faded.pk).values(*gate.GATE_COLUMNS).get()
    expected = usefulness(weights, gate.gate_row(row)[None, :])[0] < threshold
    assert (strengths[faded.pk] == 0.0) == expected
