"""Validate a sub-agent spec: size, nesting, the JSON Schema, then cross-references
(unique keys, goals and views that name real fields, templates that name real fields)."""

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

from macaron.errors import DomainError

SPEC_VERSION = 1
SPEC_MAX_BYTES = 64 * 1024
MAX_DEPTH = 8
FIELD_TYPES = (
    "number",
    "integer",
    "text",
    "choice",
    "multichoice",
    "date",
    "time",
    "datetime",
    "duration",
    "rating",
    "boolean",
    "photo",
)
# Types whose values can be summed, averaged or compared (a duration is a number of minutes,
# a rating 1–5).
NUMERIC_TYPES = frozenset({"number", "integer", "duration", "rating"})
CHART_VIEWS = frozenset({"line", "bar", "pie", "total", "progress"})
PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
KEY = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


@dataclass(frozen=True)
class SpecProblem:
    path: str  # a JSON path such as "$.fields[2].type"
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


class SpecError(DomainError):
    """A spec was refused; `problems` says where and why, first problem in the message."""

    code = "invalid_spec"

    def __init__(self, problems: list[SpecProblem]):
        self.problems = problems
        first = problems[0] if problems else SpecProblem("$", "invalid spec")
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        super().__init__(
            f"Invalid sub-agent spec at {first.path}: {first.reason}{more}",
            fields={"spec": [str(problem) for problem in problems[:20]]},
        )


@cache
def spec_schema() -> dict:
    return json.loads((Path(__file__).parent / "schema.json").read_text(encoding="utf-8"))


@cache
def _validator() -> Draft202012Validator:
    return Draft202012Validator(spec_schema())


def _json_path(parts) -> str:
    path = "$"
    for part in parts:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path


def _depth(value: Any, level: int = 0) -> int:
    if level > MAX_DEPTH:
        return level
    if isinstance(value, dict):
        return max((_depth(item, level + 1) for item in value.values()), default=level + 1)
    if isinstance(value, list):
        return max((_depth(item, level + 1) for item in value), default=level + 1)
    return level


def _schema_problems(spec: Any) -> list[SpecProblem]:
    errors = sorted(_validator().iter_errors(spec), key=lambda error: list(error.absolute_path))
    return [SpecProblem(_json_path(error.absolute_path), error.message[:300]) for error in errors]


def _field_problems(fields: list[dict]) -> list[SpecProblem]:
    problems: list[SpecProblem] = []
    seen: set[str] = set()
    for index, field in enumerate(fields):
        path = f"$.fields[{index}]"
        if field["key"] in seen:
            problems.append(SpecProblem(f"{path}.key", f"duplicate field key {field['key']!r}"))
        seen.add(field["key"])
        kind = field["type"]
        if kind in {"choice", "multichoice"} and not field.get("choices"):
            problems.append(SpecProblem(f"{path}.choices", f"a {kind} field needs choices"))
        if kind not in {"choice", "multichoice"} and "choices" in field:
            problems.append(SpecProblem(f"{path}.choices", f"a {kind} field has no choices"))
        low, high = field.get("min"), field.get("max")
        if (low is not None or high is not None) and kind not in NUMERIC_TYPES:
            problems.append(SpecProblem(f"{path}.min", f"a {kind} field has no min or max"))
        if low is not None and high is not None and low > high:
            problems.append(SpecProblem(f"{path}.min", "min is greater than max"))
        if "default" in field:
            problems += _default_problems(field, f"{path}.default")
    return problems


def _default_problems(field: dict, path: str) -> list[SpecProblem]:
    value, kind = field["default"], field["type"]
    if kind in NUMERIC_TYPES:
        if isinstance(value, bool) or not isinstance(value, int | float):
            return [SpecProblem(path, f"the default of a {kind} field must be a number")]
        low, high = field.get("min"), field.get("max")
        if (low is not None and value < low) or (high is not None and value > high):
            return [SpecProblem(path, "the default is outside min..max")]
    elif kind == "boolean" and not isinstance(value, bool):
        return [SpecProblem(path, "the default of a boolean field must be true or false")]
    elif kind == "choice" and value not in field.get("choices", []):
        return [SpecProblem(path, "the default is not one of the choices")]
    elif kind == "multichoice" and (
        not isinstance(value, list) or not set(value) <= set(field.get("choices", []))
    ):
        return [SpecProblem(path, "the default must be a list of the choices")]
    elif kind in {"text", "date", "time", "datetime", "photo"} and not isinstance(value, str):
        return [SpecProblem(path, f"the default of a {kind} field must be text")]
    return []


def _reference_problems(spec: dict) -> list[SpecProblem]:
    fields = {field["key"]: field for field in spec["fields"]}
    problems: list[SpecProblem] = []
    for index, goal in enumerate(spec["goals"]):
        path = f"$.goals[{index}]"
        field = fields.get(goal["field"])
        if field is None:
            problems.append(SpecProblem(f"{path}.field", f"no field {goal['field']!r}"))
        elif goal["aggregate"] != "count" and field["type"] not in NUMERIC_TYPES:
            problems.append(
                SpecProblem(f"{path}.aggregate", f"{goal['aggregate']} needs a numeric field")
            )
    for index, view in enumerate(spec["views"]):
        path = f"$.views[{index}]"
        if "field" in view and view["field"] not in fields:
            problems.append(SpecProblem(f"{path}.field", f"no field {view['field']!r}"))
    for index, reminder in enumerate(spec["reminders"]):
        schedule, path = reminder["schedule"], f"$.reminders[{index}].schedule"
        if schedule["kind"] == "weekly" and not schedule.get("weekdays"):
            problems.append(SpecProblem(f"{path}.weekdays", "a weekly reminder needs weekdays"))
        if schedule["kind"] == "interval" and not schedule.get("every_days"):
            problems.append(SpecProblem(f"{path}.every_days", "an interval needs every_days"))
    for index, write in enumerate(spec["memory"]["writes"]):
        path = f"$.memory.writes[{index}]"
        for name in PLACEHOLDER.findall(write["template"]):
            if name not in fields:
                problems.append(SpecProblem(f"{path}.template", f"no field {{{name}}}"))
        match = write.get("match")
        if match and match["field"] not in fields:
            problems.append(SpecProblem(f"{path}.match.field", f"no field {match['field']!r}"))
    return problems


def spec_validate(spec: Any) -> dict:
    """Return the spec when it is valid; raise SpecError naming each problem's JSON path."""
    if isinstance(spec, str | bytes):
        if len(spec) > SPEC_MAX_BYTES:
            raise SpecError([SpecProblem("$", f"larger than {SPEC_MAX_BYTES} bytes")])
        try:
            spec = json.loads(spec)
        except ValueError as error:
            raise SpecError([SpecProblem("$", f"not JSON ({error})")]) from None
        except RecursionError:
            raise SpecError([SpecProblem("$", f"nested deeper than {MAX_DEPTH} levels")]) from None
    if _depth(spec) > MAX_DEPTH:
        raise SpecError([SpecProblem("$", f"nested deeper than {MAX_DEPTH} levels")])
    size = len(json.dumps(spec, ensure_ascii=False).encode("utf-8"))
    if size > SPEC_MAX_BYTES:
        raise SpecError([SpecProblem("$", f"larger than {SPEC_MAX_BYTES} bytes ({size})")])
    problems = _schema_problems(spec)
    if problems:
        raise SpecError(problems)
    problems = _field_problems(spec["fields"])
    problems += _reference_problems(spec)
    if problems:
        raise SpecError(problems)
    return spec
