"""Which catalogue blueprint a request wants (keywords and aliases in en/ja/ko first, the
multilingual embedding as the tie-breaker and the fallback), and which requests are refused:
empty, gibberish, harmful, or not a lifestyle tool at all."""

import re
from dataclasses import dataclass
from functools import cache

import numpy as np
from pgvector.django import CosineDistance

from macaron.embeddings import get_embedder
from macaron.errors import DomainError
from subagents.catalogue import FALLBACK_SLUG
from subagents.models import CatalogueBlueprint
from subagents.selectors import catalogue_blueprints

MAX_REQUEST_CHARS = 1000


def _wordset(words: str) -> frozenset[str]:
    return frozenset(words.split())


CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")
HANGUL = re.compile(r"[\uac00-\ud7af\u1100-\u11ff]")
KANA_HAN = re.compile(r"[\u3040-\u30ff\u3400-\u9fff]")
# A semantic match alone must be this close (e5 cosines of unrelated text sit around 0.75-0.80).
SEMANTIC_ONLY = 0.835
HABITS_SLUG = "habits"
HABIT_PHRASE = re.compile(
    r"(?:help me|i want to|i'd like to|i need to|remind me to|make me|get me to|start|stop)\s+"
    r"(?:to\s+)?([a-z][a-z' -]{1,30}?)\s+(?:every ?(?:day|night|morning|evening|week)|daily|each day|"
    r"more often|regularly|\d+ times)"
)
EMBEDDING_WEIGHT = 2.0
# Keywords that name many things ("practice" piano or dance, "feed" a baby or a cat, "walk" steps
# or the dog): weak evidence for their blueprint, never enough to override what the request
# says it is about.
WEAK_KEYWORDS = _wordset(
    "practice practise feed feeding walk walking spend spent costs eat meals cook cooking "
    "family friends contact gym climb trip travel journey places round trail mountain "
    "ride cycle break desk sitting calm breathing timer scale learn course school streak "
    "routine target objective pack balance pulse pool laps skin clean sheets flowers "
    "herbs bed rest nap relax chill fast training exercise fitness brew beans grind "
    "series 練習 散歩 料理 歩く 山 家族 友達 連絡 呼吸 산책 요리 가족 친구 연락 호흡 짐 차"
) | {"check in"}
WEAK_WEIGHT = 0.4

HARMFUL = re.compile(
    r"\bhack|\bcrack(?:ing)? (?:a |the |my )?(?:password|wifi|account)|\bddos\b|\bphish|\bmalware\b|"
    r"\bransomware\b|\bkeylogger\b|\bspyware\b|\bexploit\b|\bsteal|\bspy on\b|\bstalk|"
    r"someone else'?s (?:password|account|phone|messages)|neighbou?r'?s (?:wifi|wi-fi|network|password)|"
    r"\bbomb\b|\bexplosive|\bweapon|\bguns?\b(?! ?range)|\bpoison (?:someone|a person|my)|\bkill (?:someone|a person)|"
    r"\bfake (?:id|passport|reviews)|\bcounterfeit|\blaunder|\bcheat on (?:my )?(?:exam|test|taxes)|"
    r"ハッキング|ハック|不正アクセス|盗む|盗聴|ストーカー|爆弾|해킹|훔치|도청|스토킹|폭탄"
)
NOT_A_TOOL = re.compile(
    r"\bvideo ?games?\b|\b(?:3d|racing|shooter|open[- ]world|mmo|rpg|platformer) ?(?:game|shooter)?\b|"
    r"\bgame engine\b|\bsequel\b|\baaa\b|\bwebsite\b|\bweb ?site\b|\bonline (?:store|shop)\b|\be-?commerce\b|"
    r"\boperating system\b|\bcompiler\b|\bblockchain\b|\bnft\b|\bcrypto ?(?:currency|coin|mining)\b|"
    r"\btrading bot\b|\bsocial network\b|\bsearch engine\b|\bchat ?bot\b|\bmobile game\b|\bwrite (?:me )?(?:an? )?"
    r"(?:essay|novel|poem|song|screenplay|thesis)\b|\bsolve (?:this|my) (?:equation|homework)\b|"
    r"ゲームを作|ゲーム開発|ウェブサイト|ホームページを作|게임을 만들|게임 개발|웹사이트"
)
# Watching another person without their knowledge is not a lifestyle tool.
SURVEILLANCE = re.compile(
    r"without (?:(?:him|her|them|his|their|my \w+) )?(?:knowing|knowledge|noticing|consent|permission)|"
    r"\bsecretly\b|\bcovertly\b|\bbehind (?:his|her|their) back\b|"
    r"\b(?:read|see|check|monitor|track|spy|intercept|access)\w* (?:on )?(?:all )?(?:my |our )?"
    r"(?:[a-z]+'s|someone'?s?|other people'?s|others'?) (?:e-?mails?|messages|texts|chats|dms|"
    r"location|whereabouts|browsing|calls|passwords?)|"
    r"こっそり|内緒で|隠れて|몰래"
)
# Small talk and questions: nothing to build.
CHIT_CHAT = re.compile(
    r"^(?:hi|hello|hey|yo|hiya|good (?:morning|afternoon|evening|night)|how are you|how's it going|"
    r"what'?s up|thanks|thank you|who are you|what can you do|tell me a joke|"
    r"こんにちは|こんばんは|おはよう|元気|ありがとう|はじめまして|안녕|잘 지내|고마워|감사합니다|반가워)"
)
QUESTION = re.compile(r"^(?:who|what|when|where|why|which|is|are|do|does|did|can|could)\b.*\?\s*$")
TOOL_CUES = re.compile(
    r"\btrack|\blog\b|\blogs\b|\brecord|\bremind|\bjournal|\bdiary|\bcount|\bmonitor|\bplanner\b|"
    r"\bhabit|\bgoal|\bnote[sd]?\b|\bkeep (?:a |an )?(?:log|list|record|track)|\btracker|\bchecklist|"
    r"\bevery (?:day|week|morning|night|evening)\b|\bdaily\b|\bweekly\b|\ba day\b|\ba week\b|"
    r"記録|管理|リマインド|習慣|毎日|目標|기록|관리|알림|습관|매일|목표"
)


class BuildRefused(DomainError):
    """The request is not something the builder makes (or is empty or unreadable)."""

    code = "build_refused"


@dataclass
class Match:
    blueprint: CatalogueBlueprint
    keyword_score: float
    similarity: float
    topic: str = ""  # for the generic tracker: what is tracked
    habit: str = ""  # for the habit check-in: the habit named ("floss")
    abstain: bool = False  # for the generic tracker: days kept free of the topic

    @property
    def source(self) -> str:
        return f"catalogue:{self.blueprint.slug}"


def request_language(text: str, language: str | None = None) -> str:
    """en, ja or ko: the one given when it is one of them, else the request's script."""
    if language:
        code = language.lower().split("-")[0]
        if code in {"en", "ja", "ko"}:
            return code
    if HANGUL.search(text):
        return "ko"
    if KANA_HAN.search(text):
        return "ja"
    return "en"


@cache
def _keyword_re(keyword: str) -> re.Pattern:
    keyword = keyword.lower().strip()
    if CJK.search(keyword):
        return re.compile(re.escape(keyword))
    words = [re.escape(word).replace(r"\-", r"[\s-]?") for word in keyword.split()]
    words[-1] += r"(?:s|es|ing|ed|d)?"
    return re.compile(r"(?<![a-z])" + r"[\s-]+".join(words) + r"(?![a-z])")


def keyword_hits(text: str, blueprint: CatalogueBlueprint) -> list[tuple[str, int, int]]:
    """The blueprint's keywords and names found in the text as (keyword, start, end); where
    hits overlap ("feed" and "feeding" in "feeding") only the longest keyword counts."""
    spec = blueprint.spec
    names = [spec["name"]] + [t.get("name", "") for t in spec.get("translations", {}).values()]
    found = []
    for keyword in set(blueprint.keywords) | {n.lower() for n in names if n}:
        if not keyword:
            continue
        match = _keyword_re(keyword).search(text)
        if match:
            found.append((keyword, match.start(), match.end()))
    found.sort(key=lambda hit: -len(hit[0]))
    kept: list[tuple[str, int, int]] = []
    for hit in found:
        if not any(hit[1] < end and start < hit[2] for _, start, end in kept):
            kept.append(hit)
    return kept


def _hit_weight(keyword: str) -> float:
    if keyword in WEAK_KEYWORDS:
        return WEAK_WEIGHT
    size = len(keyword) if CJK.search(keyword) else len(keyword.split()) * 2.5
    return 1.0 + min(size, 8) / 8


def keyword_score(text: str, blueprint: CatalogueBlueprint) -> float:
    """Sum over the blueprint's keywords and names found in the text; longer, more specific
    keywords weigh more, words that mean many things ("practice", "feed") little."""
    return sum(_hit_weight(keyword) for keyword, _, _ in keyword_hits(text, blueprint))


def _looks_like_words(text: str) -> bool:
    """Gibberish has no vowels in its words, or no word a tool could be about."""
    if CJK.search(text):
        return len(CJK.findall(text)) >= 2
    words = re.findall(r"[a-z]{2,}", text)
    if not words:
        return False
    vowelled = [
        w for w in words if re.search(r"[aeiouy]", w) and not re.search(r"[^aeiouy]{5,}", w)
    ]
    keyboard = re.compile(r"^(?:asdf\w*|qwer\w*|zxcv\w*|hjkl\w*|uiop\w*|sdfg\w*|fghj\w*)$")
    real = [w for w in vowelled if not keyboard.match(w)]
    return len(real) >= max(1, len(words) // 2)


def refuse_if_not_a_tool(text: str) -> None:
    """BuildRefused for empty, too long, gibberish, harmful and out-of-scope requests."""
    if not text.strip():
        raise BuildRefused(
            "Tell me what you would like to track, for example “8 glasses of water a day”.",
            code="empty_request",
            fields={"request": ["Write what the tool should do."]},
        )
    if len(text) > MAX_REQUEST_CHARS:
        raise BuildRefused(
            f"That request is too long (limit {MAX_REQUEST_CHARS} characters); one or two "
            "sentences are enough.",
            code="request_too_long",
            fields={"request": ["Too long."]},
        )
    lowered = text.lower()
    if HARMFUL.search(lowered):
        raise BuildRefused(
            "I can't build that. I make small lifestyle tools: trackers, logs, planners and "
            "reminders.",
            code="request_not_allowed",
            fields={"request": ["Not something a sub-agent may do."]},
        )
    if SURVEILLANCE.search(lowered):
        raise BuildRefused(
            "I can't build that: tools here are for your own life, not for watching someone "
            "else without their knowledge.",
            code="request_not_allowed",
            fields={"request": ["Not something a sub-agent may do."]},
        )
    small_talk = CHIT_CHAT.search(lowered) or QUESTION.search(lowered)
    if small_talk and not TOOL_CUES.search(lowered):
        raise BuildRefused(
            "I build small lifestyle tools from a sentence, e.g. “track my runs” or “remind me "
            "to water the plants”. What would you like to track?",
            code="not_a_lifestyle_tool",
            fields={"request": ["Not a tool request."]},
        )
    if NOT_A_TOOL.search(lowered) and not TOOL_CUES.search(lowered):
        raise BuildRefused(
            "That is not a lifestyle tool I can build. I make trackers, logs, planners and "
            "reminders, e.g. “track my runs” or “remind me to water the plants”.",
            code="not_a_lifestyle_tool",
            fields={"request": ["Not a lifestyle tool."]},
        )
    if not _looks_like_words(lowered):
        raise BuildRefused(
            "I couldn't understand that request. Try one sentence such as “log my sleep, "
            "8 hours a night”.",
            code="request_unclear",
            fields={"request": ["Unclear request."]},
        )


def _unit_bonus(blueprint: CatalogueBlueprint, units: set[str], dimensions: set[str]) -> float:
    from subagents.builder.grammar import UNITS

    spec_units = {f.get("unit") for f in blueprint.spec["fields"]} | {
        g.get("unit") for g in blueprint.spec["goals"]
    }
    spec_units.discard(None)
    # Minutes and hours fit most tools: weak evidence.
    if units & spec_units:
        return 0.15 if units & spec_units <= {"min", "h"} else 0.6
    spec_dimensions = {UNITS[u].dimension for u in spec_units if u in UNITS} - {"time"}
    return 0.3 if dimensions & spec_dimensions else 0.0


def _covers(match: Match, span: tuple[int, int], text: str) -> bool:
    """Whether the blueprint names what the request is about: one of its specific (not weak)
    keywords falls inside the request's topic."""
    return any(
        keyword not in WEAK_KEYWORDS and start < span[1] and span[0] < end
        for keyword, start, end in keyword_hits(text, match.blueprint)
    )


def blueprint_match(*, text: str, units: set[str] | None = None) -> Match:
    """The closest catalogue blueprint, or the generic tracker for a clear tracking request
    about something the catalogue lacks; BuildRefused when nothing fits."""
    from subagents.builder.grammar import UNITS

    units = units or set()
    dimensions = {UNITS[u].dimension for u in units if u in UNITS}
    lowered = text.lower()
    vector = np.asarray(get_embedder().embed_query(text[:MAX_REQUEST_CHARS]), dtype=np.float32)
    rows = list(catalogue_blueprints().annotate(distance=CosineDistance("embedding", vector)))
    if not rows:
        from subagents.services import catalogue_load

        catalogue_load()
        rows = list(catalogue_blueprints().annotate(distance=CosineDistance("embedding", vector)))
    fallback = next((row for row in rows if row.slug == FALLBACK_SLUG), None)
    candidates = []
    for row in rows:
        if row.slug == FALLBACK_SLUG:
            continue
        similarity = 1.0 - float(row.distance) if row.distance is not None else 0.0
        score = keyword_score(lowered, row)
        if score:
            score += _unit_bonus(row, units, dimensions)
        candidates.append(Match(row, score, similarity))
    candidates.sort(key=lambda m: m.keyword_score + EMBEDDING_WEIGHT * m.similarity, reverse=True)
    keyworded = [m for m in candidates if m.keyword_score > 0]
    topic = request_topic(lowered)
    best = max(candidates, key=lambda m: m.similarity)
    if keyworded:
        if topic is None or fallback is None:
            return keyworded[0]
        # The request says what it is about ("feeding my cat", "dance practice"): a blueprint
        # that names it wins; one that only shares a word elsewhere is the wrong tool.
        covering = [m for m in keyworded if _covers(m, topic.span, lowered)]
        if covering:
            return covering[0]
        return Match(fallback, 0.0, best.similarity, topic=topic.words, abstain=topic.abstain)
    if topic is not None and fallback is not None:
        return Match(fallback, 0.0, best.similarity, topic=topic.words, abstain=topic.abstain)
    habit = _habit_phrase(lowered)
    habits = next((m for m in candidates if m.blueprint.slug == HABITS_SLUG), None)
    if habit and habits is not None:
        return Match(habits.blueprint, 0.0, habits.similarity, habit=habit)
    noun = _content_topic(text) if _tool_like(lowered) else ""
    if noun and fallback is not None:
        return Match(fallback, 0.0, best.similarity, topic=noun)
    if best.similarity >= SEMANTIC_ONLY and _tool_like(lowered):
        return best
    raise BuildRefused(
        "I couldn't tell which tool you want. Say what to track or be reminded of, e.g. "
        "“log my coffee, at most 3 cups a day”.",
        code="no_match",
        fields={"request": ["No matching tool."]},
    )


@dataclass
class Topic:
    words: str  # "thesis", "feeding cat", "dance practice"
    span: tuple[int, int]  # where the request names it
    abstain: bool = False  # "days without sugar": counting days kept, not amounts


TOPIC_VERBS = (
    r"(?:keep track of|keep a (?:log|record) of|track(?:ing)?|log(?:ging)?|record(?:ing)?|"
    r"count(?:ing)?|monitor(?:ing)?|practi[cs](?:e|ing)|learn(?:ing)?(?: (?:to|how to))?|"
    r"writ(?:e|ing)|feed(?:ing)?|eat(?:ing)?|drink(?:ing)?)"
)
ABSTAIN = r"(?:days? (?:without|free of|with no)|(?:stay|go|be) (?:off|free of|without)|no more(?! than)|cut out|quit|give up|avoid)"
VERB_TOPIC = re.compile(
    rf"(?:^|\b)(?P<verb>{ABSTAIN}|{TOPIC_VERBS})\s+(?:how (?:many|much|often|long) )?"
    r"(?:(?:my|our|the|a|an|all|each|every|his|her|their|some) )*"
    # "the hours I spend on my side project", "cups of tea": the measure is not the topic.
    r"(?:(?:hours?|minutes?|time|money|cups?|glasses?|servings?|number|amount|times?) "
    r"(?:(?:i|we) (?:spend|spent|put)\s*(?:on|doing|in|into)?|(?:i|we)|of) "
    r"(?:(?:my|our|the|a|an) )*)?"
    r"(?P<topic>(?!(?:with|of|on|in|at|for|to|and|how|what)\b)[a-z][a-z' -]{1,40}?)"
    r"(?=\s*(?:[,.:;!?]|\bwith\b|\bevery\b|\band\b|\bat\b|\bin\b|\bfor\b|\bso\b|\bto\b|"
    r"\bon\b|\bwhen\b|\bthat\b|\bwhich\b|\bi\b|\bdaily\b|\bonce\b|\btwice\b|\bper\b|"
    r"\bafter\b|\bbefore\b|\bduring\b|\bfrom\b|\bby\b|\ba (?:day|week|month|year)\b|\d|$))"
)
NAMED_TOPIC = re.compile(
    r"^(?:an? |my |our )?(?P<topic>[a-z][a-z' -]{1,30}?)\s+(?:log|tracker|journal|diary|record|counter)\b"
)
# Words that say nothing about what is tracked ("count how many times I go…").
LIGHT_WORDS = _wordset(
    "log logs tracker journal diary list app tool daily weekly monthly simple new it this more "
    "less hours minutes "
    "that things stuff times time i go do did get make have take use my the a an how many "
    "much often long what when progress something everything"
)


def request_topic(text: str) -> Topic | None:
    """What a tracking request is about, when it says so ("track feeding my cat", "Knitting
    log", "days without sugar"); None otherwise."""
    for pattern in (NAMED_TOPIC, VERB_TOPIC):
        for match in pattern.finditer(text):
            words = [
                w
                for w in re.findall(r"[a-z][a-z'-]*", match.group("topic"))
                if w not in LIGHT_WORDS
            ]
            words = [w for w in words if w not in {"my", "our", "his", "her", "their"}]
            if not words:
                continue
            abstain = bool(re.fullmatch(ABSTAIN, match.groupdict().get("verb") or ""))
            return Topic(" ".join(words[:4]), match.span("topic"), abstain)
    return None


CONTENT_STOP = _wordset(
    "a an the my our your of for to in on at with and or i me want would like need help "
    "keep make please tool app log track tracker record count under below over less more "
    "than most least maximum minimum max min no not only up limit per each every day days "
    "daily week weeks weekly month months monthly year years night morning evening a.m "
    "p.m am pm hour hours minutes minute mins hrs g kg km ml l litres liters cups cup "
    "glass glasses times once twice remind reminder spend spent get do did have be is are "
    "it about around roughly almost just so that this goal target aim try trying start "
    "stop should must can could will"
)
CJK_TOPIC = re.compile(
    r"([\u4e00-\u9fff\u30a0-\u30ff]{1,8})(?=[をのはがにでも]|を)|([\uac00-\ud7af]{2,8}?)(?=을|를|은|는|이 |가 |\s)"
)
CJK_STOP = frozenset(
    [
        "毎日",
        "毎朝",
        "毎晩",
        "毎週",
        "毎月",
        "今日",
        "今年",
        "1日",
        "一日",
        "매일",
        "하루",
        "오늘",
        "올해",
        "매주",
        "매달",
    ]
)


def _content_topic(text: str) -> str:
    """The first run of content words ("keep sugar under 25 g" → "sugar"; "論文を…" → "論文")."""
    if CJK.search(text):
        for match in CJK_TOPIC.finditer(text):
            word = match.group(1) or match.group(2)
            if word and word not in CJK_STOP:
                return word
        return ""
    run: list[str] = []
    for token in re.findall(r"[a-z][a-z'-]*|\d+(?:\.\d+)?|[^\sa-z\d]", text.lower()):
        if re.fullmatch(r"[a-z][a-z'-]*", token) and token not in CONTENT_STOP:
            run.append(token)
            if len(run) == 3:
                break
        elif run:
            break
    return " ".join(run)


def _tool_like(text: str) -> bool:
    """A request that reads like something to track: a tool word, a number, a period."""
    return bool(TOOL_CUES.search(text) or re.search(r"\d|[一二三四五六七八九十百千万]", text))


def _habit_phrase(text: str) -> str:
    """ "help me floss every night" → "floss": a habit the catalogue has no tool for."""
    match = HABIT_PHRASE.search(text)
    return match.group(1).strip() if match else ""
