"""Change a spec from words: "use ml", "add a reminder at 8pm", "make it vegetarian",
"rename it to Water", "rename the note field to Comment", "goal 10 glasses", "remove the note
field", "add a mood field", "make it green", "in Japanese". Offline rules, or the LLM when one is
configured (validated and repaired like a build, falling back to the rules)."""

import copy
import json
import logging
import re

from django.conf import settings

from macaron.errors import DomainError
from macaron.llm import LLMError
from subagents.builder import adapt
from subagents.builder.build import BuildResult, llm_spec
from subagents.builder.diff import spec_diff
from subagents.builder.grammar import UNITS, parse, parse_schedule
from subagents.builder.matching import request_language
from subagents.builder.personal import Fact, Personalisation, personalise
from subagents.spec import spec_schema, spec_validate

logger = logging.getLogger(__name__)

MAX_INSTRUCTION_CHARS = 500
COLOURS = {
    "red": "#ef4444",
    "orange": "#f97316",
    "yellow": "#eab308",
    "green": "#22c55e",
    "teal": "#14b8a6",
    "blue": "#3b82f6",
    "indigo": "#6366f1",
    "purple": "#a855f7",
    "pink": "#ec4899",
    "brown": "#92400e",
    "grey": "#6b7280",
    "gray": "#6b7280",
    "black": "#111827",
    "赤": "#ef4444",
    "青": "#3b82f6",
    "緑": "#22c55e",
    "빨간": "#ef4444",
    "파란": "#3b82f6",
    "초록": "#22c55e",
}
LANGUAGES = {
    "japanese": "ja",
    "日本語": "ja",
    "일본어": "ja",
    "english": "en",
    "英語": "en",
    "영어": "en",
    "korean": "ko",
    "韓国語": "ko",
    "한국어": "ko",
}
DIET_WORDS = {
    "vegetarian": "vegetarian",
    "vegan": "vegan",
    "gluten-free": "gluten-free",
    "gluten free": "gluten-free",
    "pescatarian": "pescatarian",
    "ベジタリアン": "vegetarian",
    "菜食": "vegetarian",
    "ヴィーガン": "vegan",
    "채식": "vegetarian",
    "비건": "vegan",
}


class RevisionUnclear(DomainError):
    code = "revision_unclear"


def _find_field(spec: dict, words: str) -> dict | None:
    words = words.strip(" \"'“”").lower()
    words = re.sub(r"^(?:the|my|a|an)\s+", "", words)
    words = re.sub(r"\s+(?:field|column|input)$", "", words)
    for field in spec["fields"]:
        if words in {field["key"], field["label"].lower(), field["key"].replace("_", " ")}:
            return field
    for field in spec["fields"]:
        if len(words) >= 3 and (words in field["label"].lower() or words in field["key"]):
            return field
    return None


def _remove_field(spec: dict, field: dict) -> None:
    if len(spec["fields"]) == 1:
        raise RevisionUnclear(
            "A tool needs at least one field; add another before removing this one.",
            fields={"instruction": ["Cannot remove the last field."]},
        )
    key = field["key"]
    spec["fields"] = [f for f in spec["fields"] if f["key"] != key]
    spec["goals"] = [g for g in spec["goals"] if g["field"] != key]
    spec["views"] = [v for v in spec["views"] if v.get("field") != key]
    spec["memory"]["writes"] = [
        w
        for w in spec["memory"]["writes"]
        if "{" + key + "}" not in w["template"] and (w.get("match") or {}).get("field") != key
    ]
    for translation in spec.get("translations", {}).values():
        translation.get("labels", {}).pop(key, None)
        translation.get("choices", {}).pop(key, None)


def _new_key(spec: dict, words: list[str]) -> str:
    key = "_".join(re.sub(r"[^a-z0-9]", "", w) for w in words[:3]).strip("_")[:40] or "field"
    if not re.match(r"^[a-z]", key):
        key = f"field_{key}"[:40]
    existing = {f["key"] for f in spec["fields"]}
    base, n = key, 2
    while key in existing:
        key, n = f"{base[:36]}_{n}", n + 1
    return key


def revise_offline(spec: dict, instruction: str) -> tuple[dict, list[str]]:
    """The spec changed by every rule the instruction triggers, and the rules' names."""
    text = instruction.strip()
    lowered = text.lower()
    parsed = parse(text)
    spec = copy.deepcopy(spec)
    applied: list[str] = []

    match = re.search(
        r"rename (?:the )?(.+?) (?:field |column )?to [\"“']?(.+?)[\"”']?\.?$", text, re.I
    )
    field = _find_field(spec, match.group(1)) if match else None
    if match and field is not None:
        field["label"] = match.group(2).strip()[:60]
        applied.append("rename_field")
    else:
        match = re.search(
            r"(?:rename (?:it|this|the tool)?\s*(?:to)?|call it|name it)\s*[\"“']?(.+?)[\"”']?\.?$"
            r"|名前を[「\"]?(.+?)[」\"]?に|이름을\s*[\"']?(.+?)[\"']?\s*(?:으로|로)",
            text,
            re.I,
        )
        if match:
            spec["name"] = next(g for g in match.groups() if g).strip()[:80]
            applied.append("rename")

    match = re.search(
        r"(?:remove|delete|drop|get rid of|no)\s+(?:the\s+)?(.+?)\s*(?:field|column)?\.?$", lowered
    )
    if match and not re.search(r"reminder|通知|알림", lowered):
        field = _find_field(spec, match.group(1))
        if field is not None:
            _remove_field(spec, field)
            applied.append("remove_field")

    match = re.search(
        r"add (?:a |an )?(?:field (?:for )?|place for )?(.+?) field\b|add a field for (.+)$",
        lowered,
    )
    if match and not re.search(r"reminder", lowered):
        phrase = next(g for g in match.groups() if g).strip(" .")
        words = [w for w in re.findall(r"[a-z]+", phrase) if w not in {"a", "an", "the", "my"}]
        if words and _find_field(spec, phrase) is None and len(spec["fields"]) < 20:
            kind = next((k for cue, k in adapt.TYPE_CUES if cue.search(phrase)), "text")
            new: dict = {
                "key": _new_key(spec, words),
                "label": phrase[:1].upper() + phrase[1:60],
                "type": kind,
            }
            unit = next((u for u in parsed.unit_preferences if u in UNITS), None)
            if unit:
                new.update({"type": "number", "unit": unit, "min": 0})
            if kind == "rating":
                new.update({"min": 1, "max": 5})
            spec["fields"].append(new)
            applied.append("add_field")

    if re.search(
        r"(?:no|remove|delete|stop|turn off|without) (?:all |the |any )?reminders?"
        r"|リマインド.*(?:削除|消|いらない|なし)|알림.*(?:삭제|없애|끄)",
        lowered,
    ):
        spec["reminders"] = []
        for translation in spec.get("translations", {}).values():
            translation.pop("reminders", None)
        applied.append("remove_reminders")
    elif re.search(r"remind|reminder|通知|リマインド|알림|알려", lowered):
        schedule, _ = parse_schedule(parsed.text)
        if schedule is not None and (schedule.times or schedule.weekdays or schedule.every_days):
            default = spec["reminders"][0]["schedule"]["times"][0] if spec["reminders"] else "09:00"
            message = (
                spec["reminders"][0]["message"]
                if spec["reminders"]
                else (
                    adapt.GENERIC_REMINDER.get(
                        spec["language"], adapt.GENERIC_REMINDER["en"]
                    ).format(name=spec["name"])
                )
            )
            reminder = {"schedule": schedule.as_spec(default), "message": message}
            if re.search(r"\b(?:change|move|set|only)\b|変更|바꿔", lowered) and spec["reminders"]:
                spec["reminders"][0] = reminder
            elif len(spec["reminders"]) < 10:
                spec["reminders"].append(reminder)
            for translation in spec.get("translations", {}).values():
                translation.pop("reminders", None)
            applied.append("reminder")

    if parsed.quantities and (
        re.search(
            r"goal|target|limit|aim|at least|at most|under|目標|목표|以下|以上|이하|이상", lowered
        )
        or re.match(r"^\s*\d", parsed.text)
    ):
        before = spec["goals"]
        spec = adapt.apply_unit_preferences(spec, parsed)
        spec = adapt.apply_goals(spec, parsed)
        if spec["goals"] != before:
            applied.append("goal")

    units = [u for u in parsed.unit_preferences if u in UNITS]
    if units and re.search(
        r"\b(?:use|in|switch|change|measure|using|units?)\b|に(?:して|変更)|로", lowered
    ):
        before = copy.deepcopy(spec["fields"])
        spec = adapt.apply_unit_preferences(spec, parsed)
        if spec["fields"] != before:
            applied.append("unit")

    diet = next((d for w, d in DIET_WORDS.items() if w in lowered), None)
    if diet:
        facts = Personalisation([Fact("diet", diet, [], 0)])
        spec, notes = personalise(spec, facts, spec["language"])
        if notes:
            applied.append("diet")
        elif diet not in spec["persona"]:
            spec["persona"] = f"{spec['persona']} Keep everything {diet}.".strip()[:1000]
            applied.append("diet")

    match = re.search(
        r"(?:colou?r|make it|paint it)\s*(?:to\s+)?(\w+)|(赤|青|緑)|(빨간|파란|초록)", lowered
    )
    if match:
        name = next(g for g in match.groups() if g)
        if name in COLOURS:
            spec["color"] = COLOURS[name]
            applied.append("color")
        elif re.fullmatch(r"#[0-9a-f]{6}", name):
            spec["color"] = name

    language = next((code for word, code in LANGUAGES.items() if word in lowered), None)
    if (
        language
        and re.search(r"\bin\b|\bto\b|translate|に|로|으로", lowered)
        and language != spec["language"]
    ):
        localised = adapt.localise(spec, language)
        if localised is not spec:
            spec = localised
            applied.append("language")
    return spec, applied


REVISE_INSTRUCTIONS = (
    "You revise a sub-agent spec (a declarative lifestyle tool). Apply the person's change "
    "request to the spec below and answer with the whole revised spec as one JSON object valid "
    "against the JSON schema. Change only what the request asks; keep keys stable."
)


def spec_revise(
    *, spec: dict, instruction: str, language: str | None = None, user=None
) -> BuildResult:
    """The spec changed as the instruction asks, validated, with its diff. SpecError for an
    invalid input spec; RevisionUnclear when no change could be read from the words."""
    old = spec_validate(copy.deepcopy(spec))
    instruction = re.sub(r"\s+", " ", instruction if isinstance(instruction, str) else "").strip()
    if not instruction:
        raise RevisionUnclear(
            "Say what to change, e.g. “use ml” or “add a reminder at 8pm”.",
            fields={"instruction": ["Write the change."]},
        )
    if len(instruction) > MAX_INSTRUCTION_CHARS:
        raise RevisionUnclear(
            f"Keep the change under {MAX_INSTRUCTION_CHARS} characters.",
            fields={"instruction": ["Too long."]},
        )
    language = request_language(instruction, language or old.get("language"))
    if settings.LLM_BASE_URL:
        messages = [
            {"role": "system", "content": REVISE_INSTRUCTIONS},
            {
                "role": "user",
                "content": json.dumps(old, ensure_ascii=False) + "\n\nChange: " + instruction,
            },
        ]
        try:
            new = llm_spec(messages=messages, schema=spec_schema())
            return BuildResult(
                spec=new, source="llm", language=new["language"], changes=spec_diff(old, new)
            )
        except LLMError as error:
            logger.warning("revision fell back to the rules: %s", error.reason)
    new, applied = revise_offline(old, instruction)
    if not applied:
        raise RevisionUnclear(
            "I couldn't read a change from that. Try “use ml”, “add a reminder at 8pm”, "
            "“goal 10 glasses”, “rename it to …” or “remove the note field”.",
            fields={"instruction": ["No change recognised."]},
        )
    new = spec_validate(new)
    return BuildResult(
        spec=new, source="rules", language=new["language"], changes=spec_diff(old, new)
    )
