import pytest

from memory.selectors import memories_for_user
from memory.services import memory_create, memory_update
from subagents.selectors import installation_spec
from subagents.services import entry_create, installation_create
from subagents.transfer import subagent_context, template_fill
from tests.subagents.specs import hydration, meal_planner, workout

pytestmark = pytest.mark.django_db


def context_texts(user, installation) -> list[str]:
    spec = installation_spec(installation)
    return [item.text for item in subagent_context(user=user, spec=spec)]


def test_logging_a_strength_workout_changes_what_the_meal_planner_shows(user):
    workouts = installation_create(user=user, spec=workout(), source="catalogue:workouts")
    planner = installation_create(user=user, spec=meal_planner(), source="catalogue:meal-planner")
    assert context_texts(user, planner) == []

    entry_create(user=user, installation_id=workouts.id, values={"kind": "cardio", "minutes": 30})
    assert memories_for_user(user=user).count() == 0  # the hook matches strength only

    entry = entry_create(
        user=user, installation_id=workouts.id, values={"kind": "strength", "minutes": 45}
    )
    [memory] = list(memories_for_user(user=user))
    assert memory.text == "started strength training"
    assert memory.source == "subagent"
    assert "fitness" in memory.domains
    assert [s.external_id for s in memory.sources] == [f"subagent:{workouts.id}"]
    assert entry.id
    assert context_texts(user, planner) == ["started strength training"]


def test_a_sub_agent_never_sees_private_or_unshared_memories_or_other_domains(user):
    planner = installation_create(user=user, spec=meal_planner(), source="builder")
    shared = memory_create(user=user, text="I am allergic to peanuts")
    hidden = memory_create(user=user, text="I am allergic to shellfish")
    memory_update(user=user, memory_id=hidden.id, policy={"share_with_subagents": False})
    private = memory_create(user=user, text="I am allergic to penicillin", privacy="private")
    memory_create(user=user, text="My sister lives in Osaka")  # relationships, not read
    texts = context_texts(user, planner)
    assert texts == ["I am allergic to peanuts"]
    assert shared.id and private.id


def test_first_entry_and_goal_met_hooks(user):
    spec = hydration()
    spec["memory"]["writes"] = [
        {"when": "first_entry", "template": "started tracking water", "domain": "health"},
        {"when": "goal_met", "template": "drank {amount} glasses of water", "domain": "health"},
    ]
    installation = installation_create(user=user, spec=spec, source="builder")
    entry_create(user=user, installation_id=installation.id, values={"amount": 3})
    assert [m.text for m in list(memories_for_user(user=user))] == ["started tracking water"]
    entry_create(user=user, installation_id=installation.id, values={"amount": 2})
    assert memories_for_user(user=user).count() == 1
    entry_create(user=user, installation_id=installation.id, values={"amount": 4})  # 9 >= 8
    texts = sorted(m.text for m in list(memories_for_user(user=user)))
    assert texts == ["drank 4 glasses of water", "started tracking water"]
    entry_create(user=user, installation_id=installation.id, values={"amount": 1})  # already met
    assert memories_for_user(user=user).count() == 2


def test_templates_fill_only_field_values():
    spec = workout()
    assert (
        template_fill(
            "did {kind} for {minutes} min {nope}",
            spec=spec,
            values={"kind": "yoga", "minutes": 20.0},
        )
        == "did yoga for 20 min"
    )
