import copy
import json

import pytest

from subagents.spec import SPEC_MAX_BYTES, SpecError, spec_validate

HYDRATION = {
    "spec_version": 1,
    "name": "Hydration log",
    "description": "Count the glasses of water you drink.",
    "icon": "💧",
    "color": "#3b82f6",
    "language": "en",
    "domains": ["health"],
    "fields": [
        {
            "key": "amount",
            "label": "Glasses",
            "type": "integer",
            "unit": "glass",
            "min": 1,
            "max": 20,
            "required": True,
            "default": 1,
        },
        {"key": "drink", "label": "Drink", "type": "choice", "choices": ["water", "tea"]},
        {"key": "note", "label": "Note", "type": "text"},
    ],
    "goals": [
        {
            "field": "amount",
            "aggregate": "sum",
            "period": "day",
            "target": 8,
            "unit": "glass",
            "direction": "at_least",
        }
    ],
    "views": [
        {"type": "progress", "field": "amount", "period": "day"},
        {"type": "bar", "field": "amount", "period": "week"},
    ],
    "reminders": [
        {
            "schedule": {"kind": "daily", "times": ["09:00", "15:00"]},
            "message": "Time for a glass of water",
        }
    ],
    "persona": "A cheerful coach who keeps it short.",
    "memory": {
        "reads": ["health"],
        "writes": [{"when": "goal_met", "template": "drank {amount} glasses of water"}],
    },
}


def problems(spec) -> list[str]:
    with pytest.raises(SpecError) as caught:
        spec_validate(spec)
    return caught.value.fields["spec"]


def changed(**edits):
    spec = copy.deepcopy(HYDRATION)
    for path, value in edits.items():
        target = spec
        *parents, last = path.split("__")
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]
        if value is None:
            del target[int(last) if last.isdigit() else last]
        else:
            target[int(last) if last.isdigit() else last] = value
    return spec


def test_a_valid_spec_is_returned_unchanged():
    assert spec_validate(copy.deepcopy(HYDRATION)) == HYDRATION


def test_a_valid_spec_as_json_text_is_parsed():
    assert spec_validate(json.dumps(HYDRATION)) == HYDRATION


@pytest.mark.parametrize(
    ("edits", "expected"),
    [
        ({"color": "blue"}, "$.color: 'blue' does not match"),
        ({"fields__0__type": "formula"}, "$.fields[0].type: 'formula' is not one of"),
        ({"spec_version": 2}, "$.spec_version: 1 was expected"),
        ({"goals__0__period": "fortnight"}, "$.goals[0].period: 'fortnight' is not one of"),
        ({"reminders__0__schedule__times": ["25:00"]}, "$.reminders[0].schedule.times[0]"),
        ({"fields__1__choices": None}, "$.fields[1].choices: a choice field needs choices"),
        ({"goals__0__field": "litres"}, "$.goals[0].field: no field 'litres'"),
        ({"goals__0__field": "note"}, "$.goals[0].aggregate: sum needs a numeric field"),
        ({"views__1__field": "volume"}, "$.views[1].field: no field 'volume'"),
        ({"fields__0__min": 30}, "$.fields[0].min: min is greater than max"),
        ({"fields__0__default": 50}, "$.fields[0].default: the default is outside min..max"),
        (
            {"memory__writes__0__template": "drank {__import__}"},
            "$.memory.writes[0].template: no field {__import__}",
        ),
        ({"script": "alert(1)"}, "$: Additional properties are not allowed ('script'"),
        ({"name": None}, "$: 'name' is a required property"),
    ],
)
def test_invalid_specs_are_refused_with_the_json_path_and_reason(edits, expected):
    assert any(problem.startswith(expected) for problem in problems(changed(**edits)))


def test_duplicate_field_keys_are_refused():
    spec = copy.deepcopy(HYDRATION)
    spec["fields"].append(dict(spec["fields"][2]))
    assert "$.fields[3].key: duplicate field key 'note'" in problems(spec)


def test_weekly_reminders_need_weekdays_and_intervals_need_days():
    spec = changed(reminders__0__schedule={"kind": "weekly", "times": ["08:00"]})
    assert "$.reminders[0].schedule.weekdays: a weekly reminder needs weekdays" in problems(spec)
    spec = changed(reminders__0__schedule={"kind": "interval", "times": ["08:00"]})
    assert "$.reminders[0].schedule.every_days: an interval needs every_days" in problems(spec)


def test_huge_and_deep_specs_are_refused_before_the_schema_runs():
    huge = changed(description="x" * (SPEC_MAX_BYTES + 1))
    assert problems(huge)[0].startswith("$: larger than")
    assert problems("[" * 100_000)[0].startswith("$: larger than")
    assert problems("[" * 50_000 + "]" * 50_000)[0].startswith("$: larger than")
    deep: dict = {}
    node = deep
    for _ in range(50):
        node["x"] = {}
        node = node["x"]
    assert problems(deep) == ["$: nested deeper than 8 levels"]
    assert problems("[" * 20_000 + "]" * 20_000) == ["$: nested deeper than 8 levels"]


def test_not_json_is_refused_with_a_reason():
    assert problems("{not json")[0].startswith("$: not JSON")


def test_the_message_names_the_first_problem():
    with pytest.raises(SpecError) as caught:
        spec_validate(changed(color="blue"))
    assert caught.value.message.startswith("Invalid sub-agent spec at $.color:")
    assert caught.value.status_code == 400
