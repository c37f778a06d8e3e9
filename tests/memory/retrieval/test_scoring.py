import math
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from memory.models import Memory
from memory.retrieval.scoring import DECAY_DAYS, DECAY_STORE_STEP, memories_decay
from memory.retrieval.search import _strength
from memory.selectors import memory_detail
from memory.services import memory_create
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def age(ids: list[int], days: float) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE memory_memory SET strength_at = now() - make_interval(secs => %s) "
            "WHERE id = ANY(%s)",
            [days * 86400, ids],
        )


def test_decay_job_rewrites_only_rows_whose_strength_changed_meaningfully():
    person = UserFactory()
    memories = [
        memory_create(user=person, text=f"Fact number {n} about my garden") for n in range(6)
    ]
    fresh, old = [m.pk for m in memories[:4]], [m.pk for m in memories[4:]]
    age(fresh, 0.25)  # six hours: strength 0.9917, not worth a write
    age(old, DECAY_DAYS * 2 / 3)  # strength 0.51
    before = dict(Memory.objects.values_list("pk", "strength_at"))

    assert memories_decay() == 2

    after = dict(Memory.objects.values_list("pk", "strength_at"))
    assert [pk for pk in after if after[pk] != before[pk]] == sorted(old)
    assert 1 - math.exp(-0.25 / DECAY_DAYS) < DECAY_STORE_STEP
    # Reads still see the decayed strength of rows the job left alone.
    shown = memory_detail(user=person, memory_id=fresh[0]).strength
    assert shown == pytest.approx(math.exp(-0.25 / DECAY_DAYS), rel=1e-3)
    # A second run a few hours later writes nothing more.
    assert memories_decay(now=timezone.now() + timedelta(hours=6)) == 0


def test_a_pinned_memory_never_fades_in_the_job_or_on_a_read():
    person = UserFactory()
    plain = memory_create(user=person, text="I had ramen for lunch on Tuesday")
    pinned = memory_create(user=person, text="My blood type is O negative", pinned=True)
    age([plain.pk, pinned.pk], 3 * DECAY_DAYS)

    assert memories_decay() == 1
    assert memory_detail(user=person, memory_id=pinned.pk).strength == 1.0
    assert memory_detail(user=person, memory_id=plain.pk).strength < 0.1
    # Retrieval scores it by its stored strength too (the `strength` feature).
    assert (
        _strength(
            {
                "strength": 1.0,
                "strength_at": timezone.now() - timedelta(days=90),
                "recall_count": 0,
                "pinned": True,
            },
            timezone.now(),
        )
        == 1.0
    )
