"""From one or two sentences to a valid spec.

Offline (the default): refuse what is not a lifestyle tool, match the closest catalogue
blueprint, adapt it (units, goals, reminders, choices, named fields, language) and shape it with
what the person's memories say (allergies, injuries, diet, household). With an LLM provider:
generate the spec as JSON against the schema, validate, repair with the validation errors
(bounded), and fall back to the offline build when the model cannot give a valid spec.
"""

import copy
import json
import logging
import re
from dataclasses import dataclass, field

from django.conf import settings

from macaron.llm import LLMError, get_provider
from subagents.builder import adapt
from subagents.builder.diff import spec_diff
from subagents.builder.grammar import UNITS, Parsed, parse
from subagents.builder.matching import (
    Match,
    blueprint_match,
    refuse_if_not_a_tool,
    request_language,
)
from subagents.builder.personal import Personalisation, personalisation_for, personalise
from subagents.spec import SpecError, spec_schema, spec_validate

logger = logging.getLogger(__name__)

LLM_ATTEMPTS = 2


@dataclass
class BuildResult:
    spec: dict
    source: str  # "catalogue:<slug>" or "llm"
    language: str
    personalised: list[str] = field(default_factory=list)  # what the memories changed
    memory_ids: list[int] = field(default_factory=list)  # the memories that were used
    changes: list[dict] = field(default_factory=list)  # spec_diff from the blueprint / old spec


GENERIC_NAMES = {
    "en": ("{title} log", "Log {topic} and see how it adds up over time."),
    "ja": ("{title}の記録", "{topic}を記録して、積み重ねを確かめましょう。"),
    "ko": ("{title} 기록", "{topic}을(를) 기록하고 쌓여 가는 것을 확인해요."),
}
ABSTAIN_NAMES = {
    "en": ("Days without {topic}", "Check off each day without {topic} and keep the streak going."),
    "ja": ("{topic}なしの日", "{topic}なしで過ごせた日をチェックして、連続記録を伸ばしましょう。"),
    "ko": ("{topic} 없는 날", "{topic} 없이 지낸 날을 체크하고 연속 기록을 이어가요."),
}
COUNT_LABELS = {"words", "pages", "steps", "books", "cards", "films"}


def _generic(spec: dict, topic: str, parsed: Parsed, abstain: bool = False) -> dict:
    """The generic tracker made about what the request tracks ("thesis", "chess games"): named
    after it in every language, its amount in the unit the request measures it in (words,
    grams, minutes), or a yes/no day for "days without sugar"."""
    spec = copy.deepcopy(spec)
    title = topic[:1].upper() + topic[1:]
    names = ABSTAIN_NAMES if abstain else GENERIC_NAMES
    translations = spec.get("translations", {})
    for language, (name, description) in names.items():
        values = {
            "name": name.format(title=title, topic=topic)[:80],
            "description": description.format(title=title, topic=topic)[:500],
        }
        if language == spec.get("language", "en"):
            spec.update(values)
        elif language in translations:
            translations[language].update(values)
    amount = spec["fields"][0]
    if abstain:
        amount.clear()
        amount.update({"key": "amount", "label": f"No {topic} today"[:60], "type": "boolean"})
        amount["default"] = True
        spec["goals"] = [
            {
                "field": "amount",
                "aggregate": "count",
                "period": "week",
                "target": 7,
                "direction": "at_least",
                "unit": "days",
            }
        ]
        spec["views"] = [{"type": "streak"}, {"type": "calendar"}, {"type": "log"}]
        for translation in translations.values():
            translation.get("labels", {}).pop("amount", None)
        return spec
    amount["label"] = title[:60]
    scale = re.search(r"\b1\s*(?:-|to|–)\s*(5|10)\b|\brating\b|\brate\b", parsed.text)
    if scale:
        amount.update({"type": "rating", "min": 1, "max": int(scale.group(1) or 5)})
        amount.pop("default", None)
        spec["goals"] = []
        spec["views"] = [{"type": "line", "field": "amount", "period": "week"}, {"type": "log"}]
        return spec
    unit = next(
        (q.unit for q in parsed.quantities if q.unit in UNITS and q.unit not in {"times", "piece"}),
        None,
    )
    if unit in {"min", "h"}:
        amount.update({"type": "duration", "unit": "min"})
        amount.pop("max", None)
        amount.pop("default", None)
        amount["label"] = "Minutes"
        amount["key"] = "minutes"
        for goal in spec["goals"]:
            goal["field"] = "minutes"
            goal["unit"] = "min"
        for view in spec["views"]:
            if view.get("field") == "amount":
                view["field"] = "minutes"
        for translation in translations.values():
            translation.get("labels", {}).pop("amount", None)
    elif unit is not None:
        amount["unit"] = unit
        amount["type"] = "integer" if UNITS[unit].whole else "number"
        if unit in COUNT_LABELS:
            amount["label"] = unit.capitalize()
    return spec


def build_offline(*, request: str, language: str, personal: Personalisation | None) -> BuildResult:
    parsed = parse(request)
    units = {q.unit for q in parsed.quantities if q.unit} | set(parsed.unit_preferences)
    match: Match = blueprint_match(text=request, units=units)
    spec = copy.deepcopy(match.blueprint.spec)
    if match.topic:
        spec = _generic(spec, match.topic, parsed, match.abstain)
    if match.habit:
        habit = next(f for f in spec["fields"] if f["key"] == "habit")
        habit["default"] = match.habit[:200]
    spec = adapt.apply_named_fields(spec, parsed)
    spec = adapt.apply_unit_preferences(spec, parsed)
    spec = adapt.apply_goals(spec, parsed)
    spec = adapt.apply_choices(spec, parsed)
    spec = adapt.apply_schedule(spec, parsed)
    spec = adapt.localise(spec, language)
    notes: list[str] = []
    if personal is not None:
        spec, notes = personalise(spec, personal, language)
    spec = spec_validate(spec)
    source = "catalogue:custom-tracker" if match.topic else match.source
    return BuildResult(
        spec=spec,
        source=source,
        changes=spec_diff(match.blueprint.spec, spec),
        language=language,
        personalised=notes,
        memory_ids=personal.memory_ids if personal and notes else [],
    )


BUILD_INSTRUCTIONS = (
    "You are the coding agent of a personal-agent app. Turn the person's request into one "
    "sub-agent spec: a small declarative lifestyle tool (tracker, log, planner, reminders). "
    "Answer with one JSON object valid against the JSON schema given. Use spec_version 1; keys are "
    "snake_case; labels, name, description, persona and reminder messages in the language "
    '{language}; set "language" to "{language}". Put the numbers, units, periods, reminder '
    "times and options the request names into fields, goals and reminders. Add one chart view "
    "people expect and memory hooks (memory.reads domains; memory.writes with when and a "
    "template using {{field_key}} placeholders). Never include code or expressions."
)


def llm_spec(*, messages: list[dict], schema: dict) -> dict:
    """A spec from the model, repaired with spec_validate's problems at most LLM_ATTEMPTS times.
    LLMError when it never validates."""
    provider = get_provider()
    conversation = list(messages)
    for attempt in range(1, LLM_ATTEMPTS + 1):
        answer = provider.complete_json(conversation, schema=schema)
        try:
            return spec_validate(answer)
        except SpecError as error:
            logger.warning("llm spec invalid (attempt %d of %d)", attempt, LLM_ATTEMPTS)
            conversation = [
                *conversation,
                {"role": "assistant", "content": json.dumps(answer, ensure_ascii=False)},
                {
                    "role": "user",
                    "content": "That spec is not valid:\n"
                    + "\n".join(f"- {p}" for p in error.fields.get("spec", [])[:10])
                    + "\nReply again with only the corrected JSON object.",
                },
            ]
    raise LLMError(reason="invalid_output")


def build_with_llm(*, request: str, language: str, personal: Personalisation | None) -> BuildResult:
    context = ""
    if personal is not None and personal.facts:
        context = "\nWhat the person's memories say (respect it): " + "; ".join(personal.facts)
    messages = [
        {"role": "system", "content": BUILD_INSTRUCTIONS.format(language=language) + context},
        {"role": "user", "content": request},
    ]
    spec = llm_spec(messages=messages, schema=spec_schema())
    notes: list[str] = []
    if personal is not None:
        spec, notes = personalise(spec, personal, language)
        spec = spec_validate(spec)
    return BuildResult(
        spec=spec,
        source="llm",
        language=spec.get("language", language),
        personalised=notes,
        memory_ids=personal.memory_ids if personal and notes else [],
    )


def spec_build(*, request: str, language: str | None = None, user=None) -> BuildResult:
    """A valid spec for the request; BuildRefused (400) when it is not a lifestyle tool."""
    request = request if isinstance(request, str) else ""
    request = re.sub(r"\s+", " ", request).strip()
    refuse_if_not_a_tool(request)
    language = request_language(request, language)
    personal = personalisation_for(user=user, request=request) if user is not None else None
    if settings.LLM_BASE_URL:
        try:
            return build_with_llm(request=request, language=language, personal=personal)
        except LLMError as error:
            logger.warning("builder fell back to the catalogue: %s", error.reason)
    return build_offline(request=request, language=language, personal=personal)
