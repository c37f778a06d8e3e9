"""Candidate memories from a message: LLM fact extraction when a provider is configured,
the offline sentence-level gate otherwise (and whenever the provider fails)."""

import logging
from datetime import datetime

from django.conf import settings

from macaron.llm import LLMError, get_provider
from macaron.text import count_tokens
from macaron.timeexpr import resolve_time
from memory.ingest.gate import (
    GATE_THRESHOLD,
    Candidate,
    extract_candidates,
    kind_of,
    most_informative,
    score,
    slot_of,
    statement_of,
)

logger = logging.getLogger(__name__)

FACTS_SCHEMA = {
    "type": "object",
    "properties": {
        "facts": {
            "type": "array",
            "maxItems": 10,
            "items": {
                "type": "object",
                "properties": {
                    "text": {"type": "string", "minLength": 3, "maxLength": 500},
                    "importance": {"type": "number", "minimum": 0, "maximum": 1},
                },
                "required": ["text"],
            },
        }
    },
    "required": ["facts"],
}
INSTRUCTIONS = (
    "Extract the facts worth remembering about the person from their message: preferences, "
    "plans, events, people, health and allergy facts, dates. Only what they say about "
    "themselves and their life: skip greetings, small talk, questions and requests to you (a "
    "question that states a fact keeps only the fact). One short self-contained sentence per "
    "fact, in the message's language, keeping names, numbers and dates. Rate importance 0-1 "
    "(higher when they asked you to remember it or it concerns health). "
    'Answer as JSON: {"facts": [{"text": ..., "importance": ...}]}.'
)


def _llm_candidates(text: str, sent_at: datetime) -> list[Candidate]:
    answer = get_provider().complete_json(
        [{"role": "system", "content": INSTRUCTIONS}, {"role": "user", "content": text}],
        schema=FACTS_SCHEMA,
    )
    candidates = []
    whole: list = []  # the message's own date, resolved once and only when a fact has none
    for fact in answer["facts"]:
        fact_text = statement_of(fact["text"].strip())
        if not fact_text:
            continue  # a question or a request the model passed on: the gate's rules hold
        event = resolve_time(fact_text, sent_at)
        if event is None:
            if not whole:
                whole.append(resolve_time(text, sent_at))
            event = whole[0]
        heuristic, reasons = score(fact_text, event)
        importance = max(heuristic, float(fact.get("importance", heuristic)))
        if importance < GATE_THRESHOLD:
            continue
        candidates.append(
            Candidate(
                text=fact_text,
                importance=min(1.0, importance),
                kind=kind_of(fact_text, event, sent_at),
                event=event,
                slot=slot_of(fact_text),
                tokens=count_tokens(fact_text),
                reasons=[*reasons, "llm"],
            )
        )
    return candidates


def candidates_for(text: str, sent_at: datetime) -> list[Candidate]:
    """At most MAX_CANDIDATES candidates, the most informative (see `most_informative`)."""
    if settings.LLM_BASE_URL:
        try:
            return most_informative(_llm_candidates(text, sent_at))
        except LLMError:
            logger.warning("fact extraction fell back to the offline gate: provider unavailable")
    return most_informative(extract_candidates(text, sent_at))
