"""A readable list of what changed between two specs (for the builder's preview and revisions)."""

from typing import Any

SCALARS = ("name", "description", "icon", "color", "language", "persona")
FIELD_ATTRS = ("label", "type", "unit", "choices", "min", "max", "required", "default", "help")
WEEKDAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def goal_text(goal: dict) -> str:
    unit = f" {goal['unit']}" if goal.get("unit") else ""
    direction = "at least" if goal["direction"] == "at_least" else "at most"
    return f"{goal['aggregate']} of {goal['field']} {direction} {goal['target']}{unit} per {goal['period']}"


def reminder_text(reminder: dict) -> str:
    schedule = reminder["schedule"]
    times = ", ".join(schedule["times"])
    if schedule["kind"] == "weekly":
        days = ", ".join(WEEKDAY_NAMES[d] for d in schedule.get("weekdays", []))
        when = f"every {days} at {times}"
    elif schedule["kind"] == "interval":
        when = f"every {schedule.get('every_days')} days at {times}"
    else:
        when = f"every day at {times}"
    return f"{when}: “{reminder['message']}”"


def _change(path: str, change: str, old: Any, new: Any, text: str) -> dict:
    item: dict = {"path": path, "change": change, "text": text}
    if change != "added":
        item["old"] = old
    if change != "removed":
        item["new"] = new
    return item


def _listed(path: str, label: str, old: list, new: list, render) -> list[dict]:
    changes = []
    for index in range(max(len(old), len(new))):
        before = old[index] if index < len(old) else None
        after = new[index] if index < len(new) else None
        if before == after:
            continue
        where = f"{path}[{index}]"
        if before is None:
            changes.append(_change(where, "added", None, after, f"{label} added: {render(after)}"))
        elif after is None:
            changes.append(
                _change(where, "removed", before, None, f"{label} removed: {render(before)}")
            )
        else:
            text = f"{label}: {render(before)} → {render(after)}"
            changes.append(_change(where, "changed", before, after, text))
    return changes


def spec_diff(old: dict, new: dict) -> list[dict]:
    """Changes from `old` to `new`: [{path, change (added|removed|changed), old?, new?, text}]."""
    changes: list[dict] = []
    for key in SCALARS:
        if old.get(key) != new.get(key):
            text = f"{key.capitalize()}: {old.get(key)!s:.80} → {new.get(key)!s:.80}"
            changes.append(_change(key, "changed", old.get(key), new.get(key), text))
    old_fields = {f["key"]: f for f in old.get("fields", [])}
    new_fields = {f["key"]: f for f in new.get("fields", [])}
    for key, field in new_fields.items():
        if key not in old_fields:
            text = f"Field added: {field['label']} ({field['type']})"
            changes.append(_change(f"fields.{key}", "added", None, field, text))
    for key, field in old_fields.items():
        if key not in new_fields:
            text = f"Field removed: {field['label']}"
            changes.append(_change(f"fields.{key}", "removed", field, None, text))
            continue
        after = new_fields[key]
        for attr in FIELD_ATTRS:
            if field.get(attr) != after.get(attr):
                text = f"{after['label']} {attr}: {field.get(attr)} → {after.get(attr)}"
                changes.append(
                    _change(
                        f"fields.{key}.{attr}", "changed", field.get(attr), after.get(attr), text
                    )
                )
    changes += _listed("goals", "Goal", old.get("goals", []), new.get("goals", []), goal_text)
    changes += _listed(
        "reminders", "Reminder", old.get("reminders", []), new.get("reminders", []), reminder_text
    )
    for key in ("domains", "views", "memory"):
        if old.get(key) != new.get(key):
            changes.append(
                _change(key, "changed", old.get(key), new.get(key), f"{key.capitalize()} changed")
            )
    return changes
