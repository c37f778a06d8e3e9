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
TOOL_CUES = re.compile(
    r"\btrack|\blog\b|\blogs\b|\brecord|\bremind|\bjournal|\bdiary|\bcount|\bmonitor|\bplanner\b|"
    r"\bhabit|\bgoal|\bnote[sd]?\b|\bkeep (?:a |an )?(?:log|list|record|track)|\btracker|\bchecklist|"
    r"\bevery (?:day|week|morning|night|evening)\b|\bdaily\b|\bweekly\b|\ba day\b|\ba week\b|"
    r"記録|管理|リマインド|習慣|毎日|目標|기록|관리|알림|습관|매일|목표"
)
GENERIC_TOPIC = re.compile(
    r"(?:track|log|record|count|monitor|keep track of|keep a log of)\s+(?:how (?:many|much|often|long) )?"
    r"(?:(?:my|our|the|a|an|all|each|every) )*(?:times )?(?:i )?([a-z][a-z' -]{1,40}?)(?:\s*(?:[,.:;!?]|\bwith\b|\bevery\b|\band\b|\bat\b|\bin\b|\bfor\b|\bso\b|\bto\b|$))"
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
    words = [re.escape(word) for word in keyword.split()]
    words[-1] += r"(?:s|es|ing|ed|d)?"
    return re.compile(r"(?<![a-z])" + r"[\s-]+".join(words) + r"(?![a-z])")


def keyword_score(text: str, blueprint: CatalogueBlueprint) -> float:
    """Sum over the blueprint's keywords and names found in the text; longer, more specific
    keywords weigh more."""
    spec = blueprint.spec
    names = [spec["name"]] + [t.get("name", "") for t in spec.get("translations", {}).values()]
    score = 0.0
    for keyword in set(blueprint.keywords) | {n.lower() for n in names if n}:
        if not keyword:
            continue
        if _keyword_re(keyword).search(text):
            size = len(keyword) if CJK.search(keyword) else len(keyword.split()) * 2.5
            score += 1.0 + min(size, 8) / 8
    return score


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
    if keyworded:
        return keyworded[0]
    best = max(candidates, key=lambda m: m.similarity)
    topic = _generic_topic(lowered)
    if topic and fallback is not None:
        return Match(fallback, 0.0, best.similarity, topic=topic)
    habit = _habit_phrase(lowered)
    habits = next((m for m in candidates if m.blueprint.slug == HABITS_SLUG), None)
    if habit and habits is not None:
        return Match(habits.blueprint, 0.0, habits.similarity, habit=habit)
    if best.similarity >= SEMANTIC_ONLY:
        return best
    raise BuildRefused(
        "I couldn't tell which tool you want. Say what to track or be reminded of, e.g. "
        "“log my coffee, at most 3 cups a day”.",
        code="no_match",
        fields={"request": ["No matching tool."]},
    )


def _generic_topic(text: str) -> str:
    match = GENERIC_TOPIC.search(text)
    if not match:
        return ""
    topic = match.group(1).strip(" -'")
    topic = re.sub(r"^(?:times? (?:i )?|i )", "", topic)
    return topic if topic and topic not in {"it", "this", "that", "things", "stuff"} else ""


def _habit_phrase(text: str) -> str:
    """ "help me floss every night" → "floss": a habit the catalogue has no tool for."""
    match = HABIT_PHRASE.search(text)
    return match.group(1).strip() if match else ""
