import copy

import pytest

from subagents.builder.revise import RevisionUnclear
from subagents.services import spec_build, spec_diff, spec_revise
from subagents.spec import SpecError
from tests.subagents.spec.test_validation import HYDRATION


def revised(instruction, spec=HYDRATION):
    return spec_revise(spec=copy.deepcopy(spec), instruction=instruction)


def texts(result):
    return [change["text"] for change in result.changes]


def test_use_ml_switches_the_unit_bounds_and_goal():
    result = revised("use ml")
    amount = result.spec["fields"][0]
    assert (amount["unit"], amount["min"], amount["max"], amount["default"]) == (
        "ml",
        250,
        5000,
        250,
    )
    assert result.spec["goals"][0]["target"] == 2000 and result.spec["goals"][0]["unit"] == "ml"
    assert "Glasses unit: glass → ml" in texts(result)


def test_add_a_reminder_at_8pm():
    result = revised("add a reminder at 8pm")
    assert result.spec["reminders"][-1]["schedule"] == {"kind": "daily", "times": ["20:00"]}
    assert len(result.spec["reminders"]) == 2
    assert texts(result)[0].startswith("Reminder added: every day at 20:00")


def test_change_and_remove_reminders():
    moved = revised("change the reminder to every Monday at 7am")
    assert moved.spec["reminders"] == [
        {
            "schedule": {"kind": "weekly", "times": ["07:00"], "weekdays": [0]},
            "message": "Time for a glass of water",
        }
    ]
    assert revised("no reminders").spec["reminders"] == []


def test_goal_rename_remove_add_colour():
    assert revised("goal 10 glasses").spec["goals"][0]["target"] == 10
    assert revised("rename it to Water").spec["name"] == "Water"
    relabelled = revised("rename the note field to Comment")
    assert relabelled.spec["fields"][2]["label"] == "Comment"
    removed = revised("remove the note field")
    assert [f["key"] for f in removed.spec["fields"]] == ["amount", "drink"]
    assert texts(removed) == ["Field removed: Note"]
    added = revised("add a photo field")
    assert added.spec["fields"][-1]["type"] == "photo"
    assert revised("make it green").spec["color"] == "#22c55e"


def test_removing_a_field_also_removes_what_refers_to_it():
    result = revised("remove the glasses field")
    assert [f["key"] for f in result.spec["fields"]] == ["drink", "note"]
    assert result.spec["goals"] == [] and result.spec["memory"]["writes"] == []
    assert all(view.get("field") != "amount" for view in result.spec["views"])


@pytest.mark.django_db
def test_make_it_vegetarian_and_in_japanese():
    planner = spec_build(request="Plan my meals for the week").spec
    veggie = revised("make it vegetarian", spec=planner)
    assert next(f for f in veggie.spec["fields"] if f["key"] == "diet")["default"] == "vegetarian"
    assert "vegetarian" in veggie.spec["persona"]
    japanese = revised("in Japanese", spec=planner)
    assert japanese.spec["language"] == "ja" and japanese.spec["name"] == "献立プランナー"
    assert japanese.spec["translations"]["en"]["name"] == "Meal planner"


def test_unclear_or_empty_instructions_and_invalid_specs_are_refused():
    with pytest.raises(RevisionUnclear):
        revised("blah blah")
    with pytest.raises(RevisionUnclear):
        revised("   ")
    with pytest.raises(SpecError):
        spec_revise(spec={"name": "x"}, instruction="use ml")
    only = copy.deepcopy(HYDRATION)
    only["fields"] = only["fields"][:1]
    only["views"] = []
    with pytest.raises(RevisionUnclear):
        revised("remove the glasses field", spec=only)


def test_spec_diff_lists_readable_changes():
    new = copy.deepcopy(HYDRATION)
    new["name"] = "Water"
    new["fields"].append({"key": "photo", "label": "Photo", "type": "photo"})
    new["goals"][0]["target"] = 10
    assert [c["text"] for c in spec_diff(HYDRATION, new)] == [
        "Name: Hydration log → Water",
        "Field added: Photo (photo)",
        "Goal: sum of amount at least 8 glass per day → sum of amount at least 10 glass per day",
    ]
    assert spec_diff(HYDRATION, HYDRATION) == []
