"""Language-agnostic text handling for the gate and the lexical channel."""

import itertools
import math
import re
import unicodedata
from collections.abc import Sequence
from functools import cache

from langdetect import DetectorFactory, LangDetectException, detect_langs
from langdetect.detector_factory import init_factory

DetectorFactory.seed = 0  # langdetect is random unless seeded

WORD_RE = re.compile(r"[^\W_]+(?:'[^\W_]+)?", re.UNICODE)
# Kana, CJK ideographs (with extension A and compatibility forms), hangul, half-width katakana.
CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\uff66-\uff9f"
CJK_RE = re.compile(f"[{CJK}]")
TOKEN_RE = re.compile(f"[{CJK}]|[^\\W_{CJK}]+(?:'[^\\W_{CJK}]+)?")  # what count_tokens counts
LATIN_WORD_RE = re.compile(f"[^\\s{CJK}\u3000-\u303f\uff01-\uff65]+")
DIGIT_RE = re.compile(r"\d")
NUMBER_RE = re.compile(r"\d+(?:[.,:/-]\d+)*")  # "3", "2.5", "10:30", "12/03"
NEGATION_RE = re.compile(r"\b(not|no|never|no longer|none|nothing)\b|n't\b|ない|않|안 ", re.I)
HIRAGANA_KATAKANA = re.compile(r"[\u3040-\u30ff]")
HANGUL = re.compile(r"[\uac00-\ud7af\u1100-\u11ff]")
HAN = re.compile(r"[\u4e00-\u9fff]")
SENTENCE_RE = re.compile(r"(?<=[.!?。！？])\s+|(?<=[。！？])|\n+")

SUPPORTED_LANGUAGES = {"en", "ja", "ko", "zh", "es", "fr", "de", "it", "pt", "nl"}

STOPWORDS = frozenset(
    """
    a about above after again against all am an and any are aren't as at be because been before
    being below between both but by can can't cannot could couldn't did didn't do does doesn't
    doing don't down during each few for from further had hadn't has hasn't have haven't having
    he he'd he'll he's her here here's hers herself him himself his how how's i i'd i'll i'm
    i've if in into is isn't it it's its itself let's me more most mustn't my myself no nor not
    of off on once only or other ought our ours ourselves out over own same shan't she she'd
    she'll she's should shouldn't so some such than that that's the their theirs them
    themselves then there there's these they they'd they'll they're they've this those through
    to too under until up very was wasn't we we'd we'll we're we've were weren't what what's
    when when's where where's which while who who's whom why why's with won't would wouldn't
    you you'd you'll you're you've your yours yourself yourselves yeah yes oh wow hey hi hello
    ok okay really just also so lot lots thing things get got gonna wanna like well much many
    way sure did does do done will would
    """.split()  # noqa: SIM905
)


def normalise(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


def stem(word: str) -> str:
    """A light, deterministic English suffix stripper (plural/tense), enough for matching."""
    if len(word) <= 3 or not word.isascii():
        return word
    for suffix, replacement in (
        ("ies", "y"),
        ("sses", "ss"),
        ("ing", ""),
        ("ed", ""),
        ("es", ""),
        ("s", ""),
    ):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            if suffix == "s" and word.endswith(("ss", "us", "is")):
                return word
            return word[: len(word) - len(suffix)] + replacement
    return word


def words(text: str) -> list[str]:
    return WORD_RE.findall(normalise(text))


def _cjk_bigrams(word: str) -> list[str]:
    chars = [c for c in word if not c.isspace()]
    if len(chars) == 1:
        return chars
    return [chars[i] + chars[i + 1] for i in range(len(chars) - 1)]


def _plain_word(word: str) -> str | None:
    """The word without apostrophes, or None for a stopword ("i'm", "don't", "the")."""
    if word in STOPWORDS:  # contractions are listed with their apostrophe
        return None
    if word.endswith("'s"):  # possessive: "kenji's" is "kenji", not "kenjis"
        word = word[:-2]
    word = word.replace("'", "")
    return None if word in STOPWORDS else word


def lexical_terms(text: str) -> list[str]:
    """Normalised index terms: stemmed content words; CJK runs become character bigrams."""
    terms: list[str] = []
    for word in words(text):
        if CJK_RE.search(word):
            terms.extend(_cjk_bigrams(word))
            continue
        plain = _plain_word(word)
        if plain is None or (len(plain) < 2 and not plain.isdigit()):
            continue
        terms.append(stem(plain))
    return terms


def search_terms(text: str, *, query: bool = False) -> list[str]:
    """Whole-word terms of the conversation search's blind index (distinct, in order of appearance).

    Every word counts (stopwords and one-letter words too: anything typed can be searched for),
    NFKC-normalised, casefolded, possessive and apostrophes dropped and lightly stemmed, so
    "Peanuts" finds "peanut". Unspaced CJK runs (Japanese, Chinese, and Korean words with their
    particles attached) become character bigrams; an indexed text also gets their single
    characters so a one-character query (猫) still matches, while a `query` of two or more
    characters asks for its bigrams. A part of a spaced word ("week" in "weekend") is not a term.
    """
    terms: dict[str, None] = {}
    for word in words(text):
        if CJK_RE.search(word):
            chars = [c for c in word if not c.isspace()]
            if not query or len(chars) == 1:
                terms.update(dict.fromkeys(chars))
            terms.update(dict.fromkeys(_cjk_bigrams(word)))
            continue
        if word.endswith("'s"):
            word = word[:-2]
        word = word.replace("'", "")
        if word:
            terms[stem(word)] = None
    return list(terms)


def content_words(text: str) -> list[str]:
    """Words that carry meaning; unspaced CJK runs count as their character bigrams."""
    found: list[str] = []
    for word in words(text):
        if CJK_RE.search(word):
            found.extend(_cjk_bigrams(word))
            continue
        plain = _plain_word(word)
        if plain is not None and len(plain) > 1:
            found.append(plain)
    return found


def split_sentences(text: str) -> list[str]:
    return [part.strip() for part in SENTENCE_RE.split(text) if part and part.strip()]


def count_tokens(text: str) -> int:
    """Words for spaced scripts, characters for CJK: a stable measure of context size."""
    cjk = len(CJK_RE.findall(text))
    return len(WORD_RE.findall(CJK_RE.sub(" ", text))) + cjk


def text_windows(text: str, *, max_tokens: int, max_chars: int) -> list[str]:
    """`text` cut into pieces of at most `max_tokens` tokens (as `count_tokens` counts them) and
    `max_chars` characters, at token boundaries, else at a space, else anywhere: for text with
    no sentence end to split at."""
    starts = [match.start() for match in TOKEN_RE.finditer(text)]
    bounds = [0, *starts[max_tokens::max_tokens], len(text)]
    pieces: list[str] = []
    for start, end in itertools.pairwise(bounds):
        piece = text[start:end].strip()
        while len(piece) > max_chars:
            cut = piece.rfind(" ", max_chars // 2, max_chars + 1)
            cut = cut if cut > 0 else max_chars
            pieces.append(piece[:cut].strip())
            piece = piece[cut:].strip()
        if piece:
            pieces.append(piece)
    return pieces


def language_detection_warm_up() -> None:
    """Load langdetect's language profiles now (process start): loading them takes about a
    second of CPU, which would otherwise fall on the first message that needs them."""
    init_factory()


@cache
def _detect(text: str) -> str:
    try:
        guesses = detect_langs(text)
    except LangDetectException:
        return "und"
    best = guesses[0]
    code = best.lang.split("-")[0]
    if best.prob < 0.6:
        return "und"
    return code


FUNCTION_WORDS = {
    "en": "the and is are was you i to of it that with for this my have not what but",
    "es": "el la los las y es que de en un una por con para no lo muy pero mi",
    "fr": "le la les et est que de un une pour pas je tu il elle nous avec mais très",
    "de": "der die das und ist nicht ich du ein eine mit für auf sie es zu wir sehr",
    "it": "il lo gli e è che di un una per non sono con ma molto io mi della",
    "pt": "o os as e é que de um uma para não com em eu muito mas você",
    "nl": "de het een en is niet ik je met voor op dat van zijn wij heel maar",
}
_FUNCTION_SETS = {code: frozenset(words.split()) for code, words in FUNCTION_WORDS.items()}


def _function_word_guess(text: str) -> str | None:
    """A fast guess for Latin-script text from function words; None when it is not clear-cut."""
    tokens = WORD_RE.findall(normalise(text))
    hits = sorted(
        ((sum(t in words for t in tokens), code) for code, words in _FUNCTION_SETS.items()),
        reverse=True,
    )
    (best, code), (second, _) = hits[0], hits[1]
    return code if best >= 3 and best >= 2 * second else None


# Characters common in Chinese and absent from (or rare in) Japanese: function words and
# simplified forms. Han text without kana and without these is read as Japanese ("会社員").
CHINESE_RE = re.compile(r"[的们这吗呢吧么个说时对没还让给过为边见欢东车长开门问间我你爱]")
# English words a short statement nearly always has (pronouns, articles, auxiliaries), less
# the ones other Latin-script languages share (a, me, in, on, is, was, do).
ENGLISH_MARKERS = frozenset(
    """i i'm i've i'd i'll my mine we we're our us you your he she his her they their it it's
    the an are were am be been have has had does did don't can't not and but or to of at for
    with from this that what how when where why just thanks thank hello hey""".split()  # noqa: SIM905
)


def writing_system(text: str) -> str:
    """The script a text is written in, without a language detector: "ko" (any hangul), "ja"
    (any kana), "han" (Chinese characters only) or "latin" (everything else)."""
    if HANGUL.search(text):
        return "ko"
    if HIRAGANA_KATAKANA.search(text):
        return "ja"
    return "han" if HAN.search(text) else "latin"


def detect_language(text: str) -> str:
    """ISO 639-1 code, `und` when unsure. Scripts decide Japanese and Korean (hangul, kana; Han
    alone is Chinese only with Chinese function words or simplified forms); Latin-script text is
    English when it has English function words and no other language's are clearly ahead, and
    otherwise needs strong evidence (function words, or langdetect sure of a longer text) to be
    anything else: "I like green tea" is not Afrikaans."""
    hangul = len(HANGUL.findall(text))
    kana = len(HIRAGANA_KATAKANA.findall(text))
    han = len(HAN.findall(text))
    latin = sum(ch.isalpha() and ch.isascii() for ch in text)
    # A CJK character carries about as much as two Latin letters ("I ate 寿司 today" is English).
    if 2 * (hangul + kana + han) >= latin and hangul + kana + han:
        if hangul >= kana + han:
            return "ko"
        if kana:
            return "ja"
        return "zh" if CHINESE_RE.search(text) else "ja"
    letters = sum(ch.isalpha() for ch in text)
    tokens = WORD_RE.findall(normalise(text[:400]))
    english = any(token in ENGLISH_MARKERS for token in tokens)
    accented = any("\u00c0" <= ch <= "\u024f" and ch.isalpha() for ch in text)  # é, ß, ñ
    guess = _function_word_guess(text[:400])
    if guess is not None:
        return guess
    if english and not accented:
        return "en"
    if letters < 12:
        return "und"
    detected = _detect(text[:400])
    if accented or english or letters >= 40:
        return detected
    # Plain ASCII words without any language's function words: langdetect's guess on so little
    # text is noise (it reads "green tea lover" as Afrikaans), and English is by far the likeliest.
    return "en"


NAME_RE = re.compile(r"\b[A-Z][\w'-]*[a-z][\w'-]*\b")
# A capitalised word that does not open a sentence (the gate's "mentions someone" cue).
MID_SENTENCE_NAME_RE = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z][a-z]{2,}")
_QUESTION_WORDS = (
    "what when where who whom whose which why how did does do is are was were would "
    "could should can will have has had i my me you your we our"
)
QUESTION_WORDS = frozenset(_QUESTION_WORDS.split())


def named_entities(text: str) -> list[str]:
    """Capitalised words that are not question words or sentence openers ("Caroline", "Tokyo")."""
    names = []
    for match in NAME_RE.finditer(text):
        word = match.group(0)
        start = match.start()
        opener = start == 0 or text[:start].rstrip()[-1:] in ".!?"
        if word.casefold() in QUESTION_WORDS or (opener and word.casefold() in STOPWORDS):
            continue
        names.append(word)
    return names


# -- summary cues -------------------------------------------------------------------------------

MONTHS = (
    "January|February|March|April|May|June|July|August|September|October|November|December|"
    "Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec"
)
WEEKDAYS = "Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday"
DATE_RE = re.compile(
    rf"\b(?:{MONTHS})\b|\b(?:{WEEKDAYS})s?\b|\b\d{{4}}-\d{{1,2}}-\d{{1,2}}\b|\b\d{{1,2}}/\d{{1,2}}\b"
    r"|\b\d{1,2}:\d{2}\b|\b\d{1,2}\s?(?:am|pm)\b"
    r"|(?i:\b(?:today|tomorrow|yesterday|tonight|next week|last week|next month|last month)\b)"
    r"|\d+月|\d+日|今日|明日|昨日|来週|先週|来月|先月|曜日|年"
)
NUMERAL_RE = re.compile(r"\d|[一二三四五六七八九十百千万]+[人個回杯本枚歳円時分年]")
EMPHASIS_RE = re.compile(
    r"(?i:\b(?:remember|important|always|never|must|allergic|allergy|love|hate|favou?rite|"
    r"birthday|anniversary|deadline|promise|don't forget)\b)"
    r"|覚えて|大事|大切|絶対|必ず|アレルギー|大好き|嫌い|誕生日|記念日|締め切り|約束|忘れないで"
)
JA_NAME_RE = re.compile(r"\S+?(?:さん|くん|君|ちゃん|先生)")
CAPITALISED_RE = re.compile(r"\b[A-Z][a-z]+\b")
NOT_NAMES = frozenset(
    f"I The A An My We It This That There So But And Then When If Today Yesterday Tomorrow "
    "Hi Hello Hey Thanks Thank Yes No Well Ok Okay What How Why Where Who Please Sorry Good "
    "Great Maybe Let Anyway After Before In On At For With From Sometimes Last Next Every "
    f"He She They You Your Our Oh Also Just {MONTHS.replace('|', ' ')} {WEEKDAYS.replace('|', ' ')}".split()
)


def extractive_pick(
    scores: Sequence[float],
    sizes: Sequence[int],
    *,
    budget: int,
    min_score: float | None = None,
) -> list[int]:
    """The extractive summariser's choice: indices of the highest-scoring items (ties: the
    earlier one) that still fit in `budget`, skipping any below `min_score`; in original order.
    Used by the offline provider (words) and by episodic compression (tokens, gate scores)."""
    chosen, used = [], 0
    for index in sorted(range(len(scores)), key=lambda i: (-scores[i], i)):
        if min_score is not None and scores[index] < min_score:
            continue
        if used + sizes[index] > budget:
            continue
        chosen.append(index)
        used += sizes[index]
    return sorted(chosen)


# -- summaries ----------------------------------------------------------------------------------


def count_words(text: str) -> int:
    """Words as `max_words` counts them: Latin words, plus one per two CJK characters."""
    return len(LATIN_WORD_RE.findall(text)) + math.ceil(len(CJK_RE.findall(text)) / 2)


def salience(sentence: str) -> int:
    """How telling a sentence is: dates, emphasis, numbers, names."""
    score = 0
    if DATE_RE.search(sentence):
        score += 3
    if EMPHASIS_RE.search(sentence):
        score += 3
    if NUMERAL_RE.search(sentence):
        score += 2
    if JA_NAME_RE.search(sentence) or any(
        word not in NOT_NAMES for word in CAPITALISED_RE.findall(sentence)
    ):
        score += 2
    return score


def extractive_summary(texts: list[str], *, max_words: int = 80) -> str:
    """The most telling sentences of `texts`, in their original order, within `max_words`."""
    sentences: list[str] = []
    for text in texts:
        for sentence in split_sentences(text or ""):
            if sentence not in sentences:
                sentences.append(sentence)
    if not sentences or max_words <= 0:
        return ""
    scores = [salience(sentence) for sentence in sentences]
    chosen = extractive_pick(scores, [count_words(s) for s in sentences], budget=max_words)
    if not chosen:
        best = min(range(len(sentences)), key=lambda i: (-scores[i], i))
        return _truncate(sentences[best], max_words)
    picked = [sentences[i] for i in chosen]
    summary = picked[0]
    for sentence in picked[1:]:
        summary += ("" if summary[-1] in "。！？" else " ") + sentence
    return summary


def _truncate(sentence: str, max_words: int) -> str:
    if CJK_RE.search(sentence) and " " not in sentence:
        return sentence[: max_words * 2].rstrip() + "…"
    return " ".join(sentence.split()[:max_words]) + "…"
