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


# A query term makes a memory relevant by itself only when it is telling: held by at most
# RARE_SHARE of the person's current memories (or RARE_MIN of them). A name that is in every
# memory ("Caroline", the person's own) is still highlighted, but proves nothing.
RARE_SHARE = 0.05
RARE_MIN = 3


@dataclass(frozen=True)
class Highlight:
    pieces: tuple[tuple[str, bool], ...]  # (text, matched) in order; joined they are the text
    terms: tuple[str, ...]  # the distinct words of the text that matched (any case), in order
    telling: bool = False  # one of the matched terms is rare among the person's memories

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


def rare_limit(current_memories: int) -> float:
    """The most memories a query term may be in and still make a match telling."""
    return max(RARE_MIN, RARE_SHARE * current_memories)


def highlight(text: str, query: str, *, rare: set[str] | None = None) -> Highlight:
    """`text` cut into pieces, the ones that carry a query term marked; `telling` when one of
    the terms found is in `rare` (every term counts when `rare` is None)."""
    wanted = set(lexical_terms(query))
    if not wanted or not text:
        return Highlight(pieces=((text, False),) if text else (), terms=())
    marks = [False] * len(text)
    found_terms: set[str] = set()
    for found in _RUN_RE.finditer(text):
        run = found.group()
        if CJK_RE.match(run):
            for offset, mark in enumerate(_cjk_marks(run, wanted)):
                marks[found.start() + offset] = mark
            found_terms.update(
                run[i : i + 2] for i in range(len(run) - 1) if run[i : i + 2] in wanted
            )
            if len(run) == 1 and run in wanted:
                found_terms.add(run)
        elif hits := wanted & set(lexical_terms(run)):
            found_terms.update(hits)
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
    telling = bool(found_terms & rare) if rare is not None else bool(found_terms)
    return Highlight(pieces=tuple(pieces), terms=tuple(terms.values()), telling=telling)


# The search's own top results (it fuses meaning with words, dates and importance) also count
# when meaning agrees, if less strongly: among the first TRUSTED_TOP, within TRUSTED_MARGIN
# of the best similarity and TRUSTED_LIFT above the median. Across languages multilingual-e5
# separates less (a Japanese memory for an English question sits 0.02-0.04 above the median).
TRUSTED_TOP = 3
TRUSTED_MARGIN = 0.03
TRUSTED_LIFT = 0.02


def close_in_meaning(similarities: list[float]) -> list[bool]:
    """Which results (in ranked order) are close in meaning: they stand out by meaning alone
    (MEANING_MARGIN, MEANING_LIFT), or are among the search's top ones and meaning agrees."""
    if not similarities:
        return []
    ordered = sorted(similarities)
    middle = len(ordered) // 2
    median = ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2
    baseline = min(median, UNRELATED_SIMILARITY)
    best = ordered[-1]
    return [
        (value >= best - MEANING_MARGIN and value - baseline >= MEANING_LIFT)
        or (
            rank < TRUSTED_TOP and value >= best - TRUSTED_MARGIN and value - median >= TRUSTED_LIFT
        )
        for rank, value in enumerate(similarities)
    ]
