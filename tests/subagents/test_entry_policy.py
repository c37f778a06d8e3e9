"""Sub-agent entries carry a privacy level and rules, judged by memory's one may_read()."""

import pytest

from macaron.errors import DomainError, NotFound
from memory.privacy.policies import Reader, ReaderKind, may_read
from subagents.models import Entry
from subagents.services import (
    entry_create,
    entry_policy_facts,
    entry_policy_update,
    installation_create,
)
from tests.factories import UserFactory
from tests.subagents.specs import hydration, workout

pytestmark = pytest.mark.django_db

OTHER_SUBAGENT = Reader(kind=ReaderKind.SUBAGENT, subagent_id=99)


def test_entries_of_a_health_tool_are_private_by_default_and_changeable(user):
    water = installation_create(user=user, spec=hydration(domains=["health"]), source="builder")
    gym = installation_create(user=user, spec=workout(), source="builder")

    health = entry_create(user=user, installation_id=water.id, values={"amount": 2})
    fitness = entry_create(
        user=user, installation_id=gym.id, values={"kind": "cardio", "minutes": 30}
    )

    assert (health.privacy, fitness.privacy) == ("private", "normal")
    assert health.policy == {"share_with_subagents": True}  # said, so the person can untick it
    assert may_read(entry_policy_facts(health), OTHER_SUBAGENT)
    assert may_read(entry_policy_facts(fitness), OTHER_SUBAGENT)

    entry_policy_update(user=user, entry_id=health.id, policy={})
    assert not may_read(entry_policy_facts(Entry.objects.get(pk=health.id)), OTHER_SUBAGENT)

    entry_policy_update(user=user, entry_id=fitness.id, policy={"reauth_required": True})
    locked = may_read(
        entry_policy_facts(Entry.objects.get(pk=fitness.id)), Reader(kind=ReaderKind.PERSON)
    )
    assert (locked.allowed, locked.reason) == (False, "step_up_required")


def test_entry_policy_update_validates_and_is_scoped(user):
    gym = installation_create(user=user, spec=workout(), source="builder")
    entry = entry_create(user=user, installation_id=gym.id, values={"kind": "cardio", "minutes": 5})

    with pytest.raises(DomainError):
        entry_policy_update(user=user, entry_id=entry.id, privacy="public")
    with pytest.raises(DomainError):
        entry_policy_update(user=user, entry_id=entry.id, policy={"retention_days": -1})
    with pytest.raises(NotFound):
        entry_policy_update(user=UserFactory(), entry_id=entry.id, privacy="secret")
    assert Entry.objects.get(pk=entry.id).privacy == "normal"
