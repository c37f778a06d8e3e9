"""A readable list of what changed between two specs (for the builder's preview and revisions)."""

from typing import Any

from django.utils.dates import WEEKDAYS_ABBR
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

SCALARS = ("name", "description", "icon", "color", "language", "persona")
FIELD_ATTRS = ("label", "type", "unit", "choices", "min", "max", "required", "default", "help")
AGGREGATES = {
    "sum": gettext_lazy("sum"),
    "count": gettext_lazy("count"),
    "average": gettext_lazy("average"),
    "min": gettext_lazy("min"),
    "max": gettext_lazy("max"),
    "last": gettext_lazy("last"),
}
PERIODS = {
    "day": gettext_lazy("day"),
    "week": gettext_lazy("week"),
    "month": gettext_lazy("month"),
    "year": gettext_lazy("year"),
}
VIEWS = {
    "line": gettext_lazy("line chart"),
    "bar": gettext_lazy("bar chart"),
    "pie": gettext_lazy("pie chart"),
    "total": gettext_lazy("total"),
    "progress": gettext_lazy("progress"),
}


def view_text(view: dict) -> str:
    return str(VIEWS.get(view["type"], view["type"]))


def goal_text(goal: dict) -> str:
    """A goal in words, in the active language (the field and unit as the spec names them)."""
    values = {
        "aggregate": AGGREGATES.get(goal["aggregate"], goal["aggregate"]),
        "field": goal["field"],
        "target": goal["target"],
        "unit": f" {goal['unit']}" if goal.get("unit") else "",
        "period": PERIODS.get(goal["period"], goal["period"]),
    }
    if goal["direction"] == "at_least":
        return _("%(aggregate)s of %(field)s at least %(target)s%(unit)s per %(period)s") % values
    return _("%(aggregate)s of %(field)s at most %(target)s%(unit)s per %(period)s") % values


def reminder_text(reminder: dict) -> str:
    schedule = reminder["schedule"]
    times = ", ".join(schedule["times"])
    if schedule["kind"] == "weekly":
        days = ", ".join(str(WEEKDAYS_ABBR[d]) for d in schedule.get("weekdays", []))
        when = _("every %(days)s at %(times)s") % {"days": days, "times": times}
    elif schedule["kind"] == "interval":
        when = _("every %(n)s days at %(times)s") % {
            "n": schedule.get("every_days"),
            "times": times,
        }
    else:
        when = _("every day at %(times)s") % {"times": times}
    return _("%(when)s: “%(message)s”") % {"when": when, "message": reminder["message"]}


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
