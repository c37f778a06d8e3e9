"""What a request says in numbers: quantities with units, periods and directions ("8 glasses a
day", "under 3 cups", "1日2リットル", "하루 만 보"), bare unit preferences ("in km"), reminder
schedules ("at 9am and 9pm", "every 3 days", "every Monday morning", "毎晩9時", "매일 오후 8시")
and choices named in it ("breast or bottle"). English, Japanese and Korean; pure functions."""

import re
from dataclasses import dataclass, field

# -- units --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Unit:
    code: str  # what a spec shows: "glass", "ml", "EUR", "min"
    dimension: str  # volume, time, distance, mass, money, energy, or a count noun
    factor: float = 1.0  # in the dimension's base unit (ml, min, m, g); 0 for currencies
    whole: bool = True  # logged as integers


UNITS: dict[str, Unit] = {
    u.code: u
    for u in [
        Unit("glass", "volume", 250),
        Unit("serving", "volume", 250),  # 杯/잔: a glass or a cup, whichever the tool counts
        Unit("cup", "volume", 240),
        Unit("bottle", "volume", 500),
        Unit("ml", "volume", 1),
        Unit("l", "volume", 1000, whole=False),
        Unit("oz", "volume", 29.57, whole=False),
        Unit("min", "time", 1),
        Unit("h", "time", 60, whole=False),
        Unit("km", "distance", 1000, whole=False),
        Unit("m", "distance", 1),
        Unit("mi", "distance", 1609.34, whole=False),
        Unit("yd", "distance", 0.9144),
        Unit("kg", "mass", 1000, whole=False),
        Unit("g", "mass", 1),
        Unit("lb", "mass", 453.6, whole=False),
        Unit("EUR", "money", whole=False),
        Unit("USD", "money", whole=False),
        Unit("GBP", "money", whole=False),
        Unit("JPY", "money"),
        Unit("KRW", "money"),
        Unit("kcal", "energy"),
        Unit("mg/dL", "glucose", 1),
        Unit("mmol/L", "glucose", 18, whole=False),
        Unit("steps", "steps"),
        Unit("pages", "pages"),
        Unit("books", "books"),
        Unit("words", "words"),
        Unit("cards", "cards"),
        Unit("films", "films"),
        Unit("cigarette", "cigarette"),
        Unit("drink", "drink"),
        Unit("times", "times"),
        Unit("piece", "piece"),  # 個/개: a counter whose noun decides the field
    ]
}
MONEY_MAX_FACTOR = {"JPY": 150, "KRW": 1500}

# Written forms, longest first inside each alternation. Latin forms need word boundaries.
UNIT_FORMS: dict[str, list[str]] = {
    "glass": [r"glass(?:es)?", "コップ", "컵"],
    "serving": ["杯", "잔"],
    "cup": [r"cups?", r"mugs?"],
    "bottle": [r"bottles?", "ボトル", "병"],
    "ml": [r"ml", r"millilit(?:er|re)s?", "ミリリットル", "ミリ", "㎖", "밀리리터", "미리", "밀리"],
    "l": [r"l", r"lit(?:er|re)s?", r"ltrs?", "リットル", "ℓ", "리터"],
    "oz": [r"oz", r"ounces?"],
    "min": [r"min(?:ute)?s?", r"mins", "分間", "分", "분"],
    "h": [r"h", r"hrs?", r"hours?", "時間", "시간"],
    "km": [
        r"km",
        r"kms",
        r"kilomet(?:er|re)s?",
        r"k",
        "キロメートル",
        "キロ",
        "킬로미터",
        "킬로",
        "㎞",
    ],
    "m": [r"m", r"met(?:er|re)s?", "メートル", "미터"],
    "mi": [r"miles?", r"mi"],
    "yd": [r"yards?", r"yds?"],
    "kg": [r"kg", r"kgs", r"kilos?", r"kilograms?", "キログラム", "킬로그램", "㎏"],
    "g": [r"g", r"grams?", "グラム", "그램"],
    "lb": [r"lbs?", r"pounds? (?:of weight|in weight)"],
    "EUR": [r"euros?", r"eur", "€", "ユーロ", "유로"],
    "USD": [r"dollars?", r"usd", r"bucks", r"\$", "ドル", "달러"],
    "GBP": [r"pounds?", r"gbp", r"quid", "£", "ポンド", "파운드"],
    "JPY": [r"yen", r"jpy", "万円", "円", "¥", "엔"],
    "KRW": [r"won", r"krw", "만원", "원", "₩"],
    "mg/dL": [r"mg/dl", r"mg per dl"],
    "mmol/L": [r"mmol/l", r"mmol"],
    "kcal": [r"kcals?", r"calories", r"cals?", "キロカロリー", "カロリー", "칼로리"],
    "steps": [r"steps?", "歩", "보", "걸음"],
    "pages": [r"pages?", r"pp", "ページ", "頁", "페이지", "쪽"],
    "books": [r"books?", r"novels?", "冊", "권"],
    "words": [
        r"(?:new |vocab(?:ulary)? )?words?",
        r"vocab(?:ulary)?",
        r"kanji",
        "単語",
        "文字",
        "字",
        "語",
        "단어",
    ],
    "cards": [r"(?:flash ?)?cards?", "枚"],
    "films": [r"films?", r"movies?"],
    "cigarette": [r"cigarettes?", r"cigs?", "本のタバコ", "개비"],
    "drink": [r"drinks?", r"units? of alcohol", r"beers?"],
    "times": [r"times", r"sessions?", r"workouts?", "回", "번", "회"],
    "piece": ["個", "つ", "개"],
}
# Nouns that name what a bare counter counts ("20個" of 単語).
COUNT_NOUNS = {
    "words": r"単語|英単語|words?|vocab|단어|漢字|kanji",
    "pages": r"pages?|ページ|페이지",
    "books": r"books?|本を|冊|책",
    "cards": r"cards?|カード|카드",
    "steps": r"steps?|歩数|걸음",
    "glass": r"water|水|물",
}
CJK = r"\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af"


def _unit_alternation() -> tuple[str, list[str]]:
    forms = []
    for code, patterns in UNIT_FORMS.items():
        for pattern in patterns:
            forms.append((code, pattern))
    forms.sort(key=lambda item: -len(item[1]))
    alternation = "|".join(f"(?P<u{i}>{pattern})" for i, (_, pattern) in enumerate(forms))
    return alternation, [code for code, _ in forms]


_UNIT_ALT, _UNIT_CODES = _unit_alternation()

# -- numbers ------------------------------------------------------------------------------------

EN_NUMBERS = {
    "a couple of": 2,
    "a dozen": 12,
    "half an": 0.5,
    "half a": 0.5,
    "zero": 0,
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
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
    "hundred": 100,
    "a hundred": 100,
    "a thousand": 1000,
    "thousand": 1000,
    "an": 1,
    "a": 1,
    "once": 1,
    "twice": 2,
}
ONCE = {"once": 1, "twice": 2, "thrice": 3}
KANJI_DIGITS = {
    "〇": 0,
    "零": 0,
    "一": 1,
    "二": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
    "両": 2,
}
KANJI_POWERS = {"十": 10, "百": 100, "千": 1000}
KO_NATIVE = {
    "한": 1,
    "하나": 1,
    "두": 2,
    "둘": 2,
    "세": 3,
    "셋": 3,
    "네": 4,
    "넷": 4,
    "다섯": 5,
    "여섯": 6,
    "일곱": 7,
    "여덟": 8,
    "아홉": 9,
    "열": 10,
    "스무": 20,
    "스물": 20,
    "서른": 30,
    "마흔": 40,
    "쉰": 50,
}
KO_SINO = {"일": 1, "이": 2, "삼": 3, "사": 4, "오": 5, "육": 6, "칠": 7, "팔": 8, "구": 9}
HALFWIDTH = str.maketrans("０１２３４５６７８９．，", "0123456789.,")


def _kanji_number(text: str) -> int:
    total, section, digit = 0, 0, None
    for char in text:
        if char in KANJI_DIGITS:
            digit = KANJI_DIGITS[char]
        elif char in KANJI_POWERS:
            section += (digit if digit is not None else 1) * KANJI_POWERS[char]
            digit = None
        elif char == "万":
            total += (section + (digit or 0) or 1) * 10000
            section, digit = 0, None
    return total + section + (digit or 0)


def normalise_numbers(text: str) -> str:
    """Digits for number words: "eight" → 8, "二十" → 20, "2万" → 20000, "만 보" → 10000 보,
    "두 잔" → 2 잔. Keeps everything else as written (lower-cased)."""
    text = text.translate(HALFWIDTH).lower()
    text = re.sub(r"(\d),(\d{3})\b", r"\1\2", text)
    thousand = (
        r"(?=\s*(?:steps?|words?|euros?|dollars?|yen|won|pounds?|calories|kcal|a year|per year))"
    )
    text = re.sub(r"(\d+(?:\.\d+)?)k\b" + thousand, lambda m: _fmt(float(m.group(1)) * 1000), text)
    text = re.sub(
        r"([$€£])\s*(\d+(?:\.\d+)?)k\b", lambda m: m.group(1) + _fmt(float(m.group(2)) * 1000), text
    )

    def en_word(match: re.Match) -> str:
        words = match.group(0)
        value: float = 0
        for part in re.split(r"[\s-]+", words):
            value += EN_NUMBERS.get(part, 0) if part not in {"hundred", "thousand"} else 0
            if part == "hundred":
                value = (value or 1) * 100
            if part == "thousand":
                value = (value or 1) * 1000
        return str(value)

    tens = "twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety"
    ones = "one|two|three|four|five|six|seven|eight|nine"
    text = re.sub(rf"\b(?:{tens})[\s-](?:{ones})\b", en_word, text)
    # "twice a week", "once a day": how many times, not an amount.
    text = re.sub(r"\b(once|twice|thrice)\b", lambda m: f"{ONCE[m.group(1)]} times", text)
    words = sorted((w for w in EN_NUMBERS if w not in {"a", "an"}), key=len, reverse=True)
    text = re.sub(
        r"\b(" + "|".join(map(re.escape, words)) + r")\b",
        lambda m: str(EN_NUMBERS[m.group(1)]),
        text,
    )
    # "a glass", "an hour a day": one of a unit.
    text = re.sub(r"\b(?:a|an)\s+(?=(?:glass|cup|bottle|hour|litre|liter|book|page)\b)", "1 ", text)
    text = re.sub(r"(\d+)\s*and a half\b", lambda m: str(float(m.group(1)) + 0.5), text)
    # Japanese: kanji numerals, and 万 after digits.
    text = re.sub(
        r"[〇零一二三四五六七八九十百千両]+万?",
        lambda m: str(_kanji_number(m.group(0))) if _kanji_ok(m, text) else m.group(0),
        text,
    )
    text = re.sub(r"(\d+(?:\.\d+)?)\s*万(?!円)", lambda m: _fmt(float(m.group(1)) * 10000), text)
    text = re.sub(r"(\d+(?:\.\d+)?)\s*万円", lambda m: _fmt(float(m.group(1)) * 10000) + "円", text)
    text = re.sub(r"(\d+(?:\.\d+)?)\s*千", lambda m: _fmt(float(m.group(1)) * 1000), text)
    # Korean: 만/천 as numbers, native counting words before a counter.
    text = re.sub(r"(\d+(?:\.\d+)?)\s*만\s*(?=원)", lambda m: _fmt(float(m.group(1)) * 10000), text)
    text = re.sub(
        r"(\d+(?:\.\d+)?)\s*만(?=\s|$|[보걸명번])", lambda m: _fmt(float(m.group(1)) * 10000), text
    )
    text = re.sub(
        r"(\d+(?:\.\d+)?)\s*천(?=\s|$|[보걸원])", lambda m: _fmt(float(m.group(1)) * 1000), text
    )
    text = re.sub(r"(?:(?<=\s)|^)만\s*(?=보|걸음|원)", "10000 ", text)
    text = re.sub(r"(?:(?<=\s)|^)천\s*(?=보|걸음|원)", "1000 ", text)
    native = "|".join(sorted(KO_NATIVE, key=len, reverse=True))
    text = re.sub(
        rf"(?:(?<=\s)|^)({native})\s*(?=(?:잔|시간|번|권|개|병|쪽|페이지|시|분|개비|명|회|살)(?:[^{CJK}]|[을를이가씩에은는도만의까]|$))",
        lambda m: f"{KO_NATIVE[m.group(1)]} ",
        text,
    )
    return text


def _kanji_ok(match: re.Match, text: str) -> bool:
    """A kanji numeral only when a counter or unit follows (一緒, 一番, 日曜 stay words)."""
    after = text[match.end() : match.end() + 4]
    value = match.group(0)
    if value in {"一"} and not re.match(
        r"\s*(?:杯|冊|回|個|つ|時間|分|日|週|km|キロ|リットル|歩|ページ)", after
    ):
        return False
    return bool(
        re.match(r"\s*(?:[杯冊回個つ本枚歩時分日週年人万円ヶか月キリミペグカ]|km|kg|ml)", after)
    )


def _fmt(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


# -- periods and directions ---------------------------------------------------------------------

PERIOD_CUES = {
    "day": r"\ba day\b|\bper day\b|\beach day\b|\bevery ?day\b|\bdaily\b|\ba night\b|\bper night\b|"
    r"\bevery (?:morning|evening|afternoon)\b|\beach (?:morning|evening)\b|\bmornings\b|"
    r"\beach night\b|\bevery night\b|\bnightly\b|/\s?day\b|\bper diem\b|\btoday\b|"
    r"毎日|1日|一日|日に|毎晩|1晩|一晩|毎朝|매일|하루|일일|매일 밤|매일밤|하룻밤|날마다",
    "week": r"\ba week\b|\bper week\b|\beach week\b|\bevery week\b|\bweekly\b|/\s?w(?:ee)?k\b|"
    r"毎週|週に|1週間|一週間|週間|매주|일주일|주에|주당|한 주|주간",
    "month": r"\ba month\b|\bper month\b|\beach month\b|\bevery month\b|\bmonthly\b|/\s?mo(?:nth)?\b|"
    r"毎月|月に|1ヶ月|1か月|一ヶ月|ひと月|月間|매달|매월|한 달|한달|월간|달에",
    "year": r"\ba year\b|\bper year\b|\bthis year\b|\bnext year\b|\beach year\b|\bevery year\b|"
    r"\byearly\b|\bannual(?:ly)?\b|\bin (?:19|20)\d\d\b|\bby (?:the )?end of (?:the )?year\b|"
    r"今年|年間|1年|一年|毎年|올해|일 년|1년|매년|연간|한 해",
}
AT_MOST = (
    r"\bunder\b|\bbelow\b|\bless than\b|\bfewer than\b|\bat most\b|\bno more than\b|\bnot more than\b|"
    r"\bmax(?:imum)?\b|\blimit(?:ed)?\b|\bcap(?:ped)?\b|\bbudget\b|\bup to\b|\bcut (?:down|back)\b|"
    r"\breduce\b|\bkeep (?:it |my \w+ )?(?:under|below|to)\b|\bonly\b|\bspend less\b|\bwithin\b|\bmust not exceed\b|"
    r"\blose\b|\bdown to\b|\bget (?:down )?to\b|\blower\b|"
    r"以下|以内|まで|未満|抑え|控え|減ら|超えない|予算|이하|이내|까지|넘지|줄이|줄여|예산|미만|제한|빼"
)
AT_LEAST = (
    r"\bat least\b|\bmore than\b|\bminimum\b|\bover\b|\bor more\b|\bplus\b|\bgain\b|\bbulk\b|"
    r"以上|少なくとも|最低|이상|최소|적어도"
)


@dataclass
class Quantity:
    value: float
    unit: str | None  # a code of UNITS, or None for a bare number
    period: str | None
    direction: str | None
    start: int
    end: int


@dataclass
class Schedule:
    kind: str  # daily, weekly, interval
    times: list[str] = field(default_factory=list)
    weekdays: list[int] = field(default_factory=list)
    every_days: int | None = None
    explicit: bool = False  # the person asked for a reminder (not only a period)

    def as_spec(self, default_time: str) -> dict:
        schedule: dict = {"kind": self.kind, "times": self.times or [default_time]}
        if self.kind == "weekly":
            schedule["weekdays"] = sorted(self.weekdays)
        if self.kind == "interval":
            schedule["every_days"] = self.every_days
        return schedule


@dataclass
class Parsed:
    text: str  # normalised
    quantities: list[Quantity]
    unit_preferences: list[str]  # units named without a number ("in km", "in ml")
    schedule: Schedule | None
    choices: list[list[str]]
    global_period: str | None


def _local_cue(pattern: str, text: str, start: int, end: int, before: int, after: int) -> bool:
    window = text[max(0, start - before) : end + after]
    return re.search(pattern, window) is not None


def _period_near(text: str, start: int, end: int) -> str | None:
    """The period written closest after the quantity ("8 glasses a day"), else before it
    ("1日2リットル", "하루 만 보")."""
    after = text[end : end + 28]
    before = text[max(0, start - 14) : start]
    best: tuple[int, str] | None = None
    for period, pattern in PERIOD_CUES.items():
        for match in re.finditer(pattern, after):
            if best is None or match.start() < best[0]:
                best = (match.start(), period)
        for match in re.finditer(pattern, before):
            distance = 100 + len(before) - match.end()
            if best is None or distance < best[0]:
                best = (distance, period)
    return best[1] if best else None


def _global_period(text: str) -> str | None:
    for period in ("month", "week", "year", "day"):
        if re.search(PERIOD_CUES[period], text):
            return period
    return None


# -- schedules ----------------------------------------------------------------------------------

WEEKDAYS = [
    (0, r"mondays?|mon\b|月曜|월요일"),
    (1, r"tuesdays?|tues?\b|火曜|화요일"),
    (2, r"wednesdays?|wed\b|水曜|수요일"),
    (3, r"thursdays?|thu(?:rs)?\b|木曜|목요일"),
    (4, r"fridays?|fri\b|金曜|금요일"),
    (5, r"saturdays?|sat\b|土曜|토요일"),
    (6, r"sundays?|sun\b|日曜|일요일"),
]
PARTS_OF_DAY = [
    (r"\bbefore bed\b|\bbedtime\b|寝る前|就寝前|자기 전|잠들기 전", "22:00"),
    (r"\bmorning\b|\bmornings\b|\bwake up\b|朝|아침", "08:00"),
    (r"\bnoon\b|\blunch ?time\b|\bat lunch\b|昼|점심", "12:00"),
    (r"\bafternoon\b|午後に|오후에", "15:00"),
    (r"\bevening\b|\bevenings\b|\bafter work\b|夕方|저녁", "19:00"),
    (r"\btonight\b|\bat night\b|\bevery night\b|\bnights\b|毎晩|夜|밤", "21:00"),
]
EVERY_PART_OF_DAY = r"\bevery (?:morning|afternoon|evening|night)\b|\beach (?:morning|afternoon|evening|night)\b|毎朝|毎晩|매일 아침|매일 밤|매일 저녁"
REMINDER_CUES = r"remind|reminder|notify|notification|ping me|nudge|alert|alarm|リマインド|通知|知らせ|思い出させ|알림|알려|리마인드"


def _clock(hour: int, minute: int, meridiem: str | None) -> str | None:
    if meridiem in {"pm", "p.m.", "午後", "오후", "夜", "밤", "저녁"} and hour < 12:
        hour += 12
    if meridiem in {"am", "a.m.", "午前", "오전", "朝", "아침"} and hour == 12:
        hour = 0
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        return None
    return f"{hour:02d}:{minute:02d}"


TIME_PATTERNS = [
    # 9am, 9:30 pm, 21:00, at 9
    re.compile(r"\b(?P<h>\d{1,2})(?::(?P<m>\d{2}))?\s*(?P<mer>a\.?m\.?|p\.?m\.?)(?![a-z])"),
    re.compile(r"\b(?P<h>[01]?\d|2[0-3]):(?P<m>[0-5]\d)\b"),
    re.compile(r"\bat (?P<h>\d{1,2})(?![\d:.]|\s*(?:%|[a-z]))"),
    # 午後9時半, 21時, 오후 8시 30분, 9시 반
    re.compile(
        r"(?P<mer>午前|午後|朝|夜|오전|오후|아침|저녁|밤)?\s*(?P<h>\d{1,2})\s*(?:時(?!間)|시(?!간))"
        r"(?:\s*(?P<m>\d{1,2})\s*(?:分|분)|\s*(?P<half>半|반))?"
    ),
]


def parse_schedule(text: str) -> tuple[Schedule | None, list[tuple[int, int]]]:
    """The reminder the request asks for, and the spans it used (not quantities)."""
    spans: list[tuple[int, int]] = []
    times: list[str] = []
    for pattern in TIME_PATTERNS:
        for match in pattern.finditer(text):
            if any(s <= match.start() < e for s, e in spans):
                continue
            groups = match.groupdict()
            hour = int(groups["h"])
            minute = int(groups.get("m") or 0)
            if groups.get("half"):
                minute = 30
            meridiem = (groups.get("mer") or "").replace(".", "") or None
            if meridiem in {"am", "pm"}:
                pass
            elif pattern is TIME_PATTERNS[2] and hour < 7:
                meridiem = "pm"  # "at 6" means the evening
            clock = _clock(hour, minute, meridiem)
            if clock:
                spans.append((match.start(), match.end()))
                if clock not in times:
                    times.append(clock)
    weekdays: list[int] = []
    for day, day_pattern in WEEKDAYS:
        if re.search(rf"(?:\b|(?<=[{CJK}]))(?:{day_pattern})", text):
            weekdays.append(day)
    if re.search(r"\bweekdays?\b|平日|평일", text):
        weekdays += [0, 1, 2, 3, 4]
    if re.search(r"\bweekends?\b|週末|土日|주말", text):
        weekdays += [5, 6]
    every_days = None
    every = re.search(
        r"every (\d+) days?|(\d+)\s*日ごと|(\d+)\s*日毎|(\d+)\s*일마다|(\d+)\s*일에 한 번", text
    )
    if every:
        every_days = int(next(g for g in every.groups() if g))
        spans.append(every.span())
    for hourly in re.finditer(r"every (\d+(?:\.\d+)?) (?:hours?|minutes?|mins?)\b", text):
        spans.append(hourly.span())
    every = re.search(r"(\d+)\s*日おき", text)
    if every:
        every_days = int(every.group(1)) + 1
        spans.append(every.span())
    every = re.search(r"every (\d+) weeks?|(\d+)\s*週間ごと|(\d+)\s*주마다", text)
    if every:
        every_days = 7 * int(next(g for g in every.groups() if g))
        spans.append(every.span())
    if re.search(r"every other day|隔日|격일|이틀에 한 번|이틀마다", text):
        every_days = 2
    if re.search(r"every other week|fortnightly|隔週|격주", text):
        every_days = 14
    explicit = bool(re.search(REMINDER_CUES, text)) or bool(times)
    explicit = explicit or bool(re.search(EVERY_PART_OF_DAY, text))
    part_times = []
    if explicit or weekdays or every_days:
        for part_pattern, part_clock in PARTS_OF_DAY:
            if re.search(part_pattern, text) and not _covered(part_pattern, text, spans):
                part_times.append(part_clock)
    if not times and part_times:
        times = part_times[:2]
    if not (explicit or weekdays or every_days):
        return None, spans
    if every_days:
        kind = "interval"
    elif weekdays and len(set(weekdays)) < 7:
        kind = "weekly"
    else:
        kind = "daily"
    schedule = Schedule(
        kind=kind,
        times=sorted(times),
        weekdays=sorted(set(weekdays)),
        every_days=every_days,
        explicit=True,
    )
    return schedule, spans


def _covered(pattern: str, text: str, spans: list[tuple[int, int]]) -> bool:
    """A part of day that was already part of a clock time ("午後9時", "오후 8시")."""
    return all(any(s <= m.start() < e for s, e in spans) for m in re.finditer(pattern, text))


# -- choices ------------------------------------------------------------------------------------

CHOICE_WORD = r"[a-z][a-z'-]*(?: [a-z][a-z'-]*)?"
STOP_CHOICE = {"not", "so", "more", "less", "else", "something", "anything", "both", "none"}


def parse_choices(text: str) -> list[list[str]]:
    """Lists of options named in the request: "breast or bottle", "gym, run or swim",
    "tea/coffee", "AまたはB", "A 또는 B"."""
    found = []
    pattern = re.compile(
        rf"((?:{CHOICE_WORD}\s*,\s*)*{CHOICE_WORD})\s*,?\s+(?:or|and/or)\s+({CHOICE_WORD})"
    )
    for match in pattern.finditer(text):
        head = [part.strip() for part in match.group(1).split(",")]
        items = [*head, match.group(2).strip()]
        items = [_trim_choice(item) for item in items]
        items = [item for item in items if item and item not in STOP_CHOICE]
        if len(items) >= 2:
            found.append(items)
    for match in re.finditer(r"\b([a-z]{2,15})/([a-z]{2,15})(?:/([a-z]{2,15}))?\b", text):
        found.append([item for item in match.groups() if item])
    for match in re.finditer(
        rf"([{CJK}\w]+)\s*(?:または|又は|か、|또는|혹은)\s*([{CJK}\w]+)", text
    ):
        found.append([match.group(1), match.group(2)])
    return found


LEADING = re.compile(
    r"^(?:(?:whether|either|which|what|track|log|record|note|my|the|a|an|it'?s|is|was|it|i|did|"
    r"type|kind|i'?m|using|with|by|via|from|in|on|of|and|time|to|\w+:)\s+)+"
)


def _trim_choice(item: str) -> str:
    item = item.strip(" .,:;!?")
    previous = None
    while previous != item:
        previous = item
        item = LEADING.sub("", item)
    words = item.split()
    return " ".join(words[-2:]) if len(words) > 2 else item


# -- quantities ---------------------------------------------------------------------------------

QUANTITY = re.compile(
    rf"(?P<pre>[$€£¥₩])?\s*(?P<num>\d+(?:\.\d+)?)\s*(?:-|to|~|–)?\s*(?:(?P<unit>{_UNIT_ALT})(?![a-z]))?"
)


def _unit_code(match: re.Match) -> str | None:
    for name, value in match.groupdict().items():
        if value and re.fullmatch(r"u\d+", name):
            return _UNIT_CODES[int(name[1:])]
    return None


SYMBOLS = {"$": "USD", "€": "EUR", "£": "GBP", "¥": "JPY", "₩": "KRW"}


def _count_noun(text: str) -> str | None:
    for unit, pattern in COUNT_NOUNS.items():
        if re.search(pattern, text):
            return unit
    return None


def parse(text: str) -> Parsed:
    norm = normalise_numbers(text)
    schedule, used = parse_schedule(norm)
    for pattern in PERIOD_CUES.values():  # "1日", "1週間", "1년": periods, not quantities
        used += [m.span() for m in re.finditer(pattern, norm) if re.search(r"\d", m.group(0))]
    quantities: list[Quantity] = []
    for match in QUANTITY.finditer(norm):
        start, end = match.span()
        if any(s <= match.start("num") < e for s, e in used):
            continue
        # "1-5 rating", "1 to 10": a scale, not a goal.
        if re.match(r"\s*(?:-|to|–|~)\s*\d", norm[match.end("num") :]):
            continue
        if re.search(r"\d\s*(?:-|to|–|~)\s*$", norm[max(0, start - 6) : match.start("num")]):
            continue
        if re.match(r"\s*(?:/\s*\d|out of|stars?|점)", norm[match.end("num") :]):
            continue
        value = float(match.group("num"))
        unit = SYMBOLS.get(match.group("pre") or "") or _unit_code(match)
        if unit == "piece" or (unit is None and re.match(r"\s*(?:個|つ|개)", norm[end:])):
            unit = _count_noun(norm) or "piece"
        if (
            unit is None
            and value >= 1900
            and value <= 2100
            and re.search(r"in \d{4}|\d{4}年|\d{4}년", norm)
        ):
            continue
        if re.match(r"\s*(?:years? old|歳|살)", norm[end:]):
            continue
        direction = None
        if _local_cue(AT_MOST, norm, start, end, 40, 16):
            direction = "at_most"
        elif _local_cue(AT_LEAST, norm, start, end, 30, 12):
            direction = "at_least"
        quantities.append(
            Quantity(
                value=value,
                unit=unit,
                period=_period_near(norm, start, end),
                direction=direction,
                start=start,
                end=end,
            )
        )
    if re.search(r"\d\s*days? (?:a|per|each|every) week|週に?\d日|주\s?\d일", norm):
        for quantity in quantities:
            if quantity.period == "week" and quantity.unit != "times":
                quantity.period = "day"
    preferences = []
    for match in re.finditer(rf"\b(?:in|using|use|by|per|to)\s+(?:{_UNIT_ALT})(?![a-z])", norm):
        code = _unit_code(match)
        if code and code not in {"piece", "times", "m"}:
            preferences.append(code)
    for code, pattern in (
        ("EUR", r"euros?|€"),
        ("USD", r"dollars?|\$"),
        ("GBP", r"£|\bgbp\b"),
        ("JPY", r"\byen\b|円"),
        ("KRW", r"\bwon\b|원화"),
        ("ml", r"\bml\b"),
        ("mi", r"\bmiles\b"),
        ("lb", r"\blbs?\b"),
    ):
        if re.search(pattern, norm) and code not in preferences:
            preferences.append(code)
    return Parsed(
        text=norm,
        quantities=quantities,
        unit_preferences=preferences,
        schedule=schedule,
        choices=parse_choices(norm),
        global_period=_global_period(norm),
    )
