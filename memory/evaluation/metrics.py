"""The LoCoMo metrics: evidence recall@k, all-evidence hit, answer-token recall, context size."""

import re
import statistics
from dataclasses import dataclass, field

from macaron.text import content_words, stem

CATEGORIES = {1: "multi-hop", 2: "temporal", 3: "open-domain", 4: "single-hop", 5: "adversarial"}
RECALL_AT = (1, 5, 10, 20)
SESSION_HIT_DEPTH, SESSION_HIT_SESSIONS = 10, 5


def evidence_ids(values: list[str]) -> set[str]:
    """Evidence ids, also when several share one string ("D8:6; D9:17")."""
    return {
        normalise_dia_id(part) for value in values for part in re.split(r"[;,\s]+", value) if part
    }


def normalise_dia_id(value: str) -> str:
    match = re.match(r"^\s*D(\d+)\s*:\s*0*(\d+)\s*$", value)
    return f"D{match.group(1)}:{match.group(2)}" if match else value.strip()


def session_of(dia_id: str) -> str:
    """ "D8:6" is said in session "D8"."""
    return dia_id.split(":", 1)[0]


def session_any_hit(ranked_external_ids: list[list[str]], evidence: set[str]) -> float:
    """1 when a session holding evidence is among the first SESSION_HIT_SESSIONS distinct sessions
    of the top SESSION_HIT_DEPTH results: the session-level metric several memory libraries
    report, so their figures can be read next to ours (it is far more lenient than evidence
    recall: a session holds dozens of turns)."""
    wanted = {session_of(e) for e in evidence}
    seen: list[str] = []
    for external_ids in ranked_external_ids[:SESSION_HIT_DEPTH]:
        for session in dict.fromkeys(session_of(e) for e in external_ids):
            if session not in seen and len(seen) < SESSION_HIT_SESSIONS:
                seen.append(session)
    return 1.0 if wanted & set(seen) else 0.0


def answer_terms(text: str) -> set[str]:
    return {stem(w) for w in content_words(text)}


def answer_recall(answer: str, text: str) -> float | None:
    """The share of the gold answer's content words found in `text` (None for no words)."""
    gold = answer_terms(answer)
    return len(gold & answer_terms(text)) / len(gold) if gold else None


@dataclass
class Scores:
    recall: dict[int, list[float]] = field(default_factory=lambda: {k: [] for k in RECALL_AT})
    all_evidence: list[float] = field(default_factory=list)
    answer_recall: list[float] = field(default_factory=list)
    tokens: list[int] = field(default_factory=list)
    session_hit: list[float] = field(default_factory=list)
    reply_recall: list[float] = field(default_factory=list)
    reply_tokens: list[int] = field(default_factory=list)

    def add_reply(self, answer: float | None, tokens: int) -> None:
        if answer is not None:
            self.reply_recall.append(answer)
        self.reply_tokens.append(tokens)

    def add(
        self,
        covered_at: dict[int, float],
        all_hit: float,
        answer: float | None,
        tokens: int,
        session_hit: float,
    ) -> None:
        self.session_hit.append(session_hit)
        for k in RECALL_AT:
            self.recall[k].append(covered_at[k])
        self.all_evidence.append(all_hit)
        if answer is not None:
            self.answer_recall.append(answer)
        self.tokens.append(tokens)

    def report(self, k: int) -> dict:
        mean = lambda values: round(statistics.fmean(values), 4) if values else None  # noqa: E731
        return {
            **{f"recall@{n}": mean(self.recall[n]) for n in RECALL_AT},
            f"all_evidence@{k}": mean(self.all_evidence),
            f"answer_token_recall@{k}": mean(self.answer_recall),
            f"tokens@{k}": mean(self.tokens),
            f"session_any_hit@{SESSION_HIT_SESSIONS}": mean(self.session_hit),
            "questions": len(self.tokens),
            **(
                {
                    "reply_answer_token_recall": mean(self.reply_recall),
                    "reply_tokens": mean(self.reply_tokens),
                }
                if self.reply_tokens
                else {}
            ),
        }
