"""Specs for the runtime tests (built on the validation tests' complete hydration spec)."""

import copy

from tests.subagents.spec.test_validation import HYDRATION


def hydration(**changes) -> dict:
    spec = copy.deepcopy(HYDRATION)
    spec["views"] = [
        {"type": "progress", "field": "amount"},
        {"type": "bar", "field": "amount", "period": "day"},
        {"type": "streak", "field": "amount"},
        {"type": "heatmap", "field": "amount"},
        {"type": "pie", "field": "drink"},
        {"type": "total", "field": "amount"},
        {"type": "calendar"},
        {"type": "log"},
    ]
    spec["translations"] = {
        "ja": {
            "name": "水分記録",
            "labels": {"amount": "杯数", "drink": "飲み物", "note": "メモ"},
            "choices": {"drink": ["水", "お茶"]},
            "reminders": ["水を一杯どうぞ"],
        }
    }
    spec.update(changes)
    return spec


def every_type() -> dict:
    """One field of each type, for the form and the value checks."""
    spec = hydration()
    spec["name"] = "Everything"
    spec["fields"] = [
        {"key": "amount", "label": "Amount", "type": "number", "unit": "ml", "min": 0, "max": 5000},
        {
            "key": "count",
            "label": "Count",
            "type": "integer",
            "min": 1,
            "max": 10,
            "required": True,
        },
        {"key": "note", "label": "Note", "type": "text"},
        {"key": "drink", "label": "Drink", "type": "choice", "choices": ["water", "tea"]},
        {"key": "tags", "label": "Tags", "type": "multichoice", "choices": ["am", "pm", "gym"]},
        {"key": "day", "label": "Day", "type": "date"},
        {"key": "at", "label": "At", "type": "time"},
        {"key": "when", "label": "When", "type": "datetime"},
        {"key": "took", "label": "Took", "type": "duration", "unit": "min"},
        {"key": "mood", "label": "Mood", "type": "rating"},
        {"key": "cold", "label": "Cold", "type": "boolean"},
        {"key": "pic", "label": "Picture", "type": "photo"},
    ]
    spec["goals"] = [
        {
            "field": "amount",
            "aggregate": "sum",
            "period": "day",
            "target": 2000,
            "direction": "at_least",
        }
    ]
    spec["views"] = [{"type": "line", "field": "amount"}, {"type": "log"}]
    spec["memory"] = {"reads": [], "writes": []}
    spec.pop("translations")
    return spec


def workout() -> dict:
    return {
        "spec_version": 1,
        "name": "Workouts",
        "description": "Log your training sessions.",
        "icon": "🏋️",
        "color": "#ef4444",
        "language": "en",
        "domains": ["fitness"],
        "fields": [
            {
                "key": "kind",
                "label": "Type",
                "type": "choice",
                "choices": ["strength", "cardio", "yoga"],
                "required": True,
            },
            {"key": "minutes", "label": "Duration", "type": "duration", "unit": "min"},
        ],
        "goals": [
            {
                "field": "minutes",
                "aggregate": "sum",
                "period": "week",
                "target": 150,
                "direction": "at_least",
            }
        ],
        "views": [{"type": "bar", "field": "minutes", "period": "week"}],
        "reminders": [],
        "persona": "A calm coach.",
        "memory": {
            "reads": ["fitness", "health"],
            "writes": [
                {
                    "when": "entry",
                    "match": {"field": "kind", "equals": "strength"},
                    "template": "started strength training",
                    "domain": "fitness",
                }
            ],
        },
    }


def meal_planner() -> dict:
    return {
        "spec_version": 1,
        "name": "Meal planner",
        "description": "Plan meals that fit your training and your diet.",
        "icon": "🥗",
        "color": "#22c55e",
        "language": "en",
        "domains": ["food"],
        "fields": [
            {"key": "meal", "label": "Meal", "type": "text", "required": True},
            {
                "key": "slot",
                "label": "Slot",
                "type": "choice",
                "choices": ["breakfast", "lunch", "dinner"],
            },
        ],
        "goals": [],
        "views": [{"type": "log"}],
        "reminders": [],
        "persona": "A practical cook.",
        "memory": {"reads": ["food", "fitness", "health"], "writes": []},
    }
