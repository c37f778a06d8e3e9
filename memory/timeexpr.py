"""Time expressions resolved against a reference time ("yesterday" said on 8 May → 7 May).

Used on the write path (a memory's event time) and the read path ("what did I do last week?"
becomes a time filter). Deterministic, regex based, English with the common Japanese and Korean
relative words; anything it does not understand yields None, never an error.
"""

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
MONTHS.update({name.lower(): i for i, name in enumerate(calendar.month_abbr) if name})
MONTHS["sept"] = 9
WEEKDAYS = {name.lower(): i for i, name in enumerate(calendar.day_name)}
NUMBER_WORDS = {
    "a": 1,
    "an": 1,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "couple of": 2,
    "a couple of": 2,
    "few": 3,
    "a few": 3,
    "several": 4,
}
MONTH_RE = "|".join(sorted(MONTHS, key=len, reverse=True))
NUM_RE = r"\d+|a couple of|couple of|a few|few|several|an|a|one|two|three|four|five|six|seven|eight|nine|ten"


@dataclass(frozen=True)
class TimeRange:
    start: date
    end: date  # inclusive

    def label(self) -> str:
        if self.start == self.end:
            return f"{self.start.day} {calendar.month_name[self.start.month]} {self.start.year}"
        if self.start.day == 1 and self.end == _month_end(self.start.year, self.start.month):
            return f"{calendar.month_name[self.start.month]} {self.start.year}"
        if self.start == date(self.start.year, 1, 1) and self.end == date(self.start.year, 12, 31):
            return str(self.start.year)
        return f"{self.start.isoformat()} to {self.end.isoformat()}"


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _month_range(year: int, month: int) -> TimeRange:
    return TimeRange(date(year, month, 1), _month_end(year, month))


def _shift_months(day: date, months: int) -> tuple[int, int]:
    index = day.year * 12 + day.month - 1 + months
    return index // 12, index % 12 + 1


def _week(day: date) -> TimeRange:
    start = day - timedelta(days=day.weekday())
    return TimeRange(start, start + timedelta(days=6))


def _amount(text: str) -> int:
    text = text.strip().lower()
    return int(text) if text.isdigit() else NUMBER_WORDS.get(text, 1)


def _ago(n: int, unit: str, today: date) -> TimeRange:
    unit = unit.rstrip("s")
    if unit == "day":
        day = today - timedelta(days=n)
        return TimeRange(day, day)
    if unit == "week":
        return _week(today - timedelta(weeks=n))
    if unit == "month":
        return _month_range(*_shift_months(today, -n))
    year = today.year - n
    return TimeRange(date(year, 1, 1), date(year, 12, 31))


def _safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


PATTERNS: list[tuple[re.Pattern, str]] = [
    (re.compile(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b"), "iso"),
    (
        re.compile(
            rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?({MONTH_RE})\.?,?\s+(\d{{4}})\b", re.I
        ),
        "d_m_y",
    ),
    (
        re.compile(rf"\b({MONTH_RE})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+(\d{{4}})\b", re.I),
        "m_d_y",
    ),
    (re.compile(rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?({MONTH_RE})\b", re.I), "d_m"),
    (re.compile(rf"\b({MONTH_RE})\s+(\d{{1,2}})(?:st|nd|rd|th)?\b", re.I), "m_d"),
    (re.compile(rf"\b({MONTH_RE})\.?,?\s+(\d{{4}})\b", re.I), "m_y"),
    (re.compile(r"\blast night\b|\byesterday\b|昨日|昨夜|어제", re.I), "yesterday"),
    (re.compile(r"\bday before yesterday\b|一昨日|おととい|그저께", re.I), "day_before"),
    (
        re.compile(r"\btoday\b|\btonight\b|\bthis morning\b|\bthis evening\b|今日|今夜|오늘", re.I),
        "today",
    ),
    (re.compile(r"\btomorrow\b|明日|내일", re.I), "tomorrow"),
    (re.compile(rf"\b({NUM_RE})\s+(day|week|month|year)s?\s+ago\b", re.I), "ago"),
    (re.compile(r"\b(last|this|next|past)\s+(week|weekend|month|year)\b", re.I), "relative_unit"),
    (re.compile(r"先週|지난\s?주"), "last_week"),
    (re.compile(r"来週|다음\s?주"), "next_week"),
    (re.compile(r"先月|지난\s?달"), "last_month"),
    (re.compile(r"来月|다음\s?달"), "next_month"),
    (re.compile(r"去年|昨年|작년"), "last_year"),
    (
        re.compile(
            r"\b(last|this|next|on)\s+(monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b",
            re.I,
        ),
        "weekday",
    ),
    (re.compile(rf"\b(?:in|during|since|by|of|last)\s+({MONTH_RE})\b(?!\s+\d)", re.I), "month"),
    (re.compile(r"\b(?:in|during|since|of)\s+((?:19|20)\d{2})\b"), "year"),
]


def _resolve(kind: str, match: re.Match, today: date) -> TimeRange | None:
    g = match.groups()
    if kind == "iso":
        day = _safe_date(int(g[0]), int(g[1]), int(g[2]))
        return TimeRange(day, day) if day else None
    if kind in ("d_m_y", "m_d_y"):
        d, m = (g[0], g[1]) if kind == "d_m_y" else (g[1], g[0])
        day = _safe_date(int(g[2]), MONTHS[m.lower()], int(d))
        return TimeRange(day, day) if day else None
    if kind in ("d_m", "m_d"):
        d, m = (g[0], g[1]) if kind == "d_m" else (g[1], g[0])
        day = _safe_date(today.year, MONTHS[m.lower()], int(d))
        if day and day > today + timedelta(days=183):
            day = _safe_date(today.year - 1, MONTHS[m.lower()], int(d))
        return TimeRange(day, day) if day else None
    if kind == "m_y":
        return _month_range(int(g[1]), MONTHS[g[0].lower()])
    if kind in ("yesterday", "day_before", "today", "tomorrow"):
        offset = {"yesterday": -1, "day_before": -2, "today": 0, "tomorrow": 1}[kind]
        day = today + timedelta(days=offset)
        return TimeRange(day, day)
    if kind == "ago":
        return _ago(_amount(g[0]), g[1].lower(), today)
    if kind == "relative_unit":
        which, unit = g[0].lower(), g[1].lower()
        step = {"last": -1, "past": -1, "this": 0, "next": 1}[which]
        if unit == "week":
            return _week(today + timedelta(weeks=step))
        if unit == "weekend":
            saturday = _week(today + timedelta(weeks=step)).start + timedelta(days=5)
            return TimeRange(saturday, saturday + timedelta(days=1))
        if unit == "month":
            return _month_range(*_shift_months(today, step))
        year = today.year + step
        return TimeRange(date(year, 1, 1), date(year, 12, 31))
    if kind in ("last_week", "next_week"):
        return _week(today + timedelta(weeks=-1 if kind == "last_week" else 1))
    if kind in ("last_month", "next_month"):
        return _month_range(*_shift_months(today, -1 if kind == "last_month" else 1))
    if kind == "last_year":
        return TimeRange(date(today.year - 1, 1, 1), date(today.year - 1, 12, 31))
    if kind == "weekday":
        which, target = g[0].lower(), WEEKDAYS[g[1].lower()]
        delta = (today.weekday() - target) % 7
        if which == "next":
            day = today + timedelta(days=(target - today.weekday()) % 7 or 7)
        elif which == "this":
            day = _week(today).start + timedelta(days=target)
        else:  # "last Friday", "on Friday": the most recent one
            day = today - timedelta(days=delta or 7)
        return TimeRange(day, day)
    if kind == "month":
        month = MONTHS[g[0].lower()]
        year = today.year if month <= today.month else today.year - 1
        return _month_range(year, month)
    if kind == "year":
        year = int(g[0])
        return TimeRange(date(year, 1, 1), date(year, 12, 31))
    return None


def resolve_time(text: str, reference: datetime | date) -> TimeRange | None:
    """The first (leftmost) time expression in `text`, resolved against `reference`."""
    today = reference.date() if isinstance(reference, datetime) else reference
    found: list[tuple[int, int, TimeRange]] = []
    for priority, (pattern, kind) in enumerate(PATTERNS):
        for match in pattern.finditer(text):
            resolved = _resolve(kind, match, today)
            if resolved:
                found.append((match.start(), priority, resolved))
                break
    if not found:
        return None
    found.sort(key=lambda item: (item[0], item[1]))
    return found[0][2]
