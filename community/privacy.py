"""What must not leave with a published spec: the publisher's personal data.

`privacy_findings` looks through every string of a spec for e-mail addresses, phone numbers,
the publisher's own name and e-mail, and anything that also appears in their memories (names
of people and places, numbers, and phrases from health memories or copied verbatim). The
memories are read only through `memory.selectors`. `spec_strip_personal` removes what a spec
carries that is personal by shape: the publisher's reminder times.
"""

import copy
import re
import unicodedata
from dataclasses import asdict, dataclass
from typing import Any

from memory.privacy.policies import Reader, ReaderKind
from memory.selectors import memories_for_user

EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
PHONE_RE = re.compile(r"(?<![\w])\+?\d[\d\s().-]{6,}\d(?![\w])")
WORD_RE = re.compile(r"[^\W_]+", re.UNICODE)
CAPITALISED_RE = re.compile(r"(?<![.!?。！？]\s)(?<!^)\b([A-Z][\w'-]{2,})")
CJK_RE = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")
MAX_MEMORIES = 5000
SHINGLE = 4  # consecutive words copied from any memory
HEALTH_SHINGLE = 2  # consecutive words from a health memory
CJK_SHINGLE = 6  # characters, for unspaced scripts
HEALTH_DOMAINS = frozenset({"health", "body", "medical", "sleep", "diet"})
DEFAULT_TIMES = ["08:00", "12:00", "18:00", "21:00", "10:00", "15:00"]


@dataclass(frozen=True)
class Finding:
    kind: str  # email, phone, own_name, own_email, memory
    text: str  # what matched, as it appears in the spec
    path: str  # where in the spec, as a JSON path
    memory_id: int | None = None

    def as_dict(self) -> dict:
        return asdict(self)


def _norm(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


def _strings(value: Any, path: str = "$"):
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, f"{path}[{index}]")


def _sentence_words(text: str) -> list[str]:
    return [_norm(word) for word in WORD_RE.findall(text)]


def _sensitive_terms(text: str, *, health: bool) -> set[str]:
    """Terms of one memory that would identify the person if they showed up in a spec."""
    terms: set[str] = set()
    for sentence in re.split(r"(?<=[.!?。！？])\s*|\n+", text):
        for match in CAPITALISED_RE.finditer(sentence.strip()):
            terms.add(_norm(match.group(1)))
    terms.update(
        _norm(word)
        for word in WORD_RE.findall(text)
        if any(c.isdigit() for c in word) and len(word) >= 3
    )
    words = _sentence_words(text)
    size = HEALTH_SHINGLE if health else SHINGLE
    for start in range(len(words) - size + 1):
        terms.add(" ".join(words[start : start + size]))
    for run in re.findall(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]+", text):
        for start in range(len(run) - CJK_SHINGLE + 1):
            terms.add(run[start : start + CJK_SHINGLE])
    return {term for term in terms if term}


def _contains(haystack_norm: str, haystack_words: str, term: str) -> bool:
    if CJK_RE.search(term):
        return term in haystack_norm
    return f" {term} " in haystack_words


def privacy_findings(*, user, spec: dict) -> list[Finding]:
    """Everything in `spec` that looks like the publisher's personal data (empty = clean)."""
    strings = list(_strings(spec))
    findings: list[Finding] = []
    own_terms: list[tuple[str, str]] = []
    if user.email:
        own_terms.append(("own_email", _norm(user.email)))
        local = _norm(user.email.split("@")[0])
        if len(local) >= 4:
            own_terms.append(("own_email", local))
    for part in WORD_RE.findall(getattr(user, "display_name", "") or ""):
        if len(part) >= 3:
            own_terms.append(("own_name", _norm(part)))
    memory_terms: dict[str, int] = {}
    # Secret memories too: their terms must not leak into what the person publishes.
    owner = Reader(kind=ReaderKind.PERSON, stepped_up=True)
    for memory in memories_for_user(user=user, reader=owner)[:MAX_MEMORIES]:
        health = bool(HEALTH_DOMAINS & set(memory.domains))
        for term in _sensitive_terms(memory.text, health=health):
            memory_terms.setdefault(term, memory.id)
    for path, text in strings:
        for match in EMAIL_RE.finditer(text):
            findings.append(Finding("email", match.group(0), path))
        for match in PHONE_RE.finditer(text):
            if sum(c.isdigit() for c in match.group(0)) >= 7:
                findings.append(Finding("phone", match.group(0).strip(), path))
        norm = _norm(text)
        spaced = " " + " ".join(_sentence_words(text)) + " "
        for kind, term in own_terms:
            if term in norm:
                findings.append(Finding(kind, term, path))
        for term, memory_id in memory_terms.items():
            if _contains(norm, spaced, term):
                findings.append(Finding("memory", term, path, memory_id))
    unique: dict[tuple, Finding] = {}
    for finding in findings:
        unique.setdefault((finding.kind, finding.text, finding.path), finding)
    return list(unique.values())


def spec_strip_personal(spec: dict) -> dict:
    """A copy of `spec` whose reminders keep their shape (kind, weekdays, interval, how many
    times a day, message) but not the publisher's own times of day."""
    out = copy.deepcopy(spec)
    for reminder in out.get("reminders") or []:
        schedule = reminder.get("schedule") or {}
        count = len(schedule.get("times") or [])
        if count:
            schedule["times"] = (
                sorted(DEFAULT_TIMES[:count])
                if count <= len(DEFAULT_TIMES)
                else [f"{6 + index:02d}:00" for index in range(count)]
            )
    return out
