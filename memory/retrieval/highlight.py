"""Why a memory matched a search: the query's terms found in its text, and how close in meaning.

Terms are compared the way the lexical channel indexes them (`macaron.text.lexical_terms`:
stemmed content words, CJK character bigrams), so "peanut allergy" marks "peanuts" but not
"I". The text is the person's decrypted data: it is split into plain pieces for the template
to escape, and never logged.
"""

import re
from dataclasses import dataclass

from macaron.text import CJK, CJK_RE, lexical_terms, normalise

# Word-like runs of the text with their positions: a CJK run or a spaced-script word.
_RUN_RE = re.compile(f"[{CJK}]+|[^\\W_{CJK}]+(?:'[^\\W_{CJK}]+)?")

# "Close in meaning": cosine similarity to the query within MEANING_MARGIN of the best match,
# and at least MEANING_LIFT above the typical unrelated memory: the median of the results, or
# UNRELATED_SIMILARITY when that is lower (few memories, or all on the query's topic).
# multilingual-e5-small puts unrelated sentences at 0.70-0.80 and a paraphrase or translation
# at 0.84-0.90, so a fixed floor alone cannot tell them apart; standing out can.
MEANING_MARGIN = 0.05
MEANING_LIFT = 0.06
UNRELATED_SIMILARITY = 0.78


@dataclass(frozen=True)
class Highlight:
    pieces: tuple[tuple[str, bool], ...]  # (text, matched) in order; joined they are the text
    terms: tuple[str, ...]  # the distinct words of the text that matched (any case), in order

    @property
    def matched(self) -> bool:
        return bool(self.terms)


def _cjk_marks(run: str, bigrams: set[str]) -> list[bool]:
    marks = [False] * len(run)
    if len(run) == 1:
        marks[0] = run in bigrams
    for i in range(len(run) - 1):
        if run[i : i + 2] in bigrams:
            marks[i] = marks[i + 1] = True
    return marks


def highlight(text: str, query: str) -> Highlight:
    """`text` cut into pieces, the ones that carry a query term marked."""
    wanted = set(lexical_terms(query))
    if not wanted or not text:
        return Highlight(pieces=((text, False),) if text else (), terms=())
    marks = [False] * len(text)
    for found in _RUN_RE.finditer(text):
        run = found.group()
        if CJK_RE.match(run):
            for offset, mark in enumerate(_cjk_marks(run, wanted)):
                marks[found.start() + offset] = mark
        elif wanted & set(lexical_terms(run)):
            for i in range(found.start(), found.end()):
                marks[i] = True
    pieces: list[tuple[str, bool]] = []
    start = 0
    for i in range(1, len(text) + 1):
        if i == len(text) or marks[i] != marks[start]:
            pieces.append((text[start:i], marks[start]))
            start = i
    terms: dict[str, str] = {}  # one per word whatever its case, as first written
    for piece, mark in pieces:
        if mark:
            terms.setdefault(normalise(piece), piece)
    return Highlight(pieces=tuple(pieces), terms=tuple(terms.values()))


def close_in_meaning(similarities: list[float]) -> list[bool]:
    """Which results stand out by meaning alone (see MEANING_MARGIN and MEANING_LIFT)."""
    if not similarities:
        return []
    ordered = sorted(similarities)
    middle = len(ordered) // 2
    median = ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2
    baseline = min(median, UNRELATED_SIMILARITY)
    best = ordered[-1]
    return [
        value >= best - MEANING_MARGIN and value - baseline >= MEANING_LIFT
        for value in similarities
    ]
