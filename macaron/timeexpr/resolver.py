"""Time expressions resolved in the person's own time ("tomorrow at 10am" said on 30 Nov → 1 Dec).

Used on the write path (a memory's event time), by reminders and on the read path ("what did I
do last week?" becomes a time filter). Deterministic and offline: grammar rules for English,
Japanese and Korean, no names or dates of particular sentences. Anything it does not understand
yields None, never an error.

How a sentence is read:
- every expression found is a *piece*: a day ("tomorrow", "3 January", "来週の土曜日"), a week,
  a month ("in March", "来月"), a season, a year, a holiday, a day of the month ("on the 15th",
  "5日") or a time of day ("at 10am", "午後3時", "오후 3시");
- pieces that fit together are combined ("来月の5日" → the 5th of next month; "March last year";
  "tomorrow at 10am");
- the most specific piece wins ("next month, on December 18th" → 18 December), the leftmost
  among equals;
- what the text leaves open is settled by tense: plans and recurring dates point to the next
  occurrence ("we fly out on March 12" said in November → next March), the past tense points back
  ("I visited my aunt in March" → the last March that has begun).
"""

import calendar
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

from macaron.text import HAN, HANGUL, HIRAGANA_KATAKANA
from macaron.timeexpr.calendar import Span, choose, month_end, safe_date, shift_month
from macaron.timeexpr.rules import (
    AM_WORDS,
    DAY,
    MONTH,
    PM_WORDS,
    RULES,
    Context,
    Piece,
    normalise,
)
from macaron.timezones import wall_clock


@dataclass(frozen=True)
class TimeRange:
    """Local calendar days, inclusive; `at` is the time of day when one was said (start == end)."""

    start: date
    end: date
    at: time | None = None

    @property
    def has_time(self) -> bool:
        return self.at is not None

    def start_text(self) -> str:
        """`YYYY-MM-DD`, or `YYYY-MM-DDTHH:MM` when a time of day was said."""
        day = self.start.isoformat()
        return f"{day}T{self.at:%H:%M}" if self.at is not None else day

    def end_text(self) -> str:
        day = self.end.isoformat()
        return f"{day}T{self.at:%H:%M}" if self.at is not None else day

    def label(self) -> str:
        if self.start == self.end:
            text = f"{self.start.day} {calendar.month_name[self.start.month]} {self.start.year}"
            return f"{text}, {self.at:%H:%M}" if self.at is not None else text
        if self.start.day == 1 and self.end == month_end(self.start.year, self.start.month):
            return f"{calendar.month_name[self.start.month]} {self.start.year}"
        if self.start == date(self.start.year, 1, 1) and self.end == date(self.start.year, 12, 31):
            return str(self.start.year)
        return f"{self.start.isoformat()} to {self.end.isoformat()}"


def resolve_time(
    text: str,
    now: datetime | date,
    *,
    tz: str | tzinfo | None = None,
    language: str | None = None,
) -> TimeRange | None:
    """The time `text` speaks of, in the person's local days, or None when it names no time.

    `now` is when it was said: an aware datetime (converted into `tz`, else its own zone), a
    naive datetime already in the person's local time, or a local date (then no time of day is
    known, so "at 9am" is not moved to tomorrow when 9am has passed). `language` ("en", "ja",
    "ko") picks the tense rules; by default it is guessed from the script.
    """
    if isinstance(now, datetime):
        moment = wall_clock(now, tz)
        ctx = Context(moment.date(), moment.time(), _is_past(text, language))
    else:
        ctx = Context(now, None, _is_past(text, language))
    text = normalise(text)
    pieces = _non_overlapping(list(_pieces(text, ctx)))
    return _combine(pieces, ctx, text)


# Tense ---------------------------------------------------------------------------------------

PAST_EN = re.compile(
    r"\b(was|were|did|had|went|got|came|saw|met|took|made|ran|bought|told|said|left|gave|found|"
    r"felt|spent|ate|drank|wrote|began|became|flew|drove|rode|swam|sang|won|lost|paid|sold|sent|"
    r"built|kept|slept|thought|brought|caught|taught|heard|held|knew|grew|threw|wore|broke|chose|"
    r"forgot|fell|sat|stood|been|ago|yesterday|last night|used to|\w{2,}ed)\b",
    re.I,
)
NOT_PAST_EN = {
    "need", "feed", "speed", "bed", "red", "seed", "indeed", "hundred", "wed", "shed", "weed",
    "breed", "bleed", "proceed", "exceed", "succeed", "naked", "sacred", "wicked", "beloved",
    "scheduled", "planned", "supposed", "excited", "interested", "married", "tired", "booked",
    "invited", "expected",
}  # fmt: skip
FUTURE_EN = re.compile(
    r"\b(will|shall|going to|gonna|'ll|plan|plans|planning|remind|upcoming|coming|soon|next|"
    r"tomorrow|tonight|let's|want to|would like)\b|'ll\b",
    re.I,
)
PAST_JA = re.compile(
    r"(ました|でした|だった|かった|った|んだ|いだ|した|きた|みた|いた|えた|けた|せた|てた|れた|た)"
    r"(?:よ|ね|な|わ|の|けど|から|んです|です)*(?:[。、！？!?.,\s]|$)"
)
FUTURE_JA = re.compile(r"予定|つもり|ます(?:[。、！？!?.,\s]|$)|ましょう|たい|明日|来週|来月|来年")
PAST_KO_EXCLUDED = {"있", "겠"}
FUTURE_KO = re.compile(r"거예요|거에요|거야|겁니다|게요|예정|계획|겠|내일|다음|내년")


def _language(text: str) -> str:
    if HIRAGANA_KATAKANA.search(text):
        return "ja"
    if HANGUL.search(text):
        return "ko"
    return "ja" if HAN.search(text) else "en"


def _is_past(text: str, language: str | None) -> bool:
    """Whether the sentence tells of the past (else it is a plan, a habit or a recurring date)."""
    lang = (language or "").split("-")[0].lower()
    if lang not in ("en", "ja", "ko"):
        lang = _language(text)
    if lang == "ja":
        return bool(PAST_JA.search(text)) and not FUTURE_JA.search(text)
    if lang == "ko":
        past = any(
            (ord(c) - 0xAC00) % 28 == 20 and c not in PAST_KO_EXCLUDED
            for c in text
            if "\uac00" <= c <= "\ud7a3"
        )
        return past and not FUTURE_KO.search(text)
    past = any(m.group(1).lower() not in NOT_PAST_EN for m in PAST_EN.finditer(text))
    return past and not FUTURE_EN.search(text)


# Combining -------------------------------------------------------------------------------------


def _pieces(text: str, ctx: Context) -> Iterator[Piece]:
    for pattern, handler in RULES:
        for match in pattern.finditer(text):
            if not match.group(0).strip():
                continue
            found = handler(match, ctx)
            if found is not None:
                yield found


def _non_overlapping(pieces: list[Piece]) -> list[Piece]:
    """Longest first: "the day after tomorrow" is not also "tomorrow"."""
    kept: list[Piece] = []
    for piece in sorted(pieces, key=lambda p: (-(p.stop - p.begin), p.begin)):
        if all(piece.stop <= other.begin or piece.begin >= other.stop for other in kept):
            kept.append(piece)
    return sorted(kept, key=lambda p: p.begin)


def _day_of_month_in(ctx: Context, day: int, months: Span | None) -> date | None:
    if months is not None:
        return safe_date(months[0].year, months[0].month, day)
    candidates = []
    for offset in range(-13, 14):
        year, month = shift_month(ctx.today, offset)
        found = safe_date(year, month, day)
        if found:
            candidates.append((found, found))
    chosen = choose(candidates, ctx.today, ctx.mode)
    return chosen[0] if chosen else None


def _combine(pieces: list[Piece], ctx: Context, text: str) -> TimeRange | None:
    ranges = [p for p in pieces if p.kind in ("range", "year")]
    years = [p for p in pieces if p.kind == "year"]
    if years:  # "March 2021", "去年の夏", "Christmas 2025": the same words in that year
        year = years[0].value
        for piece in ranges:
            if piece.rebase is not None:
                span = piece.rebase(year)
                if span:
                    piece.start, piece.end = span
    doms = [p for p in pieces if p.kind == "dom"]
    if doms:  # "来月の5日", "on the 15th of next month", "on the 15th"
        months = [p for p in ranges if p.level == MONTH]
        day = _day_of_month_in(ctx, doms[0].value, months[0].span if months else None)
        if day:
            ranges.append(Piece(doms[0].begin, doms[0].stop, "range", DAY, day, day))
    clocks = [p for p in pieces if p.kind == "clock"]
    if not ranges:
        if not clocks:
            return None
        return _clock_only(clocks[0], ctx, text)
    best = min(ranges, key=lambda p: (p.level, p.begin))
    if best.span is None:
        return None
    at = best.at
    if best.level == DAY and at is None and clocks:
        at = _time_of(clocks[0], text)
    return TimeRange(best.span[0], best.span[1], at)


def _time_of(piece: Piece, text: str) -> time:
    """An hour said without am/pm is read with the words around it ("at 7 tonight" → 19:00);
    without any, 1-6 o'clock is taken as the afternoon."""
    assert piece.clock is not None  # a clock piece always carries its reading
    hour, minute, known = piece.clock
    evening = PM_WORDS.search(text) or (hour <= 6 and not AM_WORDS.search(text))
    if not known and 1 <= hour < 12 and evening:
        hour += 12
    return time(hour, minute)


def _clock_only(piece: Piece, ctx: Context, text: str) -> TimeRange:
    at = _time_of(piece, text)
    day = ctx.today
    if ctx.clock is not None and at < ctx.clock and not ctx.past:
        day += timedelta(days=1)  # "remind me at 9am" said at 10am
    return TimeRange(day, day, at)
