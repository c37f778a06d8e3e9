"""The write-path gate: which parts of a message become long-term memories, and how important.

Pure functions (no database): `extract_candidates` splits a message into candidate memories
and scores each one; `most_informative` keeps at most MAX_CANDIDATES of them. What the person emphasised counts more: an explicit "remember", repetition
(handled by merging, see services), strong sentiment, dates, people, numbers, health facts.
"""

import re
from dataclasses import dataclass, field, replace
from datetime import datetime

from macaron.text import DIGIT_RE as NUMBER_RE
from macaron.text import MID_SENTENCE_NAME_RE as NAME_RE
from macaron.text import (
    content_words,
    count_tokens,
    lexical_terms,
    normalise,
    split_sentences,
    text_windows,
)
from macaron.timeexpr import TimeRange, resolve_time

MAX_CANDIDATE_TOKENS = 80
MAX_CANDIDATE_CHARS = 600  # LoCoMo's longest turn is 434 characters
GATE_THRESHOLD = 0.3
# At most this many candidate memories per message, so a message's worker time is bounded (one
# embedding batch of at most MAX_CANDIDATES texts of at most MAX_CANDIDATE_TOKENS tokens, and as
# many duplicate checks): a 20,000-character message costs about as much as a few short ones.
MAX_CANDIDATES = 20
# When a message has more candidates than that, wording not yet covered by the ones kept counts
# up to this much importance, so twenty variations of one sentence do not crowd out a new fact.
NOVELTY_WEIGHT = 0.1
REPEAT_BONUS = 0.05  # a candidate said again in the same message, as merging a duplicate adds

REMEMBER_RE = re.compile(
    r"\bremember\b|\bdon'?t forget\b|\bnever forget\b|\bkeep in mind\b|\bnote that\b|"
    r"\bimportant\b|覚えて|忘れないで|大事|기억해|잊지\s?마|중요",
    re.IGNORECASE,
)
HEALTH_RE = re.compile(
    r"allerg|intoleran|diabet|asthma|injur|surgery|medication|pregnan|vegan|vegetarian|"
    r"gluten|lactose|blood pressure|アレルギー|알레르기",
    re.IGNORECASE,
)
SENTIMENT_RE = re.compile(
    r"\blove\b|\bhate\b|\bfavou?rite\b|\bamazing\b|\bterrible\b|\bexcited\b|\bproud\b|"
    r"\bscared\b|\bafraid\b|\bthrilled\b|\bupset\b|\bpassionate\b|大好き|嫌い|좋아|싫어|!",
    re.IGNORECASE,
)
SELF_RE = re.compile(
    r"\b(i|i'm|i've|i'd|my|me|we|our)\b|私|僕|俺|わたし|나는|내|저는|제", re.IGNORECASE
)
TRIVIA_RE = re.compile(
    r"^(hi|hey|hello|thanks|thank you|ok|okay|cool|nice|great|bye|good night|lol|haha|"
    r"sure|yes|no|yeah|wow|same|me too|you too|take care|see you)\b[\s\w,!.'?]{0,25}$",
    re.IGNORECASE,
)
PLAN_RE = re.compile(
    r"\b(will|going to|gonna|plan|planning|next|tomorrow|soon)\b|予定|つもり|계획", re.I
)
PREFERENCE_RE = re.compile(
    r"\b(like|love|prefer|enjoy|hate|favou?rite|can't stand)\b|好き|좋아", re.I
)

SLOT_PATTERNS = [
    (re.compile(r"\bmy (\w+(?: \w+)?) is (?:called |named )?(.+)", re.I), "my {0}"),
    (re.compile(r"\bmy favou?rite (\w+) is (.+)", re.I), "favourite {0}"),
    (re.compile(r"\bi(?:'m| am) (\d+)(?: years old)?\b", re.I), "age"),
    (re.compile(r"\bi (?:now )?live in (.+)", re.I), "home"),
    (re.compile(r"\bi(?:'ve| have)? moved to (.+)", re.I), "home"),
    (re.compile(r"\bi (?:now )?work (?:at|for) (.+)", re.I), "employer"),
    (
        re.compile(
            r"\bi(?:'m| am) (?:now )?(?:a|an) (\w+(?: \w+)?) (?:at|for|by profession)", re.I
        ),
        "job",
    ),
]


@dataclass
class Candidate:
    text: str
    importance: float
    kind: str
    event: TimeRange | None
    slot: str | None = None
    tokens: int = 0
    reasons: list[str] = field(default_factory=list)
    context: str = ""  # the conversational lead-in: shapes the embedding, is not stored

    def embedding_text(self) -> str:
        return f"{self.context}\n{self.text}" if self.context else self.text


def _pieces(text: str) -> list[str]:
    """Sentences; one longer than a candidate may be (no sentence end to split at) is cut."""
    pieces: list[str] = []
    for sentence in split_sentences(text):
        if len(sentence) > MAX_CANDIDATE_CHARS or count_tokens(sentence) > MAX_CANDIDATE_TOKENS:
            pieces.extend(
                text_windows(
                    sentence, max_tokens=MAX_CANDIDATE_TOKENS, max_chars=MAX_CANDIDATE_CHARS
                )
            )
        else:
            pieces.append(sentence)
    return pieces


def _chunks(text: str) -> list[str]:
    """Whole message when short; otherwise sentence groups of at most MAX_CANDIDATE_TOKENS
    tokens and MAX_CANDIDATE_CHARS characters."""
    text = text.strip()
    if len(text) <= MAX_CANDIDATE_CHARS and count_tokens(text) <= MAX_CANDIDATE_TOKENS:
        return [text]
    chunks: list[str] = []
    current: list[str] = []
    size, chars = 0, -1  # chars: the length of the group joined with spaces
    for sentence in _pieces(text):
        n = count_tokens(sentence)
        if current and (
            size + n > MAX_CANDIDATE_TOKENS or chars + 1 + len(sentence) > MAX_CANDIDATE_CHARS
        ):
            chunks.append(" ".join(current))
            current, size, chars = [], 0, -1
        current.append(sentence)
        size += n
        chars += 1 + len(sentence)
    if current:
        chunks.append(" ".join(current))
    return chunks


def slot_of(text: str) -> str | None:
    """The single-valued fact a sentence sets ("home", "my dog's name"), if any."""
    for pattern, template in SLOT_PATTERNS:
        match = pattern.search(text)
        if match:
            groups = [g.lower() for g in match.groups()[:-1]] if template.count("{") else []
            return template.format(*groups)
    return None


def is_question(text: str) -> bool:
    """Every sentence of it is a question."""
    sentences = split_sentences(text)
    return bool(sentences) and all(s.rstrip().endswith(("?", "？")) for s in sentences)


def score(text: str, event: TimeRange | None) -> tuple[float, list[str]]:
    reasons = []
    body = text.split(":", 1)[1] if re.match(r"^[^:]{1,40}:", text) else text
    words = content_words(body)
    if (TRIVIA_RE.match(body.strip()) or len(words) < 2) and not REMEMBER_RE.search(text):
        return 0.05, ["trivia"]
    if is_question(body) and not (SELF_RE.search(body) and (event or NUMBER_RE.search(body))):
        # "What do you remember about my allergies?" asks; it tells nothing new.
        return 0.1, ["question"]
    # Three content words carry a fact ("the cello, twice a week"); two are small talk
    # ("the weather is nice") unless something else lifts them.
    value = GATE_THRESHOLD if len(words) >= 3 or REMEMBER_RE.search(text) else 0.25
    checks = [
        (REMEMBER_RE.search(text), 0.35, "asked to remember"),
        (HEALTH_RE.search(body), 0.25, "health"),
        (event is not None, 0.15, "date"),
        (NUMBER_RE.search(body), 0.08, "number"),
        (NAME_RE.search(body), 0.08, "names"),
        (SENTIMENT_RE.search(body), 0.1, "sentiment"),
        (SELF_RE.search(body), 0.07, "about themself"),
        (len(words) >= 8, 0.07, "detail"),
    ]
    for hit, weight, reason in checks:
        if hit:
            value += weight
            reasons.append(reason)
    return min(1.0, value), reasons


def kind_of(text: str, event: TimeRange | None, sent_at: datetime) -> str:
    if event is not None and event.start > sent_at.date():
        return "plan"
    if PLAN_RE.search(text) and event is None:
        return "plan"
    if event is not None:
        return "event"
    if PREFERENCE_RE.search(text):
        return "preference"
    return "fact"


def extract_candidates(text: str, sent_at: datetime) -> list[Candidate]:
    """Candidates that pass the gate; trivia ("ok thanks!") never reaches long-term memory."""
    candidates = []
    for chunk in _chunks(text):
        event = resolve_time(chunk, sent_at)
        importance, reasons = score(chunk, event)
        if importance < GATE_THRESHOLD:
            continue
        candidates.append(
            Candidate(
                text=chunk,
                importance=importance,
                kind=kind_of(chunk, event, sent_at),
                event=event,
                slot=slot_of(chunk),
                tokens=count_tokens(chunk),
                reasons=reasons,
            )
        )
    return candidates


def most_informative(candidates: list[Candidate], limit: int = MAX_CANDIDATES) -> list[Candidate]:
    """At most `limit` candidates, in their original order. A candidate repeated word for word
    is kept once (each repeat adds REPEAT_BONUS importance); beyond `limit`, candidates are
    picked greedily by importance plus NOVELTY_WEIGHT times the share of their terms that the
    ones already picked do not cover."""
    unique: dict[str, Candidate] = {}
    for candidate in candidates:
        key = normalise(candidate.text)
        kept = unique.get(key)
        unique[key] = (
            candidate
            if kept is None
            else replace(kept, importance=min(1.0, kept.importance + REPEAT_BONUS))
        )
    found = list(unique.values())
    if len(found) <= limit:
        return found
    terms = [set(lexical_terms(candidate.text)) for candidate in found]
    covered: set[str] = set()
    left = set(range(len(found)))
    picked: list[int] = []

    def worth(i: int) -> tuple[float, int]:
        novelty = len(terms[i] - covered) / max(1, len(terms[i]))
        return found[i].importance + NOVELTY_WEIGHT * novelty, -i  # earlier wins a tie

    for _ in range(limit):
        best = max(left, key=worth)
        picked.append(best)
        left.discard(best)
        covered |= terms[best]
    return [found[i] for i in sorted(picked)]
