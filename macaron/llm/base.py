"""The provider interface every LLM backend implements, and what the backends share."""

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Protocol

from jsonschema import validators
from jsonschema.exceptions import best_match

from macaron.errors import DomainError

ChatMessage = dict  # {"role": "system" | "user" | "assistant", "content": str}

UNAVAILABLE_MESSAGE = "The language model is not answering right now. Please try again in a moment."
UNUSABLE_MESSAGE = "The language model gave an answer we could not use. Please try again."

LANGUAGE_NAMES = {"en": "English", "ja": "Japanese", "ko": "Korean", "zh": "Chinese"}


@dataclass(frozen=True)
class CompanionContext:
    """What the companion knows when it answers: who it is, whom it talks to, what it recalls."""

    companion_name: str = "Mochi"
    traits: tuple[str, ...] = ()  # e.g. ("warm", "curious", "playful")
    language: str = "en"  # "en", "ja" or "ko": the language of the answer
    person_name: str = ""
    memories: tuple[str, ...] = ()  # retrieved memory texts, best first
    interests: tuple[str, ...] = ()
    # When each memory was said (the person's local date), aligned with `memories`; may be
    # shorter or hold None where unknown.
    memory_dates: tuple[date | None, ...] = ()
    today: date | None = None  # the person's local date, so "next month" means something

    def dated_memories(self) -> list[tuple[str, date | None]]:
        dates = self.memory_dates
        return [
            (text, dates[index] if index < len(dates) else None)
            for index, text in enumerate(self.memories)
        ]


class LLMError(DomainError):
    """The model could not give a usable answer. `message` is safe to show; `reason` is for logs.

    `reason` is one of: "connect", "timeout", "http_<status>", "transport", "malformed_json",
    "malformed_stream", "invalid_output". It never contains message contents.
    """

    status_code = 502
    code = "llm_unavailable"

    def __init__(
        self,
        message: str = UNAVAILABLE_MESSAGE,
        *,
        reason: str = "unavailable",
        code: str | None = None,
        fields: dict | None = None,
    ):
        super().__init__(message, code=code, fields=fields)
        self.reason = reason


class LLMProvider(Protocol):
    name: str

    def stream_chat(
        self, messages: list[ChatMessage], *, context: CompanionContext | None = None
    ) -> Iterator[str]:
        """Yield the reply in text chunks. A generator: errors surface while iterating."""
        ...

    def complete_json(self, messages: list[ChatMessage], *, schema: dict) -> dict:
        """An object valid against the JSON schema (jsonschema), or LLMError."""
        ...

    def summarise(self, texts: list[str], *, max_words: int = 80, language: str = "en") -> str:
        """A concise summary of the texts that keeps names, dates and numbers."""
        ...


def schema_error(instance: object, schema: dict) -> str | None:
    """The first validation error of `instance` against `schema` (formats checked), or None."""
    validator_class = validators.validator_for(schema)
    validator_class.check_schema(schema)
    validator = validator_class(schema, format_checker=validator_class.FORMAT_CHECKER)
    error = best_match(validator.iter_errors(instance))
    if error is None:
        return None
    where = "/".join(str(part) for part in error.absolute_path) or "(root)"
    return f"at {where}: {error.message}"


def last_user_text(messages: list[ChatMessage]) -> str:
    for message in reversed(messages):
        if message.get("role") == "user":
            return str(message.get("content") or "")
    return ""


def system_prompt(context: CompanionContext) -> str:
    """The system message that turns a general model into this person's companion."""
    language = LANGUAGE_NAMES.get(context.language, context.language)
    person = context.person_name or "the person you are talking with"
    lines = [f"You are {context.companion_name}, a personal companion to {person}."]
    if context.traits:
        lines.append(f"Your personality: {', '.join(context.traits)}.")
    if context.today:
        lines.append(f"Today is {context.today:%A} {context.today.isoformat()}.")
    lines.append(f"Always answer in {language}.")
    lines.append(
        "Keep replies short, warm and natural. When they ask about something they told you, "
        "answer it in your first sentence from what you remember, and say so plainly when you "
        "do not remember it. Mention something you remember only when it is relevant, and end "
        "with a question when it keeps the conversation going."
    )
    if context.interests:
        lines.append(f"Their interests: {', '.join(context.interests)}.")
    if context.memories:
        lines.append("What you remember about them (most relevant first):")
        lines.extend(
            f"- {memory} (they told you on {when.isoformat()})" if when else f"- {memory}"
            for memory, when in context.dated_memories()
        )
    return "\n".join(lines)


def json_instruction(schema: dict) -> str:
    return (
        "Reply with one JSON object only, no prose and no code fences. "
        "It must be valid against this JSON schema:\n" + json.dumps(schema, ensure_ascii=False)
    )


def summary_instruction(max_words: int, language: str) -> str:
    name = LANGUAGE_NAMES.get(language, language)
    return (
        f"Summarise the following notes in {name}, in at most {max_words} words. "
        "Keep every name, date, time, place and number exactly as written, and anything the "
        "person stressed as important. Write plain sentences: no heading, no list, no preamble."
    )
