"""Migrating a tool's entries from one spec to another (an upgrade to a newer published version,
or the rollback to the one before), without losing anything a person logged.

Per field of the old spec:
- kept (same key, same type): the value stays; a unit change is converted when the conversion
  is known (ml↔l, kg↔lb, km↔mi, min↔h), otherwise the value is archived;
- renamed (its key is gone and a new key appears with the same type and label): moved;
- removed, or its type changed: archived inside the entry's values under ARCHIVE, never deleted.
A value archived earlier comes back when the target spec has that field again (a rollback).
Pure functions: the service in subagents.services does the reading and writing.
"""

from dataclasses import dataclass, field
from typing import Any

ARCHIVE = "_archived"

# factor from unit A to unit B (value_in_B = value_in_A * factor)
CONVERSIONS: dict[tuple[str, str], float] = {
    ("ml", "l"): 0.001,
    ("kg", "lb"): 2.2046226218,
    ("km", "mi"): 0.6213711922,
    ("min", "h"): 1 / 60,
}
UNIT_ALIASES = {
    "milliliter": "ml", "millilitre": "ml", "mL": "ml", "liter": "l", "litre": "l", "L": "l",
    "kilogram": "kg", "kgs": "kg", "lbs": "lb", "pound": "lb", "pounds": "lb",
    "kilometer": "km", "kilometre": "km", "mile": "mi", "miles": "mi",
    "minute": "min", "minutes": "min", "mins": "min", "hour": "h", "hours": "h", "hr": "h",
}  # fmt: skip


def _unit(unit: str | None) -> str | None:
    return UNIT_ALIASES.get(unit or "", unit or None)


def unit_factor(old: str | None, new: str | None) -> float | None:
    """How to convert a value from `old` to `new` unit; 1.0 when equal, None when unknown."""
    old, new = _unit(old), _unit(new)
    if old == new:
        return 1.0
    if old is None or new is None:
        return None
    if (old, new) in CONVERSIONS:
        return CONVERSIONS[(old, new)]
    if (new, old) in CONVERSIONS:
        return 1 / CONVERSIONS[(new, old)]
    return None


@dataclass
class Plan:
    """What happens to each old field: key → ("keep", new_key, factor) or ("archive", reason)."""

    moves: dict[str, tuple[str, float]] = field(default_factory=dict)
    archived: dict[str, str] = field(default_factory=dict)
    restorable: dict[str, dict] = field(default_factory=dict)  # new key → new field

    def describe(self) -> list[dict]:
        out = [
            {"field": old, "to": new, "factor": factor}
            for old, (new, factor) in self.moves.items()
            if old != new or factor != 1.0
        ]
        out += [{"field": old, "archived": reason} for old, reason in self.archived.items()]
        return out


def _numeric(field_: dict) -> bool:
    return field_["type"] in {"number", "integer", "duration"}


def migration_plan(old_spec: dict, new_spec: dict) -> Plan:
    old_fields = {item["key"]: item for item in old_spec["fields"]}
    new_fields = {item["key"]: item for item in new_spec["fields"]}
    plan = Plan()
    claimed: set[str] = set()
    for key, old in old_fields.items():
        new = new_fields.get(key)
        if new is None:
            twin = next(
                (
                    candidate
                    for candidate_key, candidate in new_fields.items()
                    if candidate_key not in old_fields
                    and candidate_key not in claimed
                    and candidate["type"] == old["type"]
                    and candidate["label"].strip().lower() == old["label"].strip().lower()
                ),
                None,
            )
            if twin is None:
                plan.archived[key] = "removed"
                continue
            new = twin
        if new["type"] != old["type"]:
            plan.archived[key] = "type changed"
            continue
        factor = unit_factor(old.get("unit"), new.get("unit")) if _numeric(old) else 1.0
        if factor is None:
            plan.archived[key] = f"unit {old.get('unit')} → {new.get('unit')}"
            continue
        plan.moves[key] = (new["key"], factor)
        claimed.add(new["key"])
    plan.restorable = {k: v for k, v in new_fields.items() if k not in claimed}
    return plan


def _convert(value: Any, factor: float, new_field: dict) -> Any:
    if factor == 1.0 or not isinstance(value, int | float) or isinstance(value, bool):
        return value
    converted = value * factor
    if new_field["type"] == "integer":
        return round(converted)
    return round(converted, 6)


def values_migrate(values: dict, old_spec: dict, new_spec: dict, plan: Plan | None = None) -> dict:
    """One entry's values moved from `old_spec` to `new_spec`; nothing dropped."""
    plan = plan or migration_plan(old_spec, new_spec)
    old_fields = {item["key"]: item for item in old_spec["fields"]}
    new_fields = {item["key"]: item for item in new_spec["fields"]}
    archive = dict(values.get(ARCHIVE) or {})
    out: dict = {}
    for key, value in values.items():
        if key == ARCHIVE:
            continue
        if key in plan.moves:
            new_key, factor = plan.moves[key]
            out[new_key] = _convert(value, factor, new_fields[new_key])
        else:
            unit = old_fields.get(key, {}).get("unit")
            archive[key] = {"value": value, "unit": unit} if unit else {"value": value}
    for key, new_field in plan.restorable.items():
        kept = archive.get(key)
        if key in out or not isinstance(kept, dict) or "value" not in kept:
            continue
        restore_factor = (
            unit_factor(kept.get("unit"), new_field.get("unit")) if _numeric(new_field) else 1.0
        )
        if restore_factor is None:
            continue
        out[key] = _convert(kept["value"], restore_factor, new_field)
        del archive[key]
    if archive:
        out[ARCHIVE] = archive
    return out
