"""A small built-in set of valid sub-agent specs keyed by name, for `community_simulate` (and
demo data) when a scenario names a catalogue tool that is not available here."""

import copy
import re

from subagents.spec import spec_validate

_KEY = re.compile(r"[^a-z0-9]+")


def _key(name: str) -> str:
    key = _KEY.sub("_", name.lower()).strip("_") or "value"
    return ("k_" + key if not key[0].isalpha() else key)[:40]


def sample_spec(name: str) -> dict:
    """A valid spec for a tool called `name`: one numeric field named after it, a note, a
    daily goal, two views and one reminder."""
    key = _key(name)
    spec = {
        "spec_version": 1,
        "name": name.strip().capitalize()[:60] or "Tracker",
        "description": f"Log your {name} and see how it goes.",
        "icon": "⭐",
        "color": "#3b82f6",
        "language": "en",
        "domains": ["hobbies"],
        "fields": [
            {"key": key, "label": name.capitalize()[:40], "type": "number", "required": True},
            {"key": "note", "label": "Note", "type": "text"},
        ],
        "goals": [
            {
                "field": key,
                "aggregate": "sum",
                "period": "day",
                "target": 1,
                "direction": "at_least",
            }
        ],
        "views": [
            {"type": "progress", "field": key, "period": "day"},
            {"type": "line", "field": key, "period": "week"},
        ],
        "reminders": [
            {"schedule": {"kind": "daily", "times": ["09:00"]}, "message": f"Time for {name}"}
        ],
        "persona": "A friendly coach who keeps it short.",
        "memory": {"reads": [], "writes": []},
    }
    return spec_validate(spec)


def fork_edit(spec: dict, *, label: str) -> dict:
    """What a forker typically changes: a renamed tool, a different goal target, an extra
    field and a new persona."""
    out = copy.deepcopy(spec)
    out["name"] = f"{spec['name']} ({label})"[:60]
    out["persona"] = f"A coach for the {label} variant."
    extra = _key(f"extra {label}")
    if all(field["key"] != extra for field in out["fields"]) and len(out["fields"]) < 30:
        out["fields"].append({"key": extra, "label": "Extra", "type": "integer", "min": 0})
    for goal in out.get("goals") or []:
        if "target" in goal:
            goal["target"] = goal["target"] * 2
    return spec_validate(out)
