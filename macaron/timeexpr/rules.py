"""The grammar of time expressions in English, Japanese and Korean: each rule turns a match into
a piece (a day, a week, a month, a season, a year, a holiday, a day of the month or a time of
day); `macaron.timeexpr.resolver` combines the pieces of a sentence."""

import calendar
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from macaron.timeexpr.calendar import (
    HOLIDAYS,
    SEASONS,
    Span,
    add_months,
    month_span,
    safe_date,
    season,
    shift_month,
    week_start,
    yearly,
)

# Levels of specificity: the smaller wins.
DAY, WEEK, MONTH, SEASON, YEAR = 1, 2, 3, 4, 5


@dataclass(frozen=True)
class Context:
    today: date
    clock: time | None
    past: bool

    @property
    def mode(self) -> str:
        return "past" if self.past else "future"


@dataclass
class Piece:
    begin: int
    stop: int
    kind: str  # "range", "dom" (day of month), "clock", "year", "void" (a non-date that blocks)
    level: int = DAY
    start: date | None = None
    end: date | None = None
    at: time | None = None
    value: int = 0  # the day of the month, the year
    clock: tuple[int, int, bool] | None = None  # hour, minute, am/pm known
    rebase: Callable[[int], Span | None] | None = None  # the same words in a given year

    @property
    def span(self) -> Span | None:
        """The days of a range (None for the other kinds, which carry none)."""
        if self.start is None or self.end is None:
            return None
        return self.start, self.end


def normalise(text: str) -> str:
    text = unicodedata.normalize("NFKC", text)
    return KANJI_COUNT_RE.sub(lambda m: str(_kanji_number(m.group(1))), text)


KANJI_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
KANJI_COUNT_RE = re.compile(
    r"([一二三四五六七八九十]+)(?=日(?![本曜])|週|ヶ月|か月|カ月|ヵ月|年|時(?![的期間代])|分)"
)


def _kanji_number(text: str) -> int:
    if "十" not in text:
        return int("".join(str(KANJI_DIGITS[c]) for c in text))
    tens, _, ones = text.partition("十")
    return (KANJI_DIGITS.get(tens, 1) if tens else 1) * 10 + (KANJI_DIGITS.get(ones, 0))


MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
MONTH_ABBR = {name.lower(): i for i, name in enumerate(calendar.month_abbr) if name}
MONTH_ABBR["sept"] = 9
ALL_MONTHS = {**MONTH_ABBR, **MONTHS}
MONTH_RE = "|".join(sorted(ALL_MONTHS, key=len, reverse=True))
FULL_MONTH_RE = "|".join(sorted(MONTHS, key=len, reverse=True))
WEEKDAYS = {name.lower(): i for i, name in enumerate(calendar.day_name)}
WEEKDAY_RE = "|".join(WEEKDAYS)
JA_WEEKDAYS = {c: i for i, c in enumerate("月火水木金土日")}
KO_WEEKDAYS = {c: i for i, c in enumerate("월화수목금토일")}
NUMBER_WORDS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15,
    "twenty": 20, "thirty": 30, "a couple of": 2, "couple of": 2, "a few": 3, "few": 3,
    "several": 4,
}  # fmt: skip
NUM_RE = r"\d+|" + "|".join(sorted(NUMBER_WORDS, key=len, reverse=True))
KO_NUMBERS = {
    "한": 1, "두": 2, "세": 3, "네": 4, "다섯": 5, "여섯": 6, "일곱": 7, "여덟": 8, "아홉": 9,
    "열": 10, "열한": 11, "열두": 12,
}  # fmt: skip
KO_NUM_RE = r"\d+|" + "|".join(sorted(KO_NUMBERS, key=len, reverse=True))
KO_DAY_COUNTS = {
    "하루": 1, "이틀": 2, "사흘": 3, "나흘": 4, "닷새": 5, "엿새": 6, "이레": 7, "열흘": 10,
}  # fmt: skip
ORDINALS = {"first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4,
            "4th": 4, "last": 5}  # fmt: skip
PM_WORDS = re.compile(
    r"\b(tonight|evening|afternoon|night|p\.?m\.?)\b|午後|夜|晩|夕方|오후|저녁|밤", re.I
)
AM_WORDS = re.compile(r"\b(morning|a\.?m\.?)\b|午前|朝|오전|아침|새벽", re.I)


def _number(text: str) -> int:
    text = text.strip().lower()
    if text.isdigit():
        return int(text)
    return NUMBER_WORDS.get(text) or KO_NUMBERS.get(text) or 1


Handler = Callable[[re.Match, Context], "Piece | None"]  # None: not a time after all
RULES: list[tuple[re.Pattern, Handler]] = []


def rule(pattern: str, flags: int = re.I):
    def register(handler: Handler) -> Handler:
        RULES.append((re.compile(pattern, flags), handler))
        return handler

    return register


def _day(m: re.Match, day: date | None, at: time | None = None) -> "Piece":
    if day is None:
        return Piece(m.start(), m.end(), "void")
    return Piece(m.start(), m.end(), "range", DAY, day, day, at=at)


def _span(m: re.Match, span: Span | None, level: int, rebase=None) -> "Piece":
    if span is None:
        return Piece(m.start(), m.end(), "void")
    return Piece(m.start(), m.end(), "range", level, span[0], span[1], rebase=rebase)


def _mode(word: str | None, ctx: Context) -> str:
    word = (word or "").lower().strip()
    if word in ("last", "past", "previous", "지난", "저번", "작년", "去年", "昨年"):
        return "last"
    if word in ("next", "coming", "upcoming", "다음", "내년", "来年"):
        return "next"
    if word in ("this", "이번", "올해", "今年", "この"):
        return "this"
    if word == "since":  # "since March": the last March that has begun
        return "past"
    return ctx.mode


# Absolute dates.


@rule(r"\b(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[T ](\d{1,2}):(\d{2}))?\b")
def _iso(m, ctx):
    day = safe_date(int(m[1]), int(m[2]), int(m[3]))
    at = time(int(m[4]), int(m[5])) if m[4] and int(m[4]) < 24 and int(m[5]) < 60 else None
    return _day(m, day, at)


@rule(rf"\b(?:the\s+)?(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?({MONTH_RE})\.?(?:,?\s+(\d{{4}}))?\b")
def _d_m_y(m, ctx):
    return _dated(m, ctx, int(m[1]), ALL_MONTHS[m[2].lower()], m[3])


@rule(rf"\b({MONTH_RE})\.?\s+(?:the\s+)?(\d{{1,2}})(?:st|nd|rd|th)?\b(?:,?\s+(\d{{4}})\b)?(?!:)")
def _m_d_y(m, ctx):
    return _dated(m, ctx, int(m[2]), ALL_MONTHS[m[1].lower()], m[3])


@rule(r"(?:(\d{4})\s*[年년]\s*)?(\d{1,2})\s*[月월]\s*(\d{1,2})\s*[日일]")
def _cjk_date(m, ctx):
    return _dated(m, ctx, int(m[3]), int(m[2]), m[1])


def _dated(
    m: re.Match, ctx: Context, day: int, month: int, year: str | None, last_day: int | None = None
) -> "Piece":
    """A day (or a run of days, "10 to 14 December") of a month, in the year said or the
    occurrence the tense points to."""
    if not 1 <= month <= 12:
        return Piece(m.start(), m.end(), "void")

    def make(y: int) -> Span | None:
        first, last = safe_date(y, month, day), safe_date(y, month, last_day or day)
        return (first, last) if first and last and first <= last else None

    span = make(int(year)) if year else yearly(make, ctx.today, ctx.mode)
    return _span(m, span, DAY, rebase=None if year else make)


RANGE_TO = r"\s*(?:-|–|~|〜|to|until|till|through)\s*"


@rule(
    rf"\b(?:from\s+)?(?:the\s+)?(\d{{1,2}})(?:st|nd|rd|th)?{RANGE_TO}(?:the\s+)?(\d{{1,2}})(?:st|nd|rd|th)?"
    rf"\s+(?:of\s+)?({MONTH_RE})\.?(?:,?\s+(\d{{4}}))?\b"
)
def _en_d_d_m(m, ctx):
    return _dated(m, ctx, int(m[1]), ALL_MONTHS[m[3].lower()], m[4], int(m[2]))


@rule(
    rf"\b(?:from\s+)?({MONTH_RE})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?{RANGE_TO}(\d{{1,2}})(?:st|nd|rd|th)?\b"
    rf"(?:,?\s+(\d{{4}})\b)?(?!:)"
)
def _en_m_d_d(m, ctx):
    return _dated(m, ctx, int(m[2]), ALL_MONTHS[m[1].lower()], m[4], int(m[3]))


@rule(
    r"(?:(\d{4})\s*[年년]\s*)?(\d{1,2})\s*[月월]\s*(\d{1,2})\s*[日일]\s*(?:から|부터)?\s*[-~〜～]?\s*"
    r"(\d{1,2})\s*[日일]\s*(?:まで|까지)?"
)
def _cjk_d_d(m, ctx):
    return _dated(m, ctx, int(m[3]), int(m[2]), m[1], int(m[4]))


# Relative days.

RELATIVE_DAYS = [
    (r"\bthe\s+day\s+after\s+tomorrow\b|\bday\s+after\s+tomorrow\b|明後日|あさって|모레", 2),
    (r"明々後日|明明後日|しあさって|글피", 3),
    (r"\bthe\s+day\s+before\s+yesterday\b|\bday\s+before\s+yesterday\b|一昨日|おととい|그저께|그제|엊그제", -2),
    (r"\byesterday\b|\blast\s+night\b|昨日|きのう|昨夜|昨晩|어제|어젯밤", -1),
    (r"\btomorrow\b|明日|あした|あす|내일", 1),
    (r"\btoday\b|\btonight\b|\bthis\s+(?:morning|afternoon|evening)\b|今日|きょう|今夜|今晩|今朝|"
     r"오늘|오늘\s*밤", 0),
]  # fmt: skip

for _pattern, _offset in RELATIVE_DAYS:

    @rule(_pattern)
    def _relative_day(m, ctx, offset=_offset):
        return _day(m, ctx.today + timedelta(days=offset))


def _counted(m: re.Match, ctx: Context, n: int, unit: str, sign: int):
    unit = unit.lower()
    if unit in ("hour", "hours", "時間", "시간", "minute", "minutes", "min", "mins", "分", "분"):
        if ctx.clock is None:
            return Piece(m.start(), m.end(), "void")
        hours = unit in ("hour", "hours", "時間", "시간")
        moment = datetime.combine(ctx.today, ctx.clock) + sign * (
            timedelta(hours=n) if hours else timedelta(minutes=n)
        )
        return _day(m, moment.date(), moment.time().replace(second=0, microsecond=0))
    if unit.startswith(("day", "日", "일")):
        return _day(m, ctx.today + timedelta(days=sign * n))
    if unit.startswith("fortnight"):
        return _day(m, ctx.today + timedelta(weeks=2 * sign * n))
    if unit.startswith(("week", "週", "주")):
        return _day(m, ctx.today + timedelta(weeks=sign * n))
    if unit.startswith(("month", "ヶ月", "か月", "カ月", "ヵ月", "ケ月", "달", "개월")):
        return _day(m, add_months(ctx.today, sign * n))
    year = ctx.today.year + sign * n
    return _span(m, (date(year, 1, 1), date(year, 12, 31)), YEAR)


EN_UNIT = r"(days?|weeks?|fortnights?|months?|years?|hours?|minutes?|mins?)"


@rule(rf"\b({NUM_RE})\s+{EN_UNIT}\s+(ago|before|earlier|back)\b")
def _en_ago(m, ctx):
    return _counted(m, ctx, _number(m[1]), m[2], -1)


@rule(rf"\b(?:in|within|after)\s+(?:about\s+|around\s+)?({NUM_RE})\s+{EN_UNIT}(?:'?s?\s+time)?\b")
def _en_in(m, ctx):
    if ctx.past:
        return None  # "I ran it in 30 minutes", "we built it in two weeks": a duration
    return _counted(m, ctx, _number(m[1]), m[2], 1)


@rule(rf"\b({NUM_RE})\s+{EN_UNIT}\s+(?:from\s+(?:now|today)|later|later\s+on)\b")
def _en_later(m, ctx):
    return _counted(m, ctx, _number(m[1]), m[2], 1)


@rule(r"(\d+)\s*(日|週間|週|ヶ月|か月|カ月|ヵ月|ケ月|年|時間|分)\s*(前|後|あと|たったら|経ったら)")
def _ja_count(m, ctx):
    return _counted(m, ctx, int(m[1]), m[2], -1 if m[3] == "前" else 1)


@rule(rf"({KO_NUM_RE})\s*(일|주일|주|달|개월|년|시간|분)\s*(전|후|뒤|있으면|지나면)")
def _ko_count(m, ctx):
    n = 7 if m[2] == "주일" and m[1] in ("일", "") else _number(m[1])
    return _counted(m, ctx, n, m[2], -1 if m[3] == "전" else 1)


@rule(r"일주일\s*(전|후|뒤)")
def _ko_one_week(m, ctx):
    return _counted(m, ctx, 1, "주", -1 if m[1] == "전" else 1)


@rule("(" + "|".join(KO_DAY_COUNTS) + r")\s*(전|후|뒤)")
def _ko_day_count(m, ctx):
    return _counted(m, ctx, KO_DAY_COUNTS[m[1]], "일", -1 if m[2] == "전" else 1)


# Weekdays.


def _weekday(ctx: Context, target: int, which: str | None) -> date:
    today = ctx.today
    if which in ("this_week", "next_week", "last_week", "week_after_next"):
        weeks = {"this_week": 0, "next_week": 1, "last_week": -1, "week_after_next": 2}[which]
        return week_start(today) + timedelta(weeks=weeks, days=target)
    ahead = (target - today.weekday()) % 7
    behind = (today.weekday() - target) % 7
    if which == "next":
        return week_start(today) + timedelta(weeks=1, days=target)
    if which == "last" or (which is None and ctx.past):
        return today - timedelta(days=behind or 7)
    if which == "this":
        return today - timedelta(days=behind) if ctx.past else today + timedelta(days=ahead)
    return today + timedelta(days=ahead or 7)


@rule(
    rf"\b(?:(this|next|last|coming|past|every|each)\s+)?({WEEKDAY_RE})\b(?!s)(?:\s+(this|next|last)\s+week\b)?"
)
def _en_weekday(m, ctx):
    which = (m[1] or "").lower() or None
    if which in ("every", "each"):
        return Piece(m.start(), m.end(), "void")  # a habit, not a date
    which = {"coming": "this", "past": "last"}.get(which or "", which)
    if m[3]:
        which = f"{m[3].lower()}_week"
    return _day(m, _weekday(ctx, WEEKDAYS[m[2].lower()], which))


@rule(rf"\b(this|next|last)\s+week(?:'s)?\s+(?:on\s+)?({WEEKDAY_RE})\b")
def _en_week_weekday(m, ctx):
    return _day(m, _weekday(ctx, WEEKDAYS[m[2].lower()], f"{m[1].lower()}_week"))


JA_WEEK = {
    "今週": "this_week",
    "来週": "next_week",
    "先週": "last_week",
    "再来週": "week_after_next",
}
KO_WEEK = {"이번": "this_week", "다음": "next_week", "지난": "last_week", "저번": "last_week",
           "다다음": "week_after_next"}  # fmt: skip


@rule(r"(再来週|今週|来週|先週|毎週)?\s*の?\s*([月火水木金土日])曜(?:日)?")
def _ja_weekday(m, ctx):
    if m[1] == "毎週":
        return Piece(m.start(), m.end(), "void")  # every week: a habit, not a date
    return _day(m, _weekday(ctx, JA_WEEKDAYS[m[2]], JA_WEEK.get(m[1] or "")))


@rule(r"(?:(다다음|이번|다음|지난|저번|매)\s*주\s*)?([월화수목금토일])요일")
def _ko_weekday(m, ctx):
    if m[1] == "매":
        return Piece(m.start(), m.end(), "void")  # every week: a habit, not a date
    return _day(m, _weekday(ctx, KO_WEEKDAYS[m[2]], KO_WEEK.get(m[1] or "")))


# Weeks and weekends.


def _week_span(ctx: Context, weeks: int) -> Span:
    start = week_start(ctx.today) + timedelta(weeks=weeks)
    return start, start + timedelta(days=6)


def _weekend(ctx: Context, which: str) -> Span:
    today = ctx.today
    if which == "next":
        saturday = week_start(today) + timedelta(weeks=1, days=5)
    elif which == "last" or (which == "bare" and ctx.past):
        saturday = week_start(today) - timedelta(days=2)
        if today.weekday() == 6 and which == "bare":
            saturday = today - timedelta(days=1)
    else:  # this weekend: the one under way or the coming one
        saturday = week_start(today) + timedelta(days=5)
    return saturday, saturday + timedelta(days=1)


@rule(r"\b(?:(this|next|last|the\s+past|the|this\s+coming)\s+)?weekend\b")
def _en_weekend(m, ctx):
    word = (m[1] or "").lower()
    which = {"next": "next", "last": "last", "the past": "last", "this": "this",
             "this coming": "this"}.get(word, "bare")  # fmt: skip
    return _span(m, _weekend(ctx, which), WEEK)


@rule(r"(今週末|来週末|先週末|週末)|(이번\s*주말|다음\s*주말|지난\s*주말|저번\s*주말|주말)")
def _cjk_weekend(m, ctx):
    word = re.sub(r"\s", "", m[0])
    which = "bare"
    if word.startswith(("来週", "다음")):
        which = "next"
    elif word.startswith(("先週", "지난", "저번")):
        which = "last"
    elif word.startswith(("今週", "이번")):
        which = "this"
    return _span(m, _weekend(ctx, which), WEEK)


@rule(
    r"\b(?:the\s+)?week\s+(after\s+next|before\s+last)\b|\b(this|next|last|past|previous)\s+week\b"
)
def _en_week(m, ctx):
    word = re.sub(r"\s+", " ", (m[1] or m[2]).lower())
    weeks = {"this": 0, "next": 1, "last": -1, "past": -1, "previous": -1,
             "after next": 2, "before last": -2}[word]  # fmt: skip
    return _span(m, _week_span(ctx, weeks), WEEK)


@rule(r"再来週|今週|来週|先週|(?:다다음|이번|다음|지난|저번)\s*주(?![말일])")
def _cjk_week(m, ctx):
    word = re.sub(r"\s", "", m[0])
    weeks = {"再来週": 2, "今週": 0, "来週": 1, "先週": -1, "다다음주": 2, "이번주": 0,
             "다음주": 1, "지난주": -1, "저번주": -1}[word]  # fmt: skip
    return _span(m, _week_span(ctx, weeks), WEEK)


# Months, parts of months, days of the month.


def _part(span: Span, part: str | None) -> Span:
    start, end = span
    if not part:
        return span
    if part in ("1", "2", "3", "4"):
        first = start + timedelta(weeks=int(part) - 1)
        return first, min(end, first + timedelta(days=6))
    if part == "5":  # the last week
        return end - timedelta(days=6), end
    if part == "early":
        return start, start + timedelta(days=9)
    if part == "mid":
        return start + timedelta(days=10), start + timedelta(days=19)
    if part == "late":
        return start + timedelta(days=20), end
    if part == "end":
        return end, end
    return span


def _month_piece(m: re.Match, ctx: Context, month: int, mode: str, part: str | None = None):
    def make(year: int) -> Span:
        return _part(month_span(year, month), part)

    whole = yearly(lambda y: month_span(y, month), ctx.today, mode)
    if whole is None:
        return Piece(m.start(), m.end(), "void")
    level = WEEK if part else MONTH
    return _span(m, _part(whole, part), level, rebase=make)


def _relative_month_piece(m: re.Match, ctx: Context, months: int, part: str | None = None):
    return _span(
        m, _part(month_span(*shift_month(ctx.today, months)), part), WEEK if part else MONTH
    )


PART_EN = r"(?:(early|mid|late|the\s+(?:beginning|start|middle|end)\s+of|(?:the\s+)?(first|second|third|fourth|last|1st|2nd|3rd|4th)\s+week\s+of)[\s-]*)?"
EN_PARTS = {"early": "early", "mid": "mid", "late": "late", "the beginning of": "early",
            "the start of": "early", "the middle of": "mid", "the end of": "late"}  # fmt: skip


def _en_part(m: re.Match) -> str | None:
    if m[2]:
        return str(ORDINALS[m[2].lower()])
    if m[1]:
        return EN_PARTS.get(re.sub(r"\s+", " ", m[1].lower()))
    return None


@rule(rf"\b{PART_EN}(?:(in|last|next|this|since|until|of|during|by)\s+)?({FULL_MONTH_RE})\b")
def _en_month(m, ctx):
    name = m[4]
    if name.lower() in ("may", "march") and name[0].islower() and not m[3] and not m[1]:
        return None  # the verbs "may" and "march"
    if name.lower() == "may" and name[0] == "M" and not (m[3] or m[1]) and m.start() == 0:
        return None  # "May I ask…"
    part = _en_part(m)
    return _month_piece(m, ctx, MONTHS[name.lower()], _mode(m[3], ctx), part)


@rule(
    rf"\b{PART_EN}(this|next|last|the\s+previous|the\s+following|the)\s+month\b|\bthe\s+month\s+after\s+next\b"
)
def _en_relative_month(m, ctx):
    which = re.sub(r"\s+", " ", (m[3] or "after next").lower())
    if which == "the" and not _en_part(m):
        return None  # "the month" alone; "the end of the month" is this month's end
    months = {"this": 0, "the": 0, "next": 1, "last": -1, "the previous": -1,
              "the following": 1}.get(which, 2)  # fmt: skip
    return _relative_month_piece(m, ctx, months, _en_part(m))


CJK_PART = {"上旬": "early", "初め": "early", "はじめ": "early", "中旬": "mid", "下旬": "late",
            "末": "late", "초": "early", "중순": "mid", "말": "late", "하순": "late"}  # fmt: skip
CJK_PART_RE = r"(?:の?\s*(上旬|中旬|下旬|末|初め|はじめ)|\s*(초|중순|하순|말)(?![고씀]))?"


@rule(rf"(再来月|今月|来月|先月|(?:다다음|이번|다음|지난|저번)\s*달){CJK_PART_RE}")
def _cjk_relative_month(m, ctx):
    word = re.sub(r"\s", "", m[1])
    months = {"再来月": 2, "今月": 0, "来月": 1, "先月": -1, "다다음달": 2, "이번달": 0,
              "다음달": 1, "지난달": -1, "저번달": -1}[word]  # fmt: skip
    return _relative_month_piece(m, ctx, months, CJK_PART.get(m[2] or m[3] or ""))


@rule(rf"(?<!\d)(\d{{1,2}})\s*[月월](?!\s*\d)(?!曜){CJK_PART_RE}")
def _cjk_month(m, ctx):
    month = int(m[1])
    if not 1 <= month <= 12:
        return Piece(m.start(), m.end(), "void")
    return _month_piece(m, ctx, month, ctx.mode, CJK_PART.get(m[2] or m[3] or ""))


def _day_of_month(m: re.Match, day: int) -> "Piece":
    if not 1 <= day <= 31:
        return Piece(m.start(), m.end(), "void")
    return Piece(m.start(), m.end(), "dom", DAY, value=day)


@rule(r"\b(?:on\s+)?the\s+(\d{1,2})(?:st|nd|rd|th)\b")
def _en_dom(m, ctx):
    return _day_of_month(m, int(m[1]))


@rule(r"(?<![\d.:])(\d{1,2})\s*日(?![間中前後ぶ本曜])")
def _ja_dom(m, ctx):
    return _day_of_month(m, int(m[1]))


@rule(r"(?<![\d.:])(\d{1,2})\s*일(?!\s*(?:동안|간|전|후|뒤|째|만에|씩))")
def _ko_dom(m, ctx):
    return _day_of_month(m, int(m[1]))


# Seasons, years, holidays.


@rule(
    r"\b(?:(this|next|last|past)\s+)?(spring|summer|autumn|fall|winter)\b(?:\s+(?:of\s+)?((?:19|20)\d{2}))?"
)
def _en_season(m, ctx):
    make = season(SEASONS[m[2].lower()])
    if m[3]:
        return _span(m, make(int(m[3])), SEASON)
    return _span(m, yearly(make, ctx.today, _mode(m[1], ctx)), SEASON, rebase=make)


@rule(
    r"(去年|昨年|今年|来年|この|작년|올해|내년|지난|이번|다음)?\s*の?\s*(春|夏|秋|冬|봄|여름|가을|겨울)(?!服|物|季|場|祭|학기|옷)"
)
def _cjk_season(m, ctx):
    make = season(SEASONS[m[2]])
    word = m[1] or ""
    if word in ("去年", "昨年", "작년"):
        return _span(m, make(ctx.today.year - 1), SEASON)
    if word in ("今年", "올해"):
        return _span(m, make(ctx.today.year), SEASON)
    if word in ("来年", "내년"):
        return _span(m, make(ctx.today.year + 1), SEASON)
    return _span(m, yearly(make, ctx.today, _mode(word, ctx)), SEASON, rebase=make)


for _pattern, _make in HOLIDAYS:

    @rule(rf"(?:\b(this|next|last)\s+)?(?<![A-Za-z])(?:{_pattern})(?![A-Za-z])")
    def _holiday(m, ctx, make=_make):
        span = yearly(make, ctx.today, _mode(m[1], ctx))
        level = DAY if span and span[0] == span[1] else WEEK
        return _span(m, span, level, rebase=make)


def _year_piece(m: re.Match, year: int) -> "Piece":
    piece = _span(m, (date(year, 1, 1), date(year, 12, 31)), YEAR)
    piece.kind, piece.value = "year", year
    return piece


@rule(
    r"(?<![\d$£€¥#.,])((?:19|20)\d{2})(?![\d%]|'?s\b)(?!\s*(?:people|steps|dollars|yen|won|euros?|km|kg|m\b|miles|words))\s*[年년]?"
)
def _year_number(m, ctx):
    return _year_piece(m, int(m[1]))


@rule(
    r"\b(this|next|last|past|the\s+previous|the\s+following)\s+year\b|\bthe\s+year\s+(before\s+last|after\s+next)\b"
)
def _en_year(m, ctx):
    word = (m[1] or m[2]).lower()
    offset = {"this": 0, "next": 1, "last": -1, "past": -1, "the previous": -1,
              "the following": 1, "before last": -2, "after next": 2}[word]  # fmt: skip
    return _year_piece(m, ctx.today.year + offset)


CJK_YEARS = {"一昨年": -2, "おととし": -2, "去年": -1, "昨年": -1, "今年": 0, "来年": 1, "再来年": 2,
             "재작년": -2, "작년": -1, "지난해": -1, "올해": 0, "금년": 0, "내년": 1, "내후년": 2}  # fmt: skip


@rule("|".join(sorted(CJK_YEARS, key=len, reverse=True)))
def _cjk_year(m, ctx):
    return _year_piece(m, ctx.today.year + CJK_YEARS[m[0]])


# Times of day.


def _clock(m: re.Match, hour: int, minute: int, known: bool) -> "Piece":
    if not (0 <= hour <= 24 and 0 <= minute < 60):
        return Piece(m.start(), m.end(), "void")
    piece = Piece(m.start(), m.end(), "clock")
    piece.clock = (hour % 24, minute, known)
    return piece


@rule(r"\b(?:at\s+)?(\d{1,2})(?:[:.](\d{2}))?\s*(a\.?m\.?|p\.?m\.?)(?![A-Za-z])")
def _en_ampm(m, ctx):
    hour, pm = int(m[1]), m[3].lower().startswith("p")
    if not 1 <= hour <= 12:
        return Piece(m.start(), m.end(), "void")
    return _clock(m, hour % 12 + (12 if pm else 0), int(m[2] or 0), True)


@rule(
    r"\b(?:(?:at|by|from|until|till|around|before|after)\s+([01]?\d|2[0-3])|([01]\d|2[0-3])):([0-5]\d)\b"
)
def _en_colon(m, ctx):
    """ "at 7:30", "19:30", "09:15" (a bare "3:16" may be a verse or a score)."""
    hour = int(m[1] or m[2])
    return _clock(m, hour, int(m[3]), hour == 0 or hour > 12)


@rule(r"\bat\s+(\d{1,2})(?:\s*o'?clock)?\b(?![:.,]?\d|\s*(?:%|percent|years|people|kg|km))")
def _en_at(m, ctx):
    return _clock(m, int(m[1]), 0, int(m[1]) > 12)


@rule(
    r"\b(?:at\s+)?(half|quarter)\s+(past|to)\s+(\d{1,2}|"
    + "|".join(list(NUMBER_WORDS)[2:14])
    + r")\b"
)
def _en_past_to(m, ctx):
    hour = _number(m[3])
    minutes = 30 if m[1].lower() == "half" else 15
    if m[2].lower() == "to":
        hour, minutes = hour - 1, 60 - minutes
    return _clock(m, hour, minutes, hour > 12)


@rule(r"\b(?:at\s+)?(noon|midday)\b")
def _en_noon(m, ctx):
    return _clock(m, 12, 0, True)


@rule(r"(午前|午後|朝|夜|夕方|昼|晩|深夜)?\s*の?\s*(\d{1,2})\s*時\s*(?:(\d{1,2})\s*分|(半))?")
def _ja_clock(m, ctx):
    return _cjk_clock(m, m[1], int(m[2]), 30 if m[4] else int(m[3] or 0))


@rule(
    rf"(오전|오후|아침|저녁|밤|낮|새벽)?\s*({KO_NUM_RE})\s*시(?![간작장계])\s*(?:(\d{{1,2}})\s*분|(반))?"
)
def _ko_clock(m, ctx):
    return _cjk_clock(m, m[1], _number(m[2]), 30 if m[4] else int(m[3] or 0))


def _cjk_clock(m: re.Match, part: str | None, hour: int, minute: int) -> "Piece":
    pm = part in ("午後", "夜", "夕方", "晩", "오후", "저녁", "밤")
    if part in ("昼", "낮") and hour < 6:
        pm = True
    if pm and hour < 12:
        hour += 12
    elif part in ("午前", "오전", "深夜", "새벽") and hour == 12:
        hour = 0
    return _clock(m, hour, minute, bool(part) or hour > 12)
