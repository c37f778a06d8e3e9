"""The LLM provider layer: one interface, an OpenAI-compatible provider and an offline one.

    provider = get_provider()
    for chunk in provider.stream_chat(messages, context=CompanionContext(language="ja")):
        ...

`get_provider()` returns the OpenAI-compatible provider when LLM_BASE_URL is set, else the
offline provider (deterministic, no model). Every method may raise `LLMError` (a DomainError:
HTTP 502, code "llm_unavailable", a message safe to show); `stream_chat` is a generator, so it
raises while being iterated, possibly after some chunks were yielded.
"""

from django.conf import settings

from .base import (
    ChatMessage,
    CompanionContext,
    LLMError,
    LLMProvider,
    schema_error,
    system_prompt,
)
from .offline import OfflineProvider
from .openai_compat import OpenAICompatibleProvider

__all__ = [
    "ChatMessage",
    "CompanionContext",
    "LLMError",
    "LLMProvider",
    "OfflineProvider",
    "OpenAICompatibleProvider",
    "get_provider",
    "schema_error",
    "system_prompt",
]


def get_provider() -> LLMProvider:
    """The configured provider: OpenAI-compatible when LLM_BASE_URL is set, else offline."""
    if settings.LLM_BASE_URL:
        return OpenAICompatibleProvider.from_settings()
    return OfflineProvider()
