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
from subagents.builder.grammar import parse
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


def _generic(spec: dict, topic: str) -> dict:
    """The generic tracker named after what the request tracks ("chess games")."""
    spec = copy.deepcopy(spec)
    title = topic[:1].upper() + topic[1:]
    spec["name"] = f"{title} log"[:80]
    spec["description"] = f"Log {topic} and see how it adds up over time."[:500]
    spec["fields"][0]["label"] = title[:60]
    spec["translations"] = {}
    return spec


def build_offline(*, request: str, language: str, personal: Personalisation | None) -> BuildResult:
    parsed = parse(request)
    units = {q.unit for q in parsed.quantities if q.unit} | set(parsed.unit_preferences)
    match: Match = blueprint_match(text=request, units=units)
    spec = copy.deepcopy(match.blueprint.spec)
    if match.topic:
        spec = _generic(spec, match.topic)
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
