"""Calendar arithmetic for time expressions: months, weeks, recurring dates (which occurrence
is meant), holidays and seasons. Days are the person's local calendar days."""

import calendar
from collections.abc import Callable
from datetime import date, timedelta

Span = tuple[date, date]  # inclusive local days


def month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def month_span(year: int, month: int) -> Span:
    return date(year, month, 1), month_end(year, month)


def shift_month(day: date, months: int) -> tuple[int, int]:
    index = day.year * 12 + day.month - 1 + months
    return index // 12, index % 12 + 1


def add_months(day: date, months: int) -> date:
    year, month = shift_month(day, months)
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def choose(candidates: list[Span], today: date, mode: str) -> Span | None:
    """One occurrence of something that recurs: `future` the next that has not ended, `past` the
    last that has begun, `next` the first that begins after today, `last` the last that ended
    before today, `this` the one of this year (or the one under way)."""
    candidates = sorted(candidates)
    if mode == "this":
        current = [c for c in candidates if c[0] <= today <= c[1]]
        if current:
            return current[0]
        this_year = [c for c in candidates if c[0].year == today.year]
        return this_year[0] if this_year else None
    tests = {
        "future": lambda c: c[1] >= today,
        "next": lambda c: c[0] > today,
        "past": lambda c: c[0] <= today,
        "last": lambda c: c[1] < today,
    }
    chosen = [c for c in candidates if tests[mode](c)]
    if not chosen:
        return None
    return chosen[0] if mode in ("future", "next") else chosen[-1]


def yearly(make: Callable[[int], Span | None], today: date, mode: str) -> Span | None:
    spans = [make(year) for year in range(today.year - 2, today.year + 3)]
    return choose([s for s in spans if s], today, mode)


def _easter(year: int) -> date:
    a, b, c = year % 19, year // 100, year % 100
    d, e = b // 4, b % 4
    g = (8 * b + 13) // 25
    h = (19 * a + b - d - g + 15) % 30
    j, k = c // 4, c % 4
    m = (a + 11 * h) // 319
    r = (2 * e + 2 * j - k - h + m + 32) % 7
    month = (h - m + r + 90) // 25
    return date(year, month, (h - m + r + month + 19) % 32)


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> date:
    first = date(year, month, 1)
    return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))


# Korean lunar holidays (Seollal, Chuseok): the solar dates of the years around now.
SEOLLAL = {
    2020: (1, 25), 2021: (2, 12), 2022: (2, 1), 2023: (1, 22), 2024: (2, 10), 2025: (1, 29),
    2026: (2, 17), 2027: (2, 7), 2028: (1, 27), 2029: (2, 13), 2030: (2, 3), 2031: (1, 23),
    2032: (2, 11), 2033: (1, 31), 2034: (2, 19), 2035: (2, 8),
}  # fmt: skip
CHUSEOK = {
    2020: (10, 1), 2021: (9, 21), 2022: (9, 10), 2023: (9, 29), 2024: (9, 17), 2025: (10, 6),
    2026: (9, 25), 2027: (9, 15), 2028: (10, 3), 2029: (9, 22), 2030: (9, 12), 2031: (10, 1),
    2032: (9, 19), 2033: (9, 8), 2034: (9, 27), 2035: (9, 16),
}  # fmt: skip


def _fixed(month: int, day: int, last_month: int | None = None, last_day: int | None = None):
    def make(year: int) -> Span | None:
        start = safe_date(year, month, day)
        end = safe_date(year, last_month or month, last_day or day)
        return (start, end) if start and end else None

    return make


def _one_day(rule: Callable[[int], date | None]):
    def make(year: int) -> Span | None:
        day = rule(year)
        return (day, day) if day else None

    return make


def _table(table: dict[int, tuple[int, int]]):
    return _one_day(lambda year: date(year, *table[year]) if year in table else None)


HOLIDAYS: list[tuple[str, Callable[[int], Span | None]]] = [
    (r"christmas eve|クリスマス・?イ[ブヴ]|크리스마스\s*이브", _fixed(12, 24)),
    (r"christmas(?:\s+day)?|x-?mas|クリスマス|크리스마스|성탄절", _fixed(12, 25)),
    (r"boxing day", _fixed(12, 26)),
    (r"new year'?s eve|大晦日|大みそか|섣달\s*그믐", _fixed(12, 31)),
    (r"new year'?s(?:\s+day)?|new year|元日|元旦|신정|새해\s*첫날", _fixed(1, 1)),
    (r"お?正月", _fixed(1, 1, 1, 3)),
    (
        r"valentine'?s(?:\s+day)?|バレンタイン(?:デー)?|발렌타인\s*데이|밸런타인\s*데이",
        _fixed(2, 14),
    ),
    (r"white day|ホワイトデー|화이트\s*데이", _fixed(3, 14)),
    (r"(?:st\.?|saint) patrick'?s(?:\s+day)?", _fixed(3, 17)),
    (r"april fools'?(?:\s+day)?", _fixed(4, 1)),
    (r"halloween|ハロウィン|ハロウィーン|할로윈|핼러윈", _fixed(10, 31)),
    (r"independence day|(?:the\s+)?(?:4th|fourth) of july", _fixed(7, 4)),
    (r"golden week|ゴールデンウィーク|GW", _fixed(4, 29, 5, 5)),
    (r"お盆|obon", _fixed(8, 13, 8, 16)),
    (r"七夕", _fixed(7, 7)),
    (r"こどもの日|子供の日|어린이날", _fixed(5, 5)),
    (r"ひな祭り|ひなまつり|雛祭り", _fixed(3, 3)),
    (r"어버이날", _fixed(5, 8)),
    (r"삼일절", _fixed(3, 1)),
    (r"현충일", _fixed(6, 6)),
    (r"광복절", _fixed(8, 15)),
    (r"개천절", _fixed(10, 3)),
    (r"한글날", _fixed(10, 9)),
    (r"easter(?:\s+sunday)?", _one_day(_easter)),
    (r"good friday", _one_day(lambda y: _easter(y) - timedelta(days=2))),
    (r"easter monday", _one_day(lambda y: _easter(y) + timedelta(days=1))),
    (r"thanksgiving", _one_day(lambda y: _nth_weekday(y, 11, 3, 4))),
    (r"mother'?s day", _one_day(lambda y: _nth_weekday(y, 5, 6, 2))),
    (r"father'?s day", _one_day(lambda y: _nth_weekday(y, 6, 6, 3))),
    (r"설날|구정|설\s*연휴|(?:lunar|chinese) new year|春節|旧正月", _table(SEOLLAL)),
    (r"추석|한가위", _table(CHUSEOK)),
]

SEASONS = {
    "spring": 3, "summer": 6, "autumn": 9, "fall": 9, "winter": 12,
    "春": 3, "夏": 6, "秋": 9, "冬": 12, "봄": 3, "여름": 6, "가을": 9, "겨울": 12,
}  # fmt: skip


def season(first_month: int):
    def make(year: int) -> Span:
        end_year, end_month = shift_month(date(year, first_month, 1), 2)
        return date(year, first_month, 1), month_end(end_year, end_month)

    return make
