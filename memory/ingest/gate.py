"""The write-path gate: which parts of a message become long-term memories, and how important.

Pure functions (no database): `extract_candidates` splits a message into candidate memories
and scores each one; `most_informative` keeps at most MAX_CANDIDATES of them. What the person
emphasised counts more: an explicit "remember", repetition (handled by merging, see services),
strong sentiment, dates, people, numbers, health facts.

Only what the person says about themselves becomes a memory, as a clean statement
(`statement_of`): greetings, fillers and the companion's name are stripped ("Hi Pip! I work as a
nurse" keeps "I work as a nurse."), small talk, pure questions and commands to the companion
("Log 2 glasses of water") are dropped, and a question that carries a fact keeps only the fact
("Did you know I ran a marathon?" keeps "I ran a marathon."). English, Japanese and Korean.
"""

import re
from dataclasses import dataclass, field, replace
from datetime import datetime

from macaron.text import (
    CJK_RE,
    STOPWORDS,
    content_words,
    count_tokens,
    lexical_terms,
    normalise,
    split_sentences,
    text_windows,
)
from macaron.text import DIGIT_RE as NUMBER_RE
from macaron.text import MID_SENTENCE_NAME_RE as NAME_RE
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

# -- clean statements ----------------------------------------------------------------------
# A speaker label ("Caroline: …", imported transcripts) is kept in front of the statement.
LABEL_RE = re.compile(r"^([A-Z][\w'-]*(?: [A-Z][\w'-]*){0,2}):\s+")
_CLOSE = r"[\s,、!！.。~〜～]*"
# A greeting, with the name of whoever is greeted ("Hi Pip!", "こんにちは、ピップ！", "안녕, 핍!").
GREETING_RES = (
    re.compile(
        r"^(?i:hi|hey|hello|hiya|howdy|yo)\b(?:\s+(?i:there|again))?"
        r"(?:[\s,]+[A-Z][a-z'-]+(?=\s*[!,.~]))?" + _CLOSE
    ),
    re.compile(
        r"^(?i:good\s+(?:morning|afternoon|evening|night)|morning|evening)"
        r"(?:[\s,]+[A-Z][a-z'-]+)?\s*[!,.~]+\s*"
    ),
    re.compile(
        r"^(?:こんにちは|こんばんは|おはよう(?:ございます)?|やあ|ハロー|もしもし|ただいま)"
        r"(?:[、,\s]*[ァ-ヴーA-Za-z]{1,12}(?:さん|ちゃん|くん)?)?" + _CLOSE
    ),
    re.compile(
        r"^(?:안녕(?:하세요)?|좋은\s?(?:아침|저녁|밤)(?:이에요|입니다)?|하이|헬로|여보세요)"
        r"(?:[,\s]+[가-힣A-Za-z]{1,6}(?=\s*[!,.~]))?\s*[!,.~]+\s*"
    ),
)
FILLER_RES = (
    re.compile(
        r"^(?i:oh|ah|ugh|um+|uh+|erm?|hmm+|so anyway|anyway|anyways|ok|okay|yeah|yep|yup|"
        r"actually|honestly|basically|lol|haha+|hehe+|wow|whoa|by the way|btw)(?:[\s,.!…]+|$)"
    ),
    # Words that are fillers only when set off ("So, I …" but "So much has happened").
    re.compile(r"^(?i:so|well|yes|no|nope|like|you know|i mean|guess what)(?:[,.!…]+\s*|$)"),
    re.compile(r"^(?:えーと|えっと|えー+|うーん|そういえば|ところで|実は)[、,\s]*"),
    re.compile(r"^(?:あの(?:ー+|ね|さ)?|まあ|ねえ|ねぇ)[、,]+\s*"),
    re.compile(
        r"^(?:음+|어+|아+|흠+|저기요|있잖아|그러니까|그니까|사실|근데|아무튼|솔직히|ㅋ+|ㅎ+)"
        r"(?:[,.!\s]+|$)"
    ),
)
# Addressing the companion by name before a statement about oneself: "Pip, I signed up…".
VOCATIVE_RE = re.compile(r"^([A-Z][a-z]+),\s+(?=(?:I|I'm|I've|I'd|my|My|we|We|our|Our)\b)")
NAME_ONLY_RE = re.compile(r"^[A-Z][a-z'-]+(?: [A-Z][a-z'-]+)?\s*[!.,~]*$")  # "Caroline!"
NOT_VOCATIVE = frozenset(
    ["today", "tonight", "yesterday", "tomorrow", "anyway", "honestly", "also", "sadly"]
)
# Asking to remember: the lead-in goes, the fact stays (and counts as emphasised).
REMEMBER_LEAD_RES = (
    re.compile(
        r"^(?i:please\s+)?(?i:remember|don't forget|do not forget|never forget|keep in mind|"
        r"note|make a note|remind me)(?:\s+that\s+|\s*[:,]\s*)"
    ),
    re.compile(
        r"^(?:覚えておいて|覚えといて|覚えてて|忘れないで)(?:ね|ほしい|ください)?[、,:：!！。\s]+"
    ),
    re.compile(r"^(?:기억해\s?(?:줘|둬|주세요|두세요)|잊지\s?마(?:세요)?)[,.!:\s]+"),
)
REMEMBER_TAIL_JA = re.compile(
    r"^(.+?)(?:って|と)(?:覚えておいて|覚えといて|覚えてて)(?:ね|ください)?[。！!]*$"
)
# Reactions, thanks and compliments to whoever is listening: nothing about the person.
REACTION_RE = re.compile(
    r"^(?i:(?:that'?s|that is|this is|it'?s|(?:that |this |it )?(?:sounds|looks)|what an?|how|"
    r"you'?re|you are|so)\s+"
    r"(?:so\s+|really\s+|very\s+|pretty\s+|such\s+an?\s+|the\s+)*"
    r"(?:great|cool|awesome|nice|amazing|wonderful|fun|good|lovely|sweet|interesting|"
    r"beautiful|fantastic|exciting|brave|kind|true|funny|crazy|incredible|impressive|best|"
    r"right|adorable|cute|perfect|fair|sad|terrible|tough|hard)\b"
    r"|thanks|thank you|thx|ty|(?:good|great|nice) to (?:see|hear|know|meet|chat|talk)|"
    r"long time no (?:see|talk)|talk (?:to you )?soon|"
    r"glad to hear|take care|see you|good night|bye|congrat|love you|same here|me too|"
    r"you too|no worries|no problem|of course|sure thing|got it|i see|makes sense)"
)
TRIVIA_CJK_RE = re.compile(
    r"^(?:ありがと(?:う|うございます)?|どうも|サンキュー|おやすみ(?:なさい)?|じゃあね|またね|了解|"
    r"りょうかい|なるほど|そうなんだ|そうだね|そっか|いいね|すごい(?:ね)?|うん|はい|いいえ|ええ|"
    r"よろしく(?:ね|お願いします)?|お疲れ(?:様)?|おめでとう|"
    r"고마워(?:요)?|고맙습니다|감사(?:합니다|해요)|알았어(?:요)?|알겠어(?:요)?|그래(?:요)?|응|네|"
    r"아니(?:요)?|좋아(?:요)?|대박|진짜|잘\s?자|수고(?:했어|하셨어요)?|축하해(?:요)?|ㅋ+|ㅎ+)"
    r"[\s!！.。~〜～?？ㅋㅎ]*$"
)
# Sentences that ask the companion for something: a tool command ("Log 2 glasses of water",
# "Please add eggs to my shopping list"), a request in Japanese or Korean (…して, …해 줘).
COMMAND_RE = re.compile(
    r"^(?i:please\s+|can you\s+|could you\s+|would you\s+|will you\s+)*"
    r"(?i:log|add|set|show|tell|give|track|record|list|delete|remove|find|search|play|open|"
    r"schedule|send|recommend|suggest|translate|calculate|update|cancel|save|turn on|"
    r"turn off|text|email|wake me|let me know|look up|explain|summari[sz]e|plan|book|"
    r"order|start a|create|make me|help me)\b"
)
# A noun that opens a statement looks like a command verb ("Book club was fun", "Track practice
# went well"): a finite verb later makes it a statement, unless the command is to "me".
FINITE_VERB_RE = re.compile(
    r"\b(?:am|is|are|was|were|went|got|had|has|have|did|made|felt|looked|seemed)\b", re.I
)
SELF_CLAUSE_RE = re.compile(r"[,;]\s+((?:I|I'm|I've|I am|My|my|We|we|We're|Our|our)\b.+)$")
COMMAND_TO_ME_RE = re.compile(r"^\S+(?:\s+\S+)?\s+(?:me|us)\b", re.I)
COMMAND_CJK_RE = re.compile(
    r"(?:して|しといて|しておいて|教えて|見せて|送って|調べて|消して|入れて|つけて|止めて|"
    r"探して|作って|頼む|お願い)(?:ください|下さい|くれる|ね|よ|ちょうだい|します)?[。！!～〜]*$|"
    r"(?:줘|주세요|줄래|주실래요)[.!~]*$"
)
# A question that opens with a fact's messenger: "Did you know I …?", "Can you believe I …?".
FACT_QUESTION_RE = re.compile(
    r"^(?i:did you know|do you know|can you believe|believe it or not|guess what)"
    r"[\s,:]+(?:(?i:that)\s+)?(.+?)[\s?？!]*$"
)
# "I'm vegetarian, what should I cook?": the statement before the question.
FACT_THEN_QUESTION_RE = re.compile(
    r"^(.+?\S)\s*(?:[,;:]|\s[—–-])\s*(?i:and\s+|but\s+|so\s+)?"
    r"(?i:what|how|where|when|which|who|why|any|anything|do|does|did|can|could|should|would|"
    r"will|is|are|have|has)\b.*[?？]$"
)
FACT_THEN_QUESTION_JA = re.compile(r"^(.+?)(?:けれども|けれど|けど|んですが|ですが)、.+[?？]$")
QUESTION_START_RE = re.compile(
    r"^(?i:what|how|where|when|which|who|why|do|does|did|can|could|should|would|will|is|are|"
    r"have|has)\b"
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


def _statement_chunks(text: str) -> list[tuple[str, bool]]:
    """The message's clean statements grouped into chunks of at most MAX_CANDIDATE_TOKENS
    tokens and MAX_CANDIDATE_CHARS characters (a short message is one chunk), each with
    whether the person asked to remember it. A speaker label stays in front of each chunk."""
    label_match = LABEL_RE.match(text.strip())
    if label_match and REMEMBER_RE.search(label_match.group(1)):
        label_match = None  # "Important: …" asks to remember; it names no speaker
    label = label_match.group(1) if label_match else ""
    body = text.strip()[label_match.end() :] if label_match else text.strip()
    found = [sentence_statement(piece) for piece in _pieces(body)]
    chunks: list[tuple[str, bool]] = []
    current: list[str] = []
    emphasised = False
    size, chars = 0, -1  # chars: the length of the group joined with spaces

    def close() -> None:
        joined = _joined(current)
        chunks.append((f"{label}: {joined}" if label else joined, emphasised))

    for statement, asked in found:
        if not statement:
            continue
        n = count_tokens(statement)
        if current and (
            size + n > MAX_CANDIDATE_TOKENS or chars + 1 + len(statement) > MAX_CANDIDATE_CHARS
        ):
            close()
            current, size, chars, emphasised = [], 0, -1, False
        current.append(statement)
        emphasised = emphasised or asked
        size += n
        chars += 1 + len(statement)
    if current:
        close()
    return chunks


def _strip_openers(sentence: str) -> str:
    """Greetings, fillers and a leading vocative, repeatedly ("Oh well, um, hi Pip! I …")."""
    while True:
        before = sentence
        for pattern in (*GREETING_RES, *FILLER_RES):
            sentence = pattern.sub("", sentence, count=1)
        vocative = VOCATIVE_RE.match(sentence)
        if vocative and not _ordinary_word(vocative.group(1)):
            sentence = sentence[vocative.end() :]
        if sentence == before:
            return sentence.strip()


def _ordinary_word(word: str) -> bool:
    """A capitalised sentence opener that is not a name ("Yesterday, I …", "Sadly, we …")."""
    low = word.casefold()
    return low in STOPWORDS or low in NOT_VOCATIVE or low.endswith("ly")


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:] if text[:1].islower() and text[:1].isascii() else text


def _as_sentence(text: str) -> str:
    text = text.strip().rstrip(",;:、")
    if not text or text[-1] in ".!?。！？":
        return text
    return text + ("。" if CJK_RE.search(text[-1]) else ".")


def _fact_in_question(sentence: str) -> str:
    """The statement a question carries ("Did you know I got a puppy?" → "I got a puppy."),
    or "" when it only asks."""
    for pattern in (FACT_QUESTION_RE, FACT_THEN_QUESTION_RE, FACT_THEN_QUESTION_JA):
        match = pattern.match(sentence)
        if not match:
            continue
        fact = match.group(1).strip()
        if pattern is FACT_THEN_QUESTION_JA:
            return _as_sentence(fact)
        if SELF_RE.search(fact) and not QUESTION_START_RE.match(fact) and "?" not in fact:
            return _as_sentence(_capitalised(fact))
    return ""


def sentence_statement(sentence: str) -> tuple[str, bool]:
    """The clean statement one sentence makes about the person ("" when none), and whether the
    person asked to have it remembered."""
    stripped = _strip_openers(sentence)
    sentence = _capitalised(stripped) if stripped != sentence.strip() else stripped
    emphasised = False
    for pattern in REMEMBER_LEAD_RES:
        lead = pattern.match(sentence)
        if lead and sentence[lead.end() :].strip():
            sentence, emphasised = _capitalised(_strip_openers(sentence[lead.end() :])), True
            break
    if (tail := REMEMBER_TAIL_JA.match(sentence)) is not None:
        sentence, emphasised = _as_sentence(tail.group(1)), True
    if not sentence or not any(ch.isalnum() for ch in sentence) or NAME_ONLY_RE.match(sentence):
        return "", False
    reaction = REACTION_RE.match(sentence)
    if (reaction and not SELF_RE.search(sentence[reaction.end() :])) or TRIVIA_CJK_RE.match(
        sentence
    ):
        return "", False
    if sentence.rstrip(" !！~〜").endswith(("?", "？")):
        return _fact_in_question(sentence.rstrip(" !！~〜")), emphasised
    if COMMAND_RE.match(sentence) and (
        COMMAND_TO_ME_RE.match(sentence) or not FINITE_VERB_RE.search(sentence)
    ):
        # "Give me dinner ideas, I'm vegan": the request goes, the fact after it stays.
        fact = SELF_CLAUSE_RE.search(sentence)
        return (_as_sentence(_capitalised(fact.group(1))), emphasised) if fact else ("", False)
    if COMMAND_CJK_RE.search(sentence):
        return "", False
    return sentence, emphasised


def _joined(statements: list[str]) -> str:
    text = ""
    for statement in statements:
        text += ("" if not text or text[-1] in "。！？" else " ") + statement
    return text


def statement_of(text: str) -> str:
    """What a (short) message says about the person, as one clean statement ("" when nothing)."""
    return " ".join(chunk for chunk, _ in _statement_chunks(text))


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


def score(
    text: str, event: TimeRange | None, *, emphasised: bool = False
) -> tuple[float, list[str]]:
    """Importance of a candidate. `emphasised`: the person asked to remember it in words the
    clean statement no longer has ("Remember that …")."""
    reasons = []
    body = text.split(":", 1)[1] if re.match(r"^[^:]{1,40}:", text) else text
    words = content_words(body)
    asked = emphasised or bool(REMEMBER_RE.search(text))
    # One content word is small talk, unless it is a health fact about them ("I'm vegan").
    health_fact = bool(HEALTH_RE.search(body) and SELF_RE.search(body))
    if (TRIVIA_RE.match(body.strip()) or (len(words) < 2 and not health_fact)) and not asked:
        return 0.05, ["trivia"]
    if is_question(body) and not (SELF_RE.search(body) and (event or NUMBER_RE.search(body))):
        # "What do you remember about my allergies?" asks; it tells nothing new.
        return 0.1, ["question"]
    # Three content words carry a fact ("the cello, twice a week"); two are small talk
    # ("the weather is nice") unless something else lifts them.
    value = GATE_THRESHOLD if len(words) >= 3 or asked else 0.25
    checks = [
        (asked, 0.35, "asked to remember"),
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
    """Candidates that pass the gate; trivia ("ok thanks!"), questions and commands never reach
    long-term memory, and what is kept is the clean statement (see `sentence_statement`)."""
    candidates = []
    for chunk, asked in _statement_chunks(text):
        event = resolve_time(chunk, sent_at)
        importance, reasons = score(chunk, event, emphasised=asked)
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
