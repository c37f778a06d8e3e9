"""Replays a LoCoMo-format benchmark through the real ingestion and retrieval services."""

import json
import re
import time as clock
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import dateparser
from tqdm import tqdm

from accounts.models import User
from macaron.text import count_tokens
from memory.companion.chat import reply_preview
from memory.episodes.compress import conversation_compress
from memory.evaluation.metrics import (
    CATEGORIES,
    RECALL_AT,
    Scores,
    answer_recall,
    evidence_ids,
    normalise_dia_id,
    session_any_hit,
)
from memory.ingest.late import memories_late_encode
from memory.ingest.store import messages_ingest
from memory.ingest.write import MessageIn, conversation_create
from memory.learning.policy import Policy
from memory.privacy.erasure import user_erase
from memory.retrieval.search import RetrievalResult, retrieve

SESSION_KEY = re.compile(r"^session_(\d+)$")


class DatasetError(ValueError):
    pass


@dataclass
class Turn:
    speaker: str
    text: str
    dia_id: str
    caption: str = ""

    def message_text(self) -> str:
        text = f"{self.speaker}: {self.text}"
        return f"{text} [shared a photo: {self.caption}]" if self.caption else text


@dataclass
class Session:
    number: int
    at: datetime
    turns: list[Turn]


@dataclass
class Question:
    question: str
    answer: str
    evidence: list[str]
    category: int


@dataclass
class Sample:
    sample_id: str
    sessions: list[Session]
    questions: list[Question]


def parse_session_time(value: str) -> datetime:
    for fmt in ("%I:%M %p on %d %B, %Y", "%I:%M %p on %d %b, %Y"):
        try:
            return datetime.strptime(value.strip(), fmt).replace(tzinfo=UTC)
        except ValueError:
            continue
    parsed = dateparser.parse(value, settings={"RETURN_AS_TIMEZONE_AWARE": True, "TIMEZONE": "UTC"})
    if parsed is None:
        raise DatasetError(f"Unreadable session date {value!r}.")
    return parsed


def load_dataset(path: Path) -> list[Sample]:
    """Parse and check the whole file first, so a bad file fails before anything is written."""
    try:
        raw = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DatasetError(f"No such file: {path}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DatasetError(f"{path} is not JSON: {exc}") from None
    if not isinstance(raw, list) or not raw:
        raise DatasetError("Expected a JSON list of LoCoMo samples.")
    samples = []
    for index, item in enumerate(raw):
        if (
            not isinstance(item, dict)
            or not isinstance(item.get("conversation"), dict)
            or not isinstance(item.get("qa"), list)
        ):
            raise DatasetError(f"Sample {index} lacks a `conversation` object and a `qa` list.")
        conversation = item["conversation"]
        sessions = []
        for key, turns in conversation.items():
            match = SESSION_KEY.match(key)
            if not match:
                continue
            number = int(match.group(1))
            when = conversation.get(f"{key}_date_time")
            if not isinstance(turns, list) or not isinstance(when, str):
                raise DatasetError(f"Sample {index}: {key} needs a turn list and {key}_date_time.")
            parsed_turns = []
            for turn in turns:
                if not isinstance(turn, dict) or not {"speaker", "text", "dia_id"} <= set(turn):
                    raise DatasetError(f"Sample {index}, {key}: a turn lacks speaker/text/dia_id.")
                parsed_turns.append(
                    Turn(
                        str(turn["speaker"]),
                        str(turn["text"]),
                        str(turn["dia_id"]),
                        str(turn.get("blip_caption") or ""),
                    )
                )
            sessions.append(Session(number, parse_session_time(when), parsed_turns))
        if not sessions:
            raise DatasetError(f"Sample {index} has no sessions.")
        sessions.sort(key=lambda s: s.number)
        questions = []
        for qa in item["qa"]:
            if not isinstance(qa, dict) or "question" not in qa:
                raise DatasetError(f"Sample {index}: a qa item lacks `question`.")
            answer = qa.get("answer", qa.get("adversarial_answer", ""))
            questions.append(
                Question(
                    str(qa["question"]),
                    str(answer),
                    [str(e) for e in qa.get("evidence") or []],
                    int(qa.get("category", 0)),
                )
            )
        samples.append(Sample(str(item.get("sample_id", index)), sessions, questions))
    return samples


def eval_user() -> User:
    return User.objects.create_user(
        f"eval-{uuid.uuid4().hex[:12]}@eval.invalid", None, display_name="eval"
    )


def ingest_sample(
    user, sample: Sample, *, progress: bool = True, late_vectors: bool = True
) -> datetime:
    """Every session through the real ingestion (and episode compression, and the second stage's
    token vectors, as the worker does after a batch); returns the moment of the last message, the
    questions' "now"."""
    conversation = conversation_create(user=user, title=f"LoCoMo {sample.sample_id}")
    turn_count = sum(len(s.turns) for s in sample.sessions)
    bar = tqdm(
        total=turn_count, desc=f"ingest {sample.sample_id}", disable=not progress, unit="turn"
    )
    end = sample.sessions[-1].at
    for session in sample.sessions:
        if not session.turns:
            continue
        messages = [
            MessageIn(
                text=turn.message_text(),
                sent_at=session.at + timedelta(seconds=i),
                external_id=normalise_dia_id(turn.dia_id),
            )
            for i, turn in enumerate(session.turns)
        ]
        messages_ingest(
            user=user, conversation=conversation, messages=messages, schedule_compression=False
        )
        conversation_compress(conversation_id=conversation.id)
        if late_vectors:
            memories_late_encode(user_id=user.id)
        end = messages[-1].sent_at
        bar.update(len(messages))
    bar.close()
    return end


def question_read(
    user,
    question: str,
    *,
    now: datetime,
    policy: Policy | None = None,
    depth: int = max(RECALL_AT),
) -> RetrievalResult:
    """One evaluation read: read-only, no context budget, deep enough for every recall@n."""
    return retrieve(
        user=user,
        query=question,
        k=depth,
        budget=None,
        purpose="evaluation",
        now=now,
        policy=policy,
    )


def score_items(items: list, qa: Question, k: int) -> tuple | None:
    """What one question's ranked memories score, as `Scores.add` takes it (None: the question
    has no evidence to score)."""
    evidence = evidence_ids(qa.evidence)
    if not evidence:
        return None
    covered_at = {}
    for n in RECALL_AT:
        covered = {e for item in items[:n] for e in item.external_ids}
        covered_at[n] = len(evidence & covered) / len(evidence)
    top = items[:k]
    all_hit = 1.0 if evidence <= {e for item in top for e in item.external_ids} else 0.0
    answer = answer_recall(qa.answer, " ".join(i.context_text() for i in top))
    tokens = sum(item.tokens for item in top)
    session_hit = session_any_hit([item.external_ids for item in items], evidence)
    return covered_at, all_hit, answer, tokens, session_hit


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 2)


def evaluate(
    samples: list[Sample],
    *,
    k: int = 10,
    progress: bool = True,
    keep_users: bool = False,
    reply: bool = False,
    policy: Policy | None = None,
) -> dict:
    """Recall figures per category; with `reply`, also the companion's reply to each question
    (the chat's own recall, context and provider) and how much of the gold answer it holds.
    `policy` scores the candidates (None: the active global policy)."""
    overall, by_category = Scores(), {c: Scores() for c in CATEGORIES}
    latencies, search_latencies = [], []
    turns_total, ingest_seconds = 0, 0.0
    depth = max(k, max(RECALL_AT))
    for sample in samples:
        user = eval_user()
        try:
            started = clock.perf_counter()
            end = ingest_sample(user, sample, progress=progress)
            ingest_seconds += clock.perf_counter() - started
            turns_total += sum(len(s.turns) for s in sample.sessions)

            for qa in tqdm(
                sample.questions,
                desc=f"retrieve {sample.sample_id}",
                disable=not progress,
                unit="q",
            ):
                result = question_read(user, qa.question, now=end, policy=policy, depth=depth)
                latencies.append(result.embed_ms + result.search_ms)
                search_latencies.append(result.search_ms)
                scored = score_items(result.items, qa, k)
                if scored is None:
                    continue
                scored_in = [by_category.setdefault(qa.category, Scores())]
                scored_in += [overall] if qa.category != 5 else []
                said = reply_preview(user=user, text=qa.question, now=end) if reply else ""
                for scores in scored_in:
                    scores.add(*scored)
                    if reply:
                        scores.add_reply(answer_recall(qa.answer, said), count_tokens(said))
        finally:
            if not keep_users:
                user_erase(user=user, reason="memory_eval throwaway user")

    return {
        "overall": overall.report(k),
        "by_category": {str(c): s.report(k) for c, s in sorted(by_category.items()) if s.tokens},
        "latency_ms": {"p50": percentile(latencies, 0.5), "p95": percentile(latencies, 0.95)},
        "search_latency_ms": {
            "p50": percentile(search_latencies, 0.5),
            "p95": percentile(search_latencies, 0.95),
        },
        "ingest_turns_per_s": round(turns_total / ingest_seconds, 2) if ingest_seconds else None,
        "questions": overall.report(k)["questions"],
        "policy": policy.name if policy is not None else "active",
    }
