"""A tool's own small chat: log entries from words, answer from the tool's data and from the
memories it may read, and confirm what was logged with an undo.

Offline by default and deterministic: numbers are matched to the spec's fields by their units
and labels ("drank 2 glasses", "ran 5k in 28 minutes", "コーヒー2杯", "물 3잔"), questions are
answered by aggregating the entries ("how much did I drink this week?", "my best 5k?"). With an
LLM provider configured (macaron.llm), the provider is asked first for the entry's values as
JSON against a schema built from the spec; anything it returns is checked like a typed entry,
and the offline reading is the fallback. Messages are encrypted at rest.
"""

import re
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from macaron.errors import DomainError, NotFound
from macaron.llm import LLMError, get_provider
from macaron.timezones import user_zone
from macaron.vault import cipher_for
from memory.privacy.policies import Reader, may_read
from subagents.models import ChatMessage, Entry
from subagents.selectors import (
    OWNER,
    aggregate,
    entries_decoded,
    entry_facts,
    goals_effective,
    installation_get,
    installation_spec,
    period_start,
    spec_localised,
)
from subagents.services import entry_create, entry_delete
from subagents.spec import NUMERIC_TYPES
from subagents.transfer import subagent_context
from subagents.values import EntryError, value_display

MAX_CHAT_CHARS = 2_000
HISTORY = 30
NUMBER = r"(\d+(?:[.,]\d+)?)"
# Unit words people type, mapped to a canonical unit; a field's own unit is always accepted.
UNIT_WORDS = {
    "glass": r"glass(?:es)?|杯|잔|グラス|컵",
    "cup": r"cups?|杯|잔|컵|カップ",
    "ml": r"ml|mL|ミリリットル|밀리리터",
    "l": r"l|litres?|liters?|リットル|리터",
    "km": r"k|km|kms|kilometres?|kilometers?|キロ|킬로",
    "mi": r"mi|miles?",
    "kg": r"kg|kilos?|キロ|킬로",
    "min": r"m|min|mins|minutes?|分|분",
    "h": r"h|hrs?|hours?|時間|시간",
    "steps": r"steps?|歩|걸음",
    "pages": r"pages?|ページ|쪽",
    "kcal": r"kcal|cal|calories?|キロカロリー|칼로리",
    "g": r"g|grams?|グラム|그램",
    "mg": r"mg",
}
UNIT_ALIASES = {
    "glasses": "glass",
    "cups": "cup",
    "minutes": "min",
    "minute": "min",
    "mins": "min",
    "hours": "h",
    "hour": "h",
    "litre": "l",
    "liter": "l",
    "kilometres": "km",
    "kilometers": "km",
}
QUESTION = re.compile(
    r"\?|？|^(how|what|when|which|did|do|have|was)\b|\b(how much|how many|best|total|average)\b|"
    r"どのくらい|どれくらい|何|いくつ|最高|平均|합계|얼마|몇|최고|평균",
    re.IGNORECASE,
)
PERIOD_WORDS = {
    "day": r"today|今日|きょう|오늘",
    "week": r"this week|week|今週|이번 주|이번주",
    "month": r"this month|month|今月|이번 달|이번달",
    "year": r"this year|year|今年|올해",
}
BEST = re.compile(r"best|fastest|longest|most|record|max|最高|ベスト|최고|최대", re.IGNORECASE)
AVERAGE = re.compile(r"average|mean|平均|평균", re.IGNORECASE)
COUNT = re.compile(r"how many times|how often|何回|몇 번|몇번", re.IGNORECASE)
LOWEST = re.compile(r"lowest|least|min|最低|최저", re.IGNORECASE)


@dataclass(frozen=True)
class ChatLine:
    id: int
    installation_id: int
    role: str
    text: str
    entry_id: int | None
    created_at: datetime
    locked: bool = False  # about an entry that needs a step-up: the text is withheld


@dataclass(frozen=True)
class ChatReply:
    person: ChatLine
    reply: ChatLine
    entry_id: int | None


def _language(text: str, fallback: str) -> str:
    if re.search(r"[\uac00-\ud7a3]", text):
        return "ko"
    if re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", text):
        return "ja"
    return "en" if re.search(r"[A-Za-z]", text) else fallback


def _canonical_unit(unit: str) -> str:
    unit = unit.strip().lower()
    return UNIT_ALIASES.get(unit, unit)


def _unit_pattern(field: dict) -> str | None:
    unit = field.get("unit")
    if field["type"] == "duration":
        unit = unit or "min"
    if not unit:
        return None
    canonical = _canonical_unit(unit)
    words = UNIT_WORDS.get(canonical)
    own = re.escape(unit)
    return f"{own}|{words}" if words else own


def _numbers_with_units(text: str, spec: dict) -> tuple[dict, list[float]]:
    """Values of numeric fields found with their units, and the numbers left unassigned."""
    found: dict = {}
    taken: list[tuple[int, int]] = []
    numeric = [f for f in spec["fields"] if f["type"] in NUMERIC_TYPES]
    for field in sorted(numeric, key=lambda f: f["type"] != "duration"):
        if field["type"] == "duration":
            clock = re.search(r"(\d{1,3}):([0-5]\d)", text)
            if clock:
                found[field["key"]] = float(int(clock[1]) * 60 + int(clock[2]))
                taken.append(clock.span())
                continue
            hours = re.search(NUMBER + r"\s*(?:" + UNIT_WORDS["h"] + r")(?![a-z])", text, re.I)
            minutes = re.search(NUMBER + r"\s*(?:" + UNIT_WORDS["min"] + r")(?![a-z])", text, re.I)
            total = 0.0
            for match, factor in ((hours, 60), (minutes, 1)):
                if match and not any(a <= match.start() < b for a, b in taken):
                    total += float(match[1].replace(",", ".")) * factor
                    taken.append(match.span())
            if total:
                found[field["key"]] = total
            continue
        pattern = _unit_pattern(field)
        if pattern is None:
            continue
        for match in re.finditer(NUMBER + r"\s*(?:" + pattern + r")(?![a-z])", text, re.I):
            if not any(a <= match.start() < b for a, b in taken):
                found[field["key"]] = float(match[1].replace(",", "."))
                taken.append(match.span())
                break
    loose = [
        float(match[1].replace(",", "."))
        for match in re.finditer(NUMBER, text)
        if not any(a <= match.start() < b for a, b in taken)
    ]
    return found, loose


def _choices_in(text: str, spec: dict) -> dict:
    found: dict = {}
    folded = text.casefold()
    for field in spec["fields"]:
        if field["type"] not in {"choice", "multichoice"}:
            continue
        labels = field.get("choice_labels") or field["choices"]
        hits = [
            choice
            for choice, label in zip(field["choices"], labels, strict=False)
            if choice.casefold() in folded or label.casefold() in folded
        ]
        if hits:
            found[field["key"]] = hits if field["type"] == "multichoice" else hits[0]
    return found


def read_entry(text: str, spec: dict) -> dict:
    """The entry values the words name (offline), or {} when they name none."""
    values, loose = _numbers_with_units(text, spec)
    numeric = [f for f in spec["fields"] if f["type"] in NUMERIC_TYPES and f["key"] not in values]
    # One number without a unit goes to the only numeric field left (or the goal's field).
    if loose and numeric:
        goal_keys = [goal["field"] for goal in spec["goals"]]
        target = next((f for f in numeric if f["key"] in goal_keys), None)
        if target is None and len(numeric) == 1:
            target = numeric[0]
        if target is not None and target["type"] != "duration":
            values[target["key"]] = loose[0]
    if values or _choices_in(text, spec):
        values.update(_choices_in(text, spec))
    return values


def _llm_entry(text: str, spec: dict) -> dict | None:
    """Ask a configured provider for the values; None offline or when it cannot help."""
    provider = get_provider()
    if provider.name == "offline":
        return None
    properties = {}
    for field in spec["fields"]:
        if field["type"] in NUMERIC_TYPES:
            properties[field["key"]] = {"type": "number"}
        elif field["type"] == "boolean":
            properties[field["key"]] = {"type": "boolean"}
        elif field["type"] == "choice":
            properties[field["key"]] = {"enum": field["choices"]}
    schema = {
        "type": "object",
        "additionalProperties": False,
        "required": ["log", "values"],
        "properties": {
            "log": {"type": "boolean"},
            "values": {"type": "object", "additionalProperties": False, "properties": properties},
        },
    }
    fields = ", ".join(
        f"{f['key']} ({f['label']}{', ' + f['unit'] if f.get('unit') else ''})"
        for f in spec["fields"]
    )
    messages = [
        {
            "role": "system",
            "content": f"You read log messages for the tool {spec['name']!r}. Fields: {fields}. "
            "Durations are minutes. Answer log=false for questions.",
        },
        {"role": "user", "content": text},
    ]
    try:
        answer = provider.complete_json(messages, schema=schema)
    except LLMError:
        return None
    return answer["values"] if answer.get("log") and answer.get("values") else {}


# Which tool the words are for -----------------------------------------------------------------

FIT_UNIT = 2.0  # a number with one of the tool's units ("2 glasses")
FIT_CHOICE = 1.0  # one of its choices ("water")
FIT_WORD = 1.0  # its name or a field's label
MIN_FIT = 1.0


def _words_in(text: str, words: list[str]) -> int:
    folded = text.casefold()
    hits = 0
    for word in {w.casefold().strip() for w in words if w and len(w.strip()) > 1}:
        if re.search(r"[a-z]", word):
            hits += bool(re.search(r"(?<![a-z])" + re.escape(word) + r"(?:s|es)?(?![a-z])", folded))
        else:
            hits += word in folded
    return hits


def tool_fit(text: str, spec: dict, keywords: tuple[str, ...] = ()) -> float:
    """How well the words fit a tool: its units, choices, name, field labels and (for a
    catalogue tool) the blueprint's keywords. 0 when nothing of the tool is named."""
    with_units, _loose = _numbers_with_units(text, spec)
    names = [spec["name"], *(field["label"] for field in spec["fields"])]
    names += [t.get("name", "") for t in spec.get("translations", {}).values()]
    return (
        FIT_UNIT * len(with_units)
        + FIT_CHOICE * len(_choices_in(text, spec))
        + FIT_WORD * min(_words_in(text, names) + _words_in(text, list(keywords)), 3)
    )


def tool_for_words(*, user, text: str) -> int | None:
    """The id of the person's installed (not paused) tool the words fit best, or None."""
    from subagents.models import CatalogueBlueprint, Installation

    rows = list(
        Installation.objects.filter(user=user, uninstalled_at__isnull=True, paused=False).order_by(
            "installed_at", "id"
        )
    )
    if not rows:
        return None
    slugs = {row.source.split(":", 1)[1] for row in rows if row.source.startswith("catalogue:")}
    keywords = dict(
        CatalogueBlueprint.objects.filter(slug__in=slugs).values_list("slug", "keywords")
    )
    cipher = cipher_for(user.id)
    best: tuple[float, int] | None = None
    for row in rows:
        slug = row.source.split(":", 1)[1] if row.source.startswith("catalogue:") else ""
        spec = spec_localised(installation_spec(row, cipher), _language(text, "en"))
        fit = tool_fit(text, spec, tuple(keywords.get(slug, ())))
        if fit >= MIN_FIT and (best is None or fit > best[0]):
            best = (fit, row.id)
    return best[1] if best else None


# Answers -------------------------------------------------------------------------------------

PHRASES = {
    "logged": {
        "en": "Logged: {what}.",
        "ja": "記録しました：{what}。",
        "ko": "기록했어요: {what}.",
    },
    "nothing": {
        "en": "I did not find anything to log. Try something like “{example}”.",
        "ja": "記録する内容が見つかりませんでした。「{example}」のように書いてください。",
        "ko": "기록할 내용을 찾지 못했어요. “{example}”처럼 써 주세요.",
    },
    "refused": {
        "en": "I could not log that: {reason}",
        "ja": "記録できませんでした：{reason}",
        "ko": "기록하지 못했어요: {reason}",
    },
    "no_data": {
        "en": "Nothing logged {period} yet.",
        "ja": "{period}の記録はまだありません。",
        "ko": "{period} 기록이 아직 없어요.",
    },
    "memory": {
        "en": "From what you told me: {memory}",
        "ja": "伺ったことから：{memory}",
        "ko": "말씀하신 것 중에서: {memory}",
    },
    "unknown": {
        "en": "I can only answer from this tool's log and what it may know about you.",
        "ja": "このツールの記録と、このツールが知ってよいことからしか答えられません。",
        "ko": "이 도구의 기록과 알아도 되는 정보로만 답할 수 있어요.",
    },
    "undone": {"en": "Undone.", "ja": "取り消しました。", "ko": "취소했어요."},
}
PERIOD_NAMES = {
    "en": {
        "day": "today",
        "week": "this week",
        "month": "this month",
        "year": "this year",
        "all": "so far",
    },
    "ja": {"day": "今日", "week": "今週", "month": "今月", "year": "今年", "all": "これまで"},
    "ko": {"day": "오늘", "week": "이번 주", "month": "이번 달", "year": "올해", "all": "지금까지"},
}
HOW_NAMES = {
    "en": {
        "sum": "total",
        "count": "entries",
        "average": "average",
        "max": "best",
        "min": "best",
        "last": "last",
    },
    "ja": {
        "sum": "合計",
        "count": "回数",
        "average": "平均",
        "max": "最高",
        "min": "最高",
        "last": "最新",
    },
    "ko": {
        "sum": "합계",
        "count": "횟수",
        "average": "평균",
        "max": "최고",
        "min": "최고",
        "last": "최근",
    },
}


def _say(key: str, language: str, **values) -> str:
    table = PHRASES[key]
    return table.get(language, table["en"]).format(**values)


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.2f}".rstrip("0")


def _described(values: dict, spec: dict) -> str:
    parts = []
    for field in spec["fields"]:
        if field["key"] in values:
            text = value_display(values[field["key"]], field)
            unit = field.get("unit") or ("min" if field["type"] == "duration" else "")
            parts.append(f"{field['label']} {text}{' ' + unit if unit else ''}")
    return ", ".join(parts)


def _example(spec: dict) -> str:
    field = next((f for f in spec["fields"] if f["type"] in NUMERIC_TYPES), spec["fields"][0])
    unit = field.get("unit") or ("min" if field["type"] == "duration" else "")
    return f"{field['label']} 2{' ' + unit if unit else ''}"


def _question_field(text: str, spec: dict) -> dict | None:
    folded = text.casefold()
    for field in spec["fields"]:
        if field["type"] not in NUMERIC_TYPES:
            continue
        words = [field["key"].replace("_", " "), field["label"]]
        pattern = _unit_pattern(field)
        if any(word.casefold() in folded for word in words if word):
            return field
        if pattern and re.search(r"(?<![a-z])(?:" + pattern + r")(?![a-z])", text, re.I):
            return field
    return None


def answer_question(*, installation, spec: dict, text: str, language: str, now=None) -> str | None:
    """An answer from the tool's data, or None when the question names nothing it logs."""
    zone = user_zone(installation.user)
    today = (now or timezone.now()).astimezone(zone).date()
    entries = entries_decoded(installation, zone)
    goals = goals_effective(installation, spec)
    period = next((p for p, words in PERIOD_WORDS.items() if re.search(words, text, re.I)), None)
    best = bool(BEST.search(text))
    # "my best 5k": entries whose field equals the number the question names.
    named, _loose = _numbers_with_units(text, spec)
    duration = next((f for f in spec["fields"] if f["type"] == "duration"), None)
    field = _question_field(text, spec)
    if best and named and duration is not None and duration["key"] not in named:
        key, wanted = next(iter(named.items()))
        matching = [
            values
            for _m, values in entries
            if isinstance(values.get(key), int | float)
            and abs(values[key] - wanted) <= 0.02 * wanted
            and duration["key"] in values
        ]
        field, how, values_in = duration, "min", [values[duration["key"]] for values in matching]
    else:
        goal = next((g for g in goals if field and g["field"] == field["key"]), None)
        if field is None:
            goal = goals[0] if goals else None
            field = next((f for f in spec["fields"] if goal and f["key"] == goal["field"]), None)
            field = field or next((f for f in spec["fields"] if f["type"] in NUMERIC_TYPES), None)
        if field is None:
            return None
        if best:
            how = "max"
        elif AVERAGE.search(text):
            how = "average"
        elif COUNT.search(text):
            how = "count"
        elif LOWEST.search(text):
            how = "min"
        else:
            how = goal["aggregate"] if goal and goal["aggregate"] in {"sum", "count"} else "sum"
        if period is None and not best:
            period = goal["period"] if goal else "week"
        start = period_start(today, period) if period else None
        values_in = [
            values[field["key"]]
            for moment, values in entries
            if field["key"] in values and (start is None or moment.date() >= start)
        ]
    names = PERIOD_NAMES.get(language, PERIOD_NAMES["en"])
    period_name = names[period] if period else names["all"]
    result = aggregate(values_in, how)
    if result is None or (how != "count" and not values_in):
        return _say("no_data", language, period=period_name)
    unit = field.get("unit") or ("min" if field["type"] == "duration" else "")
    how_name = HOW_NAMES.get(language, HOW_NAMES["en"])[how]
    answer = f"{field['label']} — {how_name} {period_name}: {_number(result)}{' ' + unit if unit else ''}"
    goal = next((g for g in goals if g["field"] == field["key"] and how == g["aggregate"]), None)
    if goal is not None and period == goal["period"]:
        answer += f" / {_number(goal['target'])}"
    return answer + "."


# Services ------------------------------------------------------------------------------------


def _line(message: ChatMessage, cipher, *, locked: bool = False) -> ChatLine:
    return ChatLine(
        id=message.id,
        installation_id=message.installation_id,
        role=message.role,
        text="" if locked else cipher.decrypt(message.text_ct),
        entry_id=message.entry_id,
        created_at=message.created_at,
        locked=locked,
    )


def _locked_lines(rows: list[ChatMessage], reader: Reader) -> set[int]:
    """Ids of the lines about entries the reader may not read: the reply that logged one and
    the person's words just before it."""
    entry_ids = {row.entry_id for row in rows if row.entry_id}
    if not entry_ids:
        return set()
    entries = Entry.objects.filter(pk__in=entry_ids).only("id", "privacy", "policy", "created_at")
    denied = {entry.id for entry in entries if not may_read(entry_facts(entry), reader)}
    locked: set[int] = set()
    for index, row in enumerate(rows):
        if row.entry_id in denied:
            locked.add(row.id)
            if index and rows[index - 1].role == ChatMessage.Role.PERSON:
                locked.add(rows[index - 1].id)
    return locked


def tool_chat_send(*, user, installation_id: int, text: str, now=None) -> ChatReply:
    """The person writes to a tool: log what the words name, or answer the question."""
    if not isinstance(text, str) or not text.strip():
        raise DomainError(
            gettext("Write a message."), fields={"text": [gettext("Write a message.")]}
        )
    if len(text) > MAX_CHAT_CHARS:
        raise DomainError(
            f"The message is too long (limit {MAX_CHAT_CHARS} characters).",
            fields={"text": [gettext("Too long.")]},
        )
    text = text.strip()
    installation = installation_get(
        user=user, installation_id=installation_id, include_uninstalled=False
    )
    language = _language(text, user.preferred_language)
    spec = spec_localised(installation_spec(installation), language)
    cipher = cipher_for(user.id)
    entry_id = None
    if QUESTION.search(text):
        reply = answer_question(
            installation=installation, spec=spec, text=text, language=language, now=now
        )
        memories = subagent_context(
            user=user, spec=spec, query=text, k=2, installation_id=installation.id
        )
        if reply is None or (
            memories and not _question_field(text, spec) and not BEST.search(text)
        ):
            reply = (
                _say("memory", language, memory=memories[0].text)
                if memories
                else reply or _say("unknown", language)
            )
    else:
        values = _llm_entry(text, spec)
        if not values:
            values = read_entry(text, spec)
        if not values:
            reply = _say("nothing", language, example=_example(spec))
        else:
            try:
                entry = entry_create(
                    user=user, installation_id=installation.id, values=values, now=now
                )
            except EntryError as error:
                reply = _say("refused", language, reason=error.message)
            else:
                entry_id = entry.id
                reply = _say("logged", language, what=_described(values, spec))
    with transaction.atomic():
        person = ChatMessage.objects.create(
            installation=installation,
            user=user,
            role=ChatMessage.Role.PERSON,
            text_ct=cipher.encrypt(text),
        )
        answer = ChatMessage.objects.create(
            installation=installation,
            user=user,
            role=ChatMessage.Role.TOOL,
            text_ct=cipher.encrypt(reply),
            entry_id=entry_id,
        )
    return ChatReply(person=_line(person, cipher), reply=_line(answer, cipher), entry_id=entry_id)


def tool_chat_undo(*, user, message_id: int) -> ChatLine:
    """Undo what a tool's reply logged: the entry is deleted and the tool says so."""
    message = ChatMessage.objects.filter(
        user=user, pk=message_id, role=ChatMessage.Role.TOOL
    ).first()
    if message is None:
        raise NotFound(gettext("No such message."))
    if message.entry_id is None:
        raise DomainError(gettext("There is nothing to undo."), code="nothing_to_undo")
    language = _language(cipher_for(user.id).decrypt(message.text_ct), user.preferred_language)
    with transaction.atomic():
        if Entry.objects.filter(user=user, pk=message.entry_id).exists():
            entry_delete(user=user, entry_id=message.entry_id)
        ChatMessage.objects.filter(pk=message.pk).update(entry=None)
        undone = ChatMessage.objects.create(
            installation_id=message.installation_id,
            user=user,
            role=ChatMessage.Role.TOOL,
            text_ct=cipher_for(user.id).encrypt(_say("undone", language)),
        )
    return _line(undone, cipher_for(user.id))


def tool_chat_history(
    *, user, installation_id: int, limit: int = HISTORY, reader: Reader = OWNER
) -> list[ChatLine]:
    """The tool's chat, oldest first (the last `limit` messages); lines about an entry the
    reader may not read (it needs a step-up) are shown locked."""
    installation = installation_get(user=user, installation_id=installation_id)
    rows = list(
        ChatMessage.objects.filter(user=user, installation=installation).order_by("-id")[:limit]
    )
    if not rows:
        return []
    rows.reverse()
    cipher = cipher_for(user.id)
    locked = _locked_lines(rows, reader)
    return [_line(message, cipher, locked=message.id in locked) for message in rows]
