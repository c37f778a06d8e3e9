"""Adapt a blueprint to a request: units, goals, reminders, choices, the fields it names, and
the request's language. Each step takes a spec and returns a changed copy; none invents code."""

import copy
import re

from subagents.builder.grammar import MONEY_MAX_FACTOR, UNITS, Parsed, Quantity

MAX_FIELDS = 20
TIME_UNITS = {"min", "h"}
LEVEL_UNITS = {"kg", "lb", "mmHg", "mg/dL", "mmol/L", "bpm", "°C", "%"}
GOAL_WORDS = re.compile(r"goal|target|aim|want|at least|at most|under|目標|目指|したい|목표|싶")
_STOPWORDS = (
    "a an the my our your his her their of for to in on at with and or which what how i i'm im "
    "did do does is was were it its this that each every per some any time's"
)
STOPWORDS = frozenset(_STOPWORDS.split())
FIELD_SYNONYMS = {
    "time": {"time", "duration", "minutes", "min", "long"},
    "minutes": {"minutes", "time", "duration", "min"},
    "felt": {"feel", "feeling", "mood", "felt", "effort", "rpe"},
    "bad": {"intensity", "severity", "pain"},
    "severity": {"intensity", "severity", "pain"},
    "long": {"duration", "minutes", "time"},
    "feel": {"feel", "feeling", "mood", "felt"},
    "feeling": {"feel", "feeling", "mood"},
    "result": {"result", "score", "outcome"},
    "note": {"note", "notes", "comment", "entry", "review"},
    "notes": {"note", "notes", "comment", "review"},
    "rating": {"rating", "rate", "stars", "score", "quality", "taste"},
    "amount": {"amount", "volume", "quantity"},
    "date": {"date", "day", "when"},
    "weight": {"weight"},
    "label": {"label", "photo"},
}
TYPE_CUES = [
    (re.compile(r"photo|picture|pic\b|image|写真|사진"), "photo"),
    (re.compile(r"rating|stars|out of|rate\b|score|評価|평점"), "rating"),
    (re.compile(r"duration|how long|minutes|hours|time spent|時間|시간"), "duration"),
    (re.compile(r"\btime\b|\bat what time\b"), "time"),
    (re.compile(r"\bdate\b|\bwhen\b|日付|날짜"), "date"),
    (re.compile(r"whether|did i|yes/no|done\b"), "boolean"),
]


# -- units and goals ----------------------------------------------------------------------------


def _round(value: float) -> float | int:
    value = round(value, 2)
    return int(value) if float(value).is_integer() else value


def _convert(value: float, old: str, new: str) -> float:
    a, b = UNITS[old], UNITS[new]
    if a.dimension == "money" or not a.factor or not b.factor:
        return value * MONEY_MAX_FACTOR.get(new, 1) / MONEY_MAX_FACTOR.get(old, 1)
    return value * a.factor / b.factor


def _switch_field_unit(spec: dict, field: dict, new: str) -> None:
    """Log the field in another unit of its dimension: bounds, default and goals follow."""
    old = field.get("unit")
    if old == new or old not in UNITS or new not in UNITS:
        return
    whole = UNITS[new].whole
    for bound in ("min", "max", "default"):
        if isinstance(field.get(bound), int | float) and not isinstance(field.get(bound), bool):
            value = _convert(field[bound], old, new)
            if bound == "min":
                value = 0 if value < 1 and whole else value
            field[bound] = round(value) if whole else _round(value)
    if field.get("type") in {"number", "integer"}:
        field["type"] = "integer" if whole else "number"
        if field["type"] == "integer":
            for bound in ("min", "max", "default"):
                if isinstance(field.get(bound), float):
                    field[bound] = round(field[bound])
    if "min" in field and "max" in field and field["min"] > field["max"]:
        field["min"] = 0
    if "default" in field and field["type"] in {"number", "integer"}:
        low, high = field.get("min"), field.get("max")
        if (low is not None and field["default"] < low) or (
            high is not None and field["default"] > high
        ):
            del field["default"]
    field["unit"] = new
    for goal in spec["goals"]:
        if goal["field"] == field["key"] and goal["aggregate"] != "count":
            goal["target"] = _round(_convert(goal["target"], old, new)) or goal["target"]
            goal["unit"] = new


def _dimension(unit: str | None) -> str | None:
    return UNITS[unit].dimension if unit in UNITS else None


def _fields_in_dimension(spec: dict, dimension: str) -> list[dict]:
    return [f for f in spec["fields"] if _dimension(f.get("unit")) == dimension]


def apply_unit_preferences(spec: dict, parsed: Parsed) -> dict:
    spec = copy.deepcopy(spec)
    wanted = [resolve_unit(spec, u) for u in parsed.unit_preferences]
    wanted += [resolve_unit(spec, q.unit) for q in parsed.quantities if q.unit in UNITS]
    seen: set[str] = set()
    for unit in wanted:
        if unit is None or unit == "serving":
            continue
        dimension = _dimension(unit)
        if (
            dimension in seen
            or dimension in {None, "time"}
            or (not UNITS[unit].factor and dimension != "money")
        ):
            continue
        seen.add(dimension)
        same = _fields_in_dimension(spec, dimension)
        main = same[0].get("unit") if same else None
        for field in [f for f in same if f.get("unit") == main]:
            if (
                field.get("unit") in {"glass", "cup"}
                and unit in {"glass", "cup"}
                and unit != field["unit"]
            ) and not any(q.unit == unit for q in parsed.quantities):
                continue  # 杯/잔 reads as either
            _switch_field_unit(spec, field, unit)
    return spec


def _target_field(spec: dict, q: Quantity) -> tuple[dict | None, dict | None]:
    """The (goal, field) a quantity sets: a goal in its unit, a field in its unit, a field of its
    dimension; for a bare number or a count, the main goal."""
    fields = {f["key"]: f for f in spec["fields"]}
    if q.unit in UNITS:
        for goal in spec["goals"]:
            if goal.get("unit") == q.unit or (
                goal["aggregate"] != "count" and fields[goal["field"]].get("unit") == q.unit
            ):
                return goal, fields[goal["field"]]
        for field in spec["fields"]:
            if field.get("unit") == q.unit:
                return None, field
        dimension = _dimension(q.unit)
        if dimension == "time":
            for goal in spec["goals"]:
                if (
                    fields[goal["field"]]["type"] == "duration"
                    or _dimension(fields[goal["field"]].get("unit")) == "time"
                ):
                    return goal, fields[goal["field"]]
            for field in spec["fields"]:
                if field["type"] == "duration" or _dimension(field.get("unit")) == "time":
                    return None, field
        same = _fields_in_dimension(spec, dimension) if dimension else []
        if same:
            goal = next((g for g in spec["goals"] if g["field"] == same[0]["key"]), None)
            return goal, same[0]
        if q.unit not in {"times", "piece"}:
            return None, None
    if spec["goals"]:
        goal = spec["goals"][0]
        field = fields[goal["field"]]
        measured = field["type"] == "duration" or _dimension(field.get("unit")) in {"time", "money"}
        if q.unit is None and measured:
            # "push-ups, 100 a day": a plain count, not minutes or money.
            plain = next(
                (f for f in spec["fields"] if f["type"] == "integer" and not f.get("unit")), None
            )
            if plain is not None:
                return None, plain
        return goal, field
    return None, None


def _new_field_for(spec: dict, unit: str) -> dict:
    if unit in TIME_UNITS:
        field = {"key": "minutes", "label": "Minutes", "type": "duration", "unit": "min", "min": 0}
        if "minutes" not in {f["key"] for f in spec["fields"]} and len(spec["fields"]) < MAX_FIELDS:
            spec["fields"].insert(1, field)
        return field
    key = re.sub(r"[^a-z0-9_]", "_", unit.lower()).strip("_") or "amount"
    if not re.match(r"[a-z]", key):
        key = f"amount_{key}"
    existing = {f["key"] for f in spec["fields"]}
    while key in existing:
        key += "_2"
    field = {
        "key": key,
        "label": unit.capitalize(),
        "type": "integer" if UNITS[unit].whole else "number",
        "unit": unit,
        "min": 0,
    }
    if len(spec["fields"]) < MAX_FIELDS:
        spec["fields"].insert(0, field)
    return field


def resolve_unit(spec: dict, unit: str | None) -> str | None:
    """Units whose words are ambiguous, read against the tool: 杯/잔 are its glasses or cups,
    キロ/킬로/kilo in a tool that weighs and does not measure distance are kilograms."""
    if unit == "serving":
        return _serving_unit(spec)
    if unit == "piece":
        return None
    if (
        unit == "km"
        and not _fields_in_dimension(spec, "distance")
        and _fields_in_dimension(spec, "mass")
    ):
        return "kg"
    return unit


def _serving_unit(spec: dict) -> str:
    """杯/잔 count glasses or cups: whichever the tool logs."""
    return next((f["unit"] for f in spec["fields"] if f.get("unit") in {"glass", "cup"}), "glass")


def _count_goal(spec: dict, q: Quantity, parsed: Parsed) -> dict:
    """ "3 times a week", "twice a day": how many entries per period."""
    if spec["goals"]:
        old = spec["goals"][0]
        key, period, direction = old["field"], old["period"], old["direction"]
    else:
        first = next((f for f in spec["fields"] if f.get("required")), spec["fields"][0])
        key, period, direction = first["key"], "day", "at_least"
    return {
        "field": key,
        "aggregate": "count",
        "period": q.period or parsed.global_period or period,
        "target": _round(q.value),
        "direction": q.direction or direction,
        "unit": "times",
    }


def apply_goals(spec: dict, parsed: Parsed) -> dict:
    spec = copy.deepcopy(spec)
    text = parsed.text
    new_goals: list[dict] = []
    for original in parsed.quantities:
        q = copy.copy(original)
        if q.value <= 0:
            continue
        q.unit = resolve_unit(spec, q.unit)
        if q.unit is None and not (q.period or q.direction or GOAL_WORDS.search(text)):
            continue
        if q.unit == "times":
            count_goal = _count_goal(spec, q, parsed)
            if not any(g["field"] == count_goal["field"] for g in new_goals):
                new_goals.append(count_goal)
            continue
        goal, field = _target_field(spec, q)
        if field is None:
            if q.unit not in UNITS:
                continue
            field = _new_field_for(spec, q.unit)
            if field not in spec["fields"]:
                continue
        if any(g["field"] == field["key"] for g in new_goals):
            continue
        value = q.value
        unit = (goal or {}).get("unit") or field.get("unit")
        field_unit = field.get("unit")
        if q.unit in TIME_UNITS and (field["type"] == "duration" or field_unit in TIME_UNITS):
            target_unit = field_unit if field_unit in TIME_UNITS else "min"
            value, unit = _convert(value, q.unit, target_unit), target_unit
        elif q.unit in UNITS and field_unit == q.unit:
            unit = q.unit
        counting = q.unit in {"books", "films"} and (goal or {}).get("aggregate") == "count"
        if goal is not None and goal["field"] == field["key"]:
            aggregate = goal["aggregate"]
            if (
                aggregate == "count"
                and not counting
                and field["type"] in {"number", "integer", "duration"}
            ):
                aggregate = "sum"
        else:
            numeric = field["type"] in {"number", "integer", "duration", "rating"}
            aggregate = "sum" if numeric else "count"
            if field.get("unit") in LEVEL_UNITS or field["type"] == "rating":
                aggregate = "last"  # a body weight or a blood pressure is a level, not a total
        default_period = "week" if aggregate in {"last", "average"} else "day"
        period = q.period or parsed.global_period or (goal or {}).get("period") or default_period
        direction = q.direction or (goal or {}).get("direction") or "at_least"
        new_goal = {
            "field": field["key"],
            "aggregate": aggregate,
            "period": period,
            "target": _round(value),
            "direction": direction,
        }
        if unit:
            new_goal["unit"] = unit
        new_goals.append(new_goal)
    if new_goals:
        spec["goals"] = new_goals[:5]
        keys = {g["field"] for g in spec["goals"]}
        for view in spec["views"]:
            if view["type"] == "progress" and view.get("field") not in keys:
                view["field"] = spec["goals"][0]["field"]
                view["period"] = spec["goals"][0]["period"]
        if not any(v["type"] == "progress" for v in spec["views"]) and len(spec["views"]) < 8:
            spec["views"].insert(
                0,
                {
                    "type": "progress",
                    "field": spec["goals"][0]["field"],
                    "period": spec["goals"][0]["period"],
                },
            )
    return spec


# -- reminders ----------------------------------------------------------------------------------

GENERIC_REMINDER = {
    "en": "Time to log your {name}",
    "ja": "{name}を記録する時間です",
    "ko": "{name}을(를) 기록할 시간이에요",
}


def apply_schedule(spec: dict, parsed: Parsed) -> dict:
    if parsed.schedule is None:
        return spec
    spec = copy.deepcopy(spec)
    existing = spec["reminders"][0] if spec["reminders"] else None
    default_time = existing["schedule"]["times"][0] if existing else "09:00"
    message = existing["message"] if existing else GENERIC_REMINDER["en"].format(name=spec["name"])
    spec["reminders"] = [{"schedule": parsed.schedule.as_spec(default_time), "message": message}]
    for translation in spec.get("translations", {}).values():
        if translation.get("reminders"):
            translation["reminders"] = translation["reminders"][:1]
        elif "reminders" in translation:
            del translation["reminders"]
    return spec


# -- choices and named fields -------------------------------------------------------------------


def _norm(value: str) -> str:
    return re.sub(r"[^a-z0-9\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]+", " ", value.lower()).strip()


def _choice_hit(option: str, choices: list[str]) -> str | None:
    option = _norm(option)
    for choice in choices:
        norm = _norm(choice)
        if option == norm or option.rstrip("s") == norm.rstrip("s"):
            return choice
    for choice in choices:
        norm = _norm(choice)
        if len(option) >= 4 and (option in norm or norm in option):
            return choice
    return None


def apply_choices(spec: dict, parsed: Parsed) -> dict:
    """Options the request names ("breast or bottle") are the choices of the field that already
    has one of them; a list that fits no field becomes a new choice field."""
    spec = copy.deepcopy(spec)
    names = {_norm(f["label"]) for f in spec["fields"]} | {f["key"] for f in spec["fields"]}
    for options in parsed.choices:
        options = [o for o in options if _norm(o) not in names and len(o) <= 60]
        if len(options) < 2:
            continue
        best, hits = None, 0
        for field in spec["fields"]:
            if field["type"] not in {"choice", "multichoice"}:
                continue
            count = sum(_choice_hit(o, field["choices"]) is not None for o in options)
            if count > hits:
                best, hits = field, count
        if best is None:
            # Only a list the request introduces ("my mood: happy, sad or anxious") is a choice
            # field of its own; elsewhere "or" is more often phrasing.
            head = re.search(r"(\w+)\s*:\s*[^:]*\b" + re.escape(options[-1]) + r"\b", parsed.text)
            if head and len(spec["fields"]) < MAX_FIELDS:
                key = re.sub(r"[^a-z0-9_]", "", head.group(1).lower())[:30] or "kind"
                if not re.match(r"^[a-z]", key):
                    key = "kind"
                if key in {f["key"] for f in spec["fields"]}:
                    key = f"{key}_choice"
                spec["fields"].insert(
                    0,
                    {
                        "key": key,
                        "label": head.group(1).capitalize()[:60],
                        "type": "choice",
                        "choices": list(dict.fromkeys(o[:60] for o in options))[:30],
                    },
                )
            continue
        for option in options:
            if _choice_hit(option, best["choices"]) is None and len(best["choices"]) < 30:
                best["choices"].append(option)
    return spec


def _content_words(text: str) -> list[str]:
    return [w for w in re.findall(r"[a-z][a-z'-]*", text.lower()) if w not in STOPWORDS]


def _named_items(text: str) -> tuple[list[str], bool]:
    """The items a request lists, and whether it introduced them as fields (a colon,
    "fields", "including") rather than in passing ("with ...")."""
    match = re.search(
        r":\s*(.+)$|\b(?:fields?|including)\s*:?\s*(.+)$|\bwith (?:an? |the )?(.+)$", text
    )
    if not match:
        return [], False
    body = next(group for group in match.groups() if group)
    listed = match.group(3) is None
    body = re.split(r"[.;!?]|\b(?:every|remind|aim|goal|target)\b", body)[0]
    items = re.split(r",\s*(?:and\s+)?|\s+and\s+|\s*&\s*", body)
    return [item.strip() for item in items if item.strip() and " or " not in item], listed


def _stems(words: set[str]) -> set[str]:
    return {w[:5] for w in words if len(w) >= 5}


def _field_for_item(spec: dict, item: str) -> dict | None:
    words = set(_content_words(item))
    wanted_type = next((kind for cue, kind in TYPE_CUES if cue.search(item)), None)
    for field in spec["fields"]:
        field_words = set(_content_words(field["label"])) | set(field["key"].split("_"))
        synonyms = set().union(*(FIELD_SYNONYMS.get(w, {w}) for w in words)) if words else set()
        if words and (words & field_words or synonyms & field_words):
            return field
        if _stems(words) & _stems(field_words):
            return field
        if wanted_type and field["type"] == wanted_type:
            return field
    return None


QUANTITY_WORDS = re.compile(
    r"\d|\b(?:no more than|at (?:most|least)|a maximum of|a minimum of|less than|more than|under|"
    r"per (?:day|week|month|year)|a (?:day|week|month|year))\b"
)


def _is_quantity_phrase(item: str) -> bool:
    """ "2 litres a day", "no more than 10 per month": a goal, not a field to add."""
    return bool(QUANTITY_WORDS.search(item))


def apply_named_fields(spec: dict, parsed: Parsed) -> dict:
    """Fields the request lists ("distance in km, time, and how I felt") that the blueprint lacks
    are added with a type read from their words."""
    spec = copy.deepcopy(spec)
    from subagents.builder.grammar import QUANTITY, _unit_code

    options = {_norm(o) for choice_list in parsed.choices for o in choice_list}
    items, listed = _named_items(parsed.text)
    for item in items[:8]:
        if len(spec["fields"]) >= MAX_FIELDS or len(item) > 60:
            break
        if _field_for_item(spec, item) is not None or _norm(item) in options:
            continue
        if re.fullmatch(r"(?:in|using|per) \S+", item) or _is_quantity_phrase(item):
            continue
        words = _content_words(item)
        if not words:
            continue
        kind = next((kind for cue, kind in TYPE_CUES if cue.search(item)), "text")
        if not listed and kind == "text" and " in " not in item:
            continue
        unit_match = (
            QUANTITY.search("1 " + re.sub(r"^.*\bin\s+", "", item)) if " in " in item else None
        )
        unit = _unit_code(unit_match) if unit_match else None
        key = "_".join(w.replace("'", "").replace("-", "_") for w in words[:3])[:40]
        if not re.match(r"^[a-z][a-z0-9_]*$", key) or key in {f["key"] for f in spec["fields"]}:
            continue
        field: dict = {"key": key, "label": item[:1].upper() + item[1:60], "type": kind}
        if unit in UNITS and unit not in {"piece", "times"}:
            field.update({"type": "number", "unit": unit, "min": 0})
            field["label"] = " ".join(words[:3]).capitalize()
        if kind == "rating":
            field.update({"min": 1, "max": 5})
        if field["type"] == "duration":
            field.update({"unit": "min", "min": 0})
        spec["fields"].append(field)
    return spec


# -- language -----------------------------------------------------------------------------------


COMMON_LABELS = {
    "minutes": {"en": "Minutes", "ja": "時間", "ko": "시간"},
    "photo": {"en": "Photo", "ja": "写真", "ko": "사진"},
    "note": {"en": "Note", "ja": "メモ", "ko": "메모"},
    "time": {"en": "Time", "ja": "時刻", "ko": "시각"},
    "date": {"en": "Date", "ja": "日付", "ko": "날짜"},
    "words": {"en": "Words", "ja": "単語", "ko": "단어"},
    "pages": {"en": "Pages", "ja": "ページ", "ko": "페이지"},
    "steps": {"en": "Steps", "ja": "歩数", "ko": "걸음 수"},
    "kcal": {"en": "Kcal", "ja": "カロリー", "ko": "칼로리"},
}


def localise(spec: dict, language: str) -> dict:
    """The spec in `language` from its translations (labels, choices, messages, persona);
    the original language is kept as a translation so it can be switched back."""
    base = spec.get("language", "en")
    translations = spec.get("translations", {})
    if language == base or language not in translations:
        return spec
    spec = copy.deepcopy(spec)
    target = spec["translations"].pop(language)
    original: dict = {
        "name": spec["name"],
        "description": spec["description"],
        "persona": spec["persona"],
        "labels": {},
        "choices": {},
    }
    choice_maps: dict[str, dict[str, str]] = {}
    for field in spec["fields"]:
        original["labels"][field["key"]] = field["label"]
        if field["key"] in target.get("labels", {}):
            field["label"] = target["labels"][field["key"]]
        elif field["label"] == COMMON_LABELS.get(field["key"], {}).get(base):
            field["label"] = COMMON_LABELS[field["key"]].get(language, field["label"])
        if field.get("choices"):
            original["choices"][field["key"]] = list(field["choices"])
            translated = target.get("choices", {}).get(field["key"])
            if translated:
                mapping = dict(zip(field["choices"], translated, strict=False))
                new = []
                for choice in field["choices"]:
                    value = mapping.get(choice, choice)
                    if value not in new:
                        new.append(value)
                if len(new) == len(field["choices"]):
                    choice_maps[field["key"]] = mapping
                    field["choices"] = new
                    if "default" in field:
                        default = field["default"]
                        field["default"] = (
                            [mapping.get(d, d) for d in default]
                            if isinstance(default, list)
                            else mapping.get(default, default)
                        )
    original["reminders"] = [r["message"] for r in spec["reminders"]]
    for index, message in enumerate(target.get("reminders", [])[: len(spec["reminders"])]):
        spec["reminders"][index]["message"] = message
    for key in ("name", "description", "persona"):
        if target.get(key):
            spec[key] = target[key]
    for write in spec["memory"]["writes"]:
        match = write.get("match")
        if match and match["field"] in choice_maps and isinstance(match["equals"], str):
            match["equals"] = choice_maps[match["field"]].get(match["equals"], match["equals"])
    spec["language"] = language
    spec["translations"][base] = {k: v for k, v in original.items() if v}
    if not original["reminders"]:
        spec["translations"][base].pop("reminders", None)
    return spec
