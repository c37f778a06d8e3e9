"""Language-agnostic text handling for the gate and the lexical channel."""

import re
import unicodedata
from functools import cache

from langdetect import DetectorFactory, LangDetectException, detect_langs

DetectorFactory.seed = 0  # langdetect is random unless seeded

WORD_RE = re.compile(r"[^\W_]+(?:'[^\W_]+)?", re.UNICODE)
CJK_RE = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")
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


def detect_language(text: str) -> str:
    """ISO 639-1 code, `und` when unsure. Scripts decide CJK; function words decide clear
    Latin-script cases cheaply; langdetect decides the rest."""
    if HANGUL.search(text):
        return "ko"
    if HIRAGANA_KATAKANA.search(text):
        return "ja"
    if HAN.search(text):
        return "zh"
    letters = sum(ch.isalpha() for ch in text)
    if letters < 12:
        return "und"
    return _function_word_guess(text[:400]) or _detect(text[:400])


NAME_RE = re.compile(r"\b[A-Z][\w'-]*[a-z][\w'-]*\b")
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
