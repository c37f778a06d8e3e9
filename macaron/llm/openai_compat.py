"""A provider for any OpenAI-compatible `/chat/completions` endpoint, spoken over plain httpx.

OpenAI, Ollama (`http://127.0.0.1:11434/v1`), vLLM, llama.cpp server and LM Studio all speak
it; LLM_BASE_URL is the URL up to and including `/v1`.

Failures become `LLMError` (HTTP 502 for the API, a message safe to show). Connect errors, 5xx
and 429 are retried with exponential backoff, a bounded number of times; a stream is never
retried once it has yielded text. Logs carry status codes, attempts and latency, never message
contents.
"""

import itertools
import json
import logging
import time
from collections.abc import Iterator

import httpx
from django.conf import settings

from .base import (
    UNUSABLE_MESSAGE,
    ChatMessage,
    CompanionContext,
    LLMError,
    json_instruction,
    schema_error,
    summary_instruction,
    system_prompt,
)

logger = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
RETRY_EXCEPTIONS = (httpx.ConnectError, httpx.ConnectTimeout, httpx.RemoteProtocolError)


class _Retry(Exception):
    """A failed attempt that may be retried (internal to this module)."""

    def __init__(self, reason: str, retry_after: float | None = None):
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


class OpenAICompatibleProvider:
    def __init__(
        self,
        base_url: str,
        *,
        model: str,
        api_key: str = "",
        timeout_s: float = 30.0,
        max_attempts: int = 3,
        backoff_s: float = 0.5,
        max_backoff_s: float = 8.0,
    ) -> None:
        self.url = base_url.rstrip("/") + "/chat/completions"
        self.model = model
        self.api_key = api_key
        self.timeout_s = timeout_s
        self.max_attempts = max(1, max_attempts)
        self.backoff_s = backoff_s
        self.max_backoff_s = max_backoff_s
        self.name = f"openai-compatible/{model}"

    @classmethod
    def from_settings(cls) -> "OpenAICompatibleProvider":
        return cls(
            settings.LLM_BASE_URL,
            model=settings.LLM_MODEL,
            api_key=settings.LLM_API_KEY or "",
            timeout_s=float(settings.LLM_TIMEOUT_S),
        )

    # -- the interface -------------------------------------------------------------------------

    def stream_chat(
        self, messages: list[ChatMessage], *, context: CompanionContext | None = None
    ) -> Iterator[str]:
        if context is not None:
            messages = [{"role": "system", "content": system_prompt(context)}, *messages]
        body = {"model": self.model, "messages": messages, "stream": True}
        started = time.monotonic()
        with httpx.Client(timeout=self._timeout()) as client:
            response = self._send(client, body, stream=True)
            try:
                content_type = response.headers.get("content-type", "")
                if content_type.startswith("application/json"):
                    # Some servers ignore `stream: true` and answer in one piece.
                    response.read()
                    yield self._message_content(self._json(response))
                else:
                    yield from self._sse_text(response)
            except httpx.TimeoutException:
                raise self._fail("timeout") from None
            except httpx.HTTPError as exc:
                raise self._fail("transport", exc) from None
            finally:
                response.close()
        logger.info("llm stream done in %.0f ms", (time.monotonic() - started) * 1000)

    def complete_json(self, messages: list[ChatMessage], *, schema: dict) -> dict:
        conversation = [{"role": "system", "content": json_instruction(schema)}, *messages]
        for attempt in (1, 2):
            content = self._complete(conversation, response_format={"type": "json_object"})
            problem = _json_problem(content, schema)
            if problem is None:
                return _parse_json_object(content)
            logger.warning("llm json output invalid (attempt %d of 2)", attempt)
            conversation = [
                *conversation,
                {"role": "assistant", "content": content},
                {
                    "role": "user",
                    "content": f"That reply is not valid: {problem}. "
                    "Reply again with only the corrected JSON object.",
                },
            ]
        raise LLMError(UNUSABLE_MESSAGE, reason="invalid_output")

    def summarise(self, texts: list[str], *, max_words: int = 80, language: str = "en") -> str:
        texts = [text.strip() for text in texts if text and text.strip()]
        if not texts:
            return ""
        messages = [
            {"role": "system", "content": summary_instruction(max_words, language)},
            {"role": "user", "content": "\n\n".join(texts)},
        ]
        return self._complete(messages).strip()

    # -- HTTP ------------------------------------------------------------------------------------

    def _timeout(self) -> httpx.Timeout:
        return httpx.Timeout(self.timeout_s)

    def _headers(self) -> dict[str, str]:
        headers = {"Accept": "application/json, text/event-stream"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        return headers

    def _complete(self, messages: list[ChatMessage], **extra: object) -> str:
        body = {"model": self.model, "messages": messages, "stream": False, **extra}
        with httpx.Client(timeout=self._timeout()) as client:
            response = self._send(client, body, stream=False)
            return self._message_content(self._json(response))

    def _send(self, client: httpx.Client, body: dict, *, stream: bool) -> httpx.Response:
        """A 2xx response (unread when streaming), after bounded retries; else LLMError."""
        for attempt in range(1, self.max_attempts + 1):
            started = time.monotonic()
            try:
                response = self._attempt(client, body, stream=stream)
            except _Retry as retry:
                if attempt == self.max_attempts:
                    raise self._fail(retry.reason) from None
                delay = min(self.backoff_s * 2 ** (attempt - 1), self.max_backoff_s)
                if retry.retry_after is not None:
                    delay = min(max(delay, retry.retry_after), self.max_backoff_s)
                logger.warning(
                    "llm attempt %d of %d failed (%s), retrying in %.2f s",
                    attempt,
                    self.max_attempts,
                    retry.reason,
                    delay,
                )
                time.sleep(delay)
                continue
            logger.info(
                "llm status %d in %.0f ms (attempt %d)",
                response.status_code,
                (time.monotonic() - started) * 1000,
                attempt,
            )
            return response
        raise AssertionError("unreachable")  # pragma: no cover

    def _attempt(self, client: httpx.Client, body: dict, *, stream: bool) -> httpx.Response:
        request = client.build_request("POST", self.url, json=body, headers=self._headers())
        try:
            response = client.send(request, stream=stream)
        except RETRY_EXCEPTIONS as exc:
            raise _Retry("connect") from exc
        except httpx.TimeoutException:
            raise self._fail("timeout") from None
        except httpx.HTTPError as exc:
            raise self._fail("transport", exc) from None
        if response.is_success:
            return response
        response.close()
        reason = f"http_{response.status_code}"
        if response.status_code in RETRY_STATUSES:
            raise _Retry(reason, _retry_after(response))
        raise self._fail(reason)

    def _json(self, response: httpx.Response) -> dict:
        try:
            payload = response.json()
        except (ValueError, UnicodeDecodeError):
            raise self._fail("malformed_json") from None
        except httpx.TimeoutException:
            raise self._fail("timeout") from None
        if not isinstance(payload, dict):
            raise self._fail("malformed_json")
        return payload

    def _message_content(self, payload: dict) -> str:
        try:
            content = payload["choices"][0]["message"]["content"]
        except (KeyError, IndexError, TypeError):
            raise self._fail("malformed_json") from None
        if not isinstance(content, str):
            raise self._fail("malformed_json")
        return content

    def _sse_text(self, response: httpx.Response) -> Iterator[str]:
        """The text deltas of a server-sent event stream, until `[DONE]` (or a finish reason)."""
        finished = False
        data: list[str] = []
        for line in itertools.chain(response.iter_lines(), [""]):
            if line.startswith("data:"):
                data.append(line[5:].removeprefix(" "))
                continue
            if line or not data:
                continue  # comments (": keep-alive"), `event:`/`id:` fields, blank lines
            payload, data = "\n".join(data), []
            if payload.strip() == "[DONE]":
                return
            text, done = self._sse_event(payload)
            finished = finished or done
            if text:
                yield text
        if not finished:
            raise self._fail("malformed_stream")  # cut off before the model finished

    def _sse_event(self, payload: str) -> tuple[str, bool]:
        try:
            event = json.loads(payload)
        except ValueError:
            raise self._fail("malformed_stream") from None
        if not isinstance(event, dict) or "error" in event:
            raise self._fail("malformed_stream")
        choices = event.get("choices")
        if not isinstance(choices, list):
            raise self._fail("malformed_stream")
        if not choices:
            return "", False  # e.g. a usage or content-filter event
        choice = choices[0]
        delta = choice.get("delta") if isinstance(choice, dict) else None
        if not isinstance(delta, dict):
            raise self._fail("malformed_stream")
        text = delta.get("content") or ""
        if not isinstance(text, str):
            raise self._fail("malformed_stream")
        return text, bool(choice.get("finish_reason"))

    def _fail(self, reason: str, exc: Exception | None = None) -> LLMError:
        detail = f" ({type(exc).__name__})" if exc is not None else ""
        logger.warning("llm request failed: %s%s", reason, detail)
        return LLMError(reason=reason)


def _retry_after(response: httpx.Response) -> float | None:
    try:
        return max(0.0, float(response.headers.get("retry-after", "")))
    except ValueError:
        return None


def _strip_fences(content: str) -> str:
    text = content.strip()
    if text.startswith("```"):
        text = text.split("\n", 1)[1] if "\n" in text else ""
        text = text.rsplit("```", 1)[0]
    return text.strip()


def _parse_json_object(content: str) -> dict:
    return json.loads(_strip_fences(content))


def _json_problem(content: str, schema: dict) -> str | None:
    """Why `content` is not a JSON object valid against `schema`, or None when it is."""
    try:
        value = _parse_json_object(content)
    except ValueError as exc:
        return f"it is not JSON ({getattr(exc, 'msg', exc)})"
    if not isinstance(value, dict):
        return "it is not a JSON object"
    return schema_error(value, schema)
