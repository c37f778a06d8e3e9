"""The LLM layer: the OpenAI-compatible provider against a fake server on loopback (no mocking
of httpx), and the offline provider."""

import json
import logging
import re
import socket
import time
from datetime import date

import pytest

from macaron.errors import DomainError
from macaron.llm import (
    CompanionContext,
    LLMError,
    OfflineProvider,
    OpenAICompatibleProvider,
    get_provider,
)
from macaron.llm.offline import compose_reply, reflect
from macaron.text import count_words

# -- a fake OpenAI-compatible server ----------------------------------------------------------
from tests.fake_llm import completion, delta, hang, raw, sse, status


@pytest.fixture
def llm(fake_llm):
    return OpenAICompatibleProvider(
        fake_llm.url, model="test-model", api_key="sk-test", timeout_s=2, backoff_s=0.01
    )


@pytest.fixture
def llm_logs():
    records: list[logging.LogRecord] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    logger = logging.getLogger("macaron.llm")
    handler, level = Collect(level=logging.DEBUG), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    yield records
    logger.removeHandler(handler)
    logger.setLevel(level)


USER = [{"role": "user", "content": "I baked bread with Hana today"}]
MOOD_SCHEMA = {
    "type": "object",
    "required": ["mood", "score"],
    "properties": {
        "mood": {"type": "string", "enum": ["happy", "sad", "neutral"]},
        "score": {"type": "integer", "minimum": 0, "maximum": 10},
    },
    "additionalProperties": False,
}


# -- OpenAI-compatible: requests --------------------------------------------------------------


def test_stream_chat_sends_the_openai_request_and_yields_deltas(fake_llm, llm):
    fake_llm.then(
        sse(
            [
                ": keep-alive",
                "",
                f"data: {delta('', role='assistant')}",
                "",
                f"data: {delta('Hello')}",
                "",
                'data: {"choices": []}',  # e.g. a usage event
                "",
                f"data:{delta(' there')}",
                "",
                f"data: {delta('!', finish='stop')}",
                "",
                "data: [DONE]",
                "",
            ]
        )
    )
    context = CompanionContext(
        companion_name="Kuri",
        traits=("warm",),
        person_name="Aki",
        memories=("Hana is my sister", "I like tea"),
        memory_dates=(date(2026, 11, 30),),
    )

    chunks = list(llm.stream_chat(USER, context=context))

    assert chunks == ["Hello", " there", "!"]
    [request] = fake_llm.requests
    assert request["path"] == "/v1/chat/completions"
    assert request["headers"]["Authorization"] == "Bearer sk-test"
    body = request["body"]
    assert body["model"] == "test-model"
    assert body["stream"] is True
    assert body["messages"][1:] == USER
    system = body["messages"][0]
    assert system["role"] == "system"
    assert "You are Kuri, a personal companion to Aki." in system["content"]
    assert "- Hana is my sister (they told you on 2026-11-30)" in system["content"]
    assert "- I like tea\n" in system["content"] + "\n"  # no date known
    assert "Always answer in English." in system["content"]


def test_stream_chat_without_context_sends_the_messages_unchanged(fake_llm, llm):
    fake_llm.then(sse([f"data: {delta('Hi', finish='stop')}", "", "data: [DONE]", ""]))
    assert "".join(llm.stream_chat(USER)) == "Hi"
    assert fake_llm.body()["messages"] == USER


def test_no_authorization_header_without_an_api_key(fake_llm):
    provider = OpenAICompatibleProvider(fake_llm.url + "/", model="llama3", timeout_s=2)
    fake_llm.then(completion("A short summary."))

    assert provider.summarise(["Some notes."]) == "A short summary."
    [request] = fake_llm.requests
    assert request["path"] == "/v1/chat/completions"
    assert "Authorization" not in request["headers"]
    assert request["body"]["model"] == "llama3"


def test_stream_chat_accepts_a_server_that_answers_in_one_piece(fake_llm, llm):
    fake_llm.then(completion("Whole answer"))
    assert list(llm.stream_chat(USER)) == ["Whole answer"]


def test_summarise_asks_for_names_dates_and_numbers(fake_llm, llm):
    fake_llm.then(completion("  Aki meets Ken on 3 May at 10:00.  \n"))

    summary = llm.summarise(["Aki meets Ken on 3 May.", "At 10:00."], max_words=40, language="ja")

    assert summary == "Aki meets Ken on 3 May at 10:00."
    body = fake_llm.body()
    assert body["stream"] is False
    system, user = body["messages"]
    assert "in Japanese, in at most 40 words" in system["content"]
    assert "Keep every name, date, time, place and number" in system["content"]
    assert user == {"role": "user", "content": "Aki meets Ken on 3 May.\n\nAt 10:00."}


def test_summarise_of_nothing_makes_no_request(fake_llm, llm):
    assert llm.summarise(["", "  "]) == ""
    assert fake_llm.requests == []


# -- OpenAI-compatible: retries, timeouts, malformed answers ----------------------------------


def test_retries_5xx_with_backoff_then_succeeds(fake_llm, llm, llm_logs):
    fake_llm.then(status(500), status(503), completion('{"mood": "happy", "score": 7}'))

    assert llm.complete_json(USER, schema=MOOD_SCHEMA) == {"mood": "happy", "score": 7}
    assert len(fake_llm.requests) == 3
    assert [r["body"] for r in fake_llm.requests[1:]] == [fake_llm.body(0)] * 2
    retries = [r.getMessage() for r in llm_logs if "retrying" in r.getMessage()]
    assert retries == [
        "llm attempt 1 of 3 failed (http_500), retrying in 0.01 s",
        "llm attempt 2 of 3 failed (http_503), retrying in 0.02 s",
    ]


def test_stream_retries_429_before_the_first_chunk(fake_llm, llm):
    fake_llm.then(
        status(429, retry_after="0"),
        sse([f"data: {delta('Back', finish='stop')}", "", "data: [DONE]", ""]),
    )
    assert list(llm.stream_chat(USER)) == ["Back"]
    assert len(fake_llm.requests) == 2


def test_gives_up_after_three_attempts(fake_llm, llm):
    fake_llm.then(status(502), status(502), status(502), completion("too late"))

    with pytest.raises(LLMError) as caught:
        llm.summarise(["notes"])

    assert caught.value.reason == "http_502"
    assert caught.value.message.startswith("The language model is not answering right now")
    assert len(fake_llm.requests) == 3


def test_client_errors_are_not_retried(fake_llm, llm):
    fake_llm.then(status(401))
    with pytest.raises(LLMError) as caught:
        list(llm.stream_chat(USER))
    assert caught.value.reason == "http_401"
    assert len(fake_llm.requests) == 1


def test_connection_refused_is_retried_then_fails(llm_logs):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again: nothing listens there
    provider = OpenAICompatibleProvider(
        f"http://127.0.0.1:{port}/v1", model="m", timeout_s=1, backoff_s=0.01
    )
    with pytest.raises(LLMError) as caught:
        provider.summarise(["notes"])
    assert caught.value.reason == "connect"
    assert [r.getMessage() for r in llm_logs if "retrying" in r.getMessage()] == [
        "llm attempt 1 of 3 failed (connect), retrying in 0.01 s",
        "llm attempt 2 of 3 failed (connect), retrying in 0.02 s",
    ]


def test_a_hanging_server_times_out_quickly(fake_llm, settings):
    settings.LLM_BASE_URL = fake_llm.url
    settings.LLM_TIMEOUT_S = 0.3
    fake_llm.then(hang())
    provider = get_provider()

    started = time.monotonic()
    with pytest.raises(LLMError) as caught:
        provider.complete_json(USER, schema=MOOD_SCHEMA)

    assert caught.value.reason == "timeout"
    assert time.monotonic() - started < 2
    assert len(fake_llm.requests) == 1  # a read timeout is not retried


def test_a_stream_that_stalls_midway_times_out_without_retry(fake_llm):
    provider = OpenAICompatibleProvider(fake_llm.url, model="m", timeout_s=0.3, backoff_s=0.01)
    fake_llm.then(sse([f"data: {delta('Hel')}", ""], hang_after=True))

    chunks = []
    started = time.monotonic()
    with pytest.raises(LLMError) as caught:
        for chunk in provider.stream_chat(USER):
            chunks.append(chunk)

    assert chunks == ["Hel"]
    assert caught.value.reason == "timeout"
    assert time.monotonic() - started < 2
    assert len(fake_llm.requests) == 1


@pytest.mark.parametrize(
    "body", [b"{not json", b"[1, 2]", b'{"choices": []}', b'{"choices": [{"message": {}}]}']
)
def test_malformed_completion_is_an_llm_error(fake_llm, llm, body):
    fake_llm.then(raw(body))
    with pytest.raises(LLMError) as caught:
        llm.summarise(["notes"])
    assert caught.value.reason == "malformed_json"
    assert len(fake_llm.requests) == 1


def test_malformed_stream_fails_after_the_yielded_text_and_is_not_retried(fake_llm, llm):
    fake_llm.then(sse([f"data: {delta('Hi')}", "", "data: {oops", "", "data: [DONE]", ""]))

    chunks = []
    with pytest.raises(LLMError) as caught:
        for chunk in llm.stream_chat(USER):
            chunks.append(chunk)

    assert chunks == ["Hi"]
    assert caught.value.reason == "malformed_stream"
    assert len(fake_llm.requests) == 1


@pytest.mark.parametrize(
    "lines",
    [
        [f"data: {delta('Hi')}", ""],  # cut off: no finish reason, no [DONE]
        ['data: {"error": {"message": "model crashed"}}', ""],
        ['data: {"choices": [{"delta": "text"}]}', ""],
        ['data: {"object": "chat.completion.chunk"}', ""],
    ],
)
def test_broken_streams_are_llm_errors(fake_llm, llm, lines):
    fake_llm.then(sse(lines))
    with pytest.raises(LLMError) as caught:
        list(llm.stream_chat(USER))
    assert caught.value.reason == "malformed_stream"


# -- OpenAI-compatible: JSON output -----------------------------------------------------------


def test_complete_json_requests_a_json_object(fake_llm, llm):
    fake_llm.then(completion('```json\n{"mood": "sad", "score": 2}\n```'))

    assert llm.complete_json(USER, schema=MOOD_SCHEMA) == {"mood": "sad", "score": 2}
    body = fake_llm.body()
    assert body["response_format"] == {"type": "json_object"}
    assert body["stream"] is False
    assert body["messages"][0]["role"] == "system"
    assert json.dumps(MOOD_SCHEMA) in body["messages"][0]["content"]
    assert body["messages"][1:] == USER


def test_complete_json_repairs_invalid_output_once(fake_llm, llm):
    fake_llm.then(
        completion('{"mood": "ecstatic", "score": 3}'), completion('{"mood": "happy", "score": 3}')
    )

    assert llm.complete_json(USER, schema=MOOD_SCHEMA) == {"mood": "happy", "score": 3}
    assert len(fake_llm.requests) == 2
    first, repair = fake_llm.body(0)["messages"], fake_llm.body(1)["messages"]
    assert repair[: len(first)] == first
    assert repair[len(first)] == {
        "role": "assistant",
        "content": '{"mood": "ecstatic", "score": 3}',
    }
    fix = repair[len(first) + 1]
    assert fix["role"] == "user"
    assert fix["content"].startswith("That reply is not valid: at mood: 'ecstatic' is not one of")
    assert fake_llm.body(1)["response_format"] == {"type": "json_object"}


def test_complete_json_invalid_twice_is_an_llm_error(fake_llm, llm):
    fake_llm.then(
        completion("Sure! Here you go."), completion('{"mood": "happy"}'), completion("{}")
    )

    with pytest.raises(LLMError) as caught:
        llm.complete_json(USER, schema=MOOD_SCHEMA)

    assert caught.value.reason == "invalid_output"
    assert caught.value.status_code == 502
    assert "not JSON" in fake_llm.body(1)["messages"][-1]["content"]
    assert len(fake_llm.requests) == 2


def test_logs_never_contain_message_contents(fake_llm, llm, llm_logs):
    secret = "my secret diagnosis"
    fake_llm.then(status(500), completion(f"About {secret}."), completion('{"x": 1}'))

    llm.summarise([secret])
    with pytest.raises(LLMError):
        llm.complete_json([{"role": "user", "content": secret}], schema=MOOD_SCHEMA)

    messages = [record.getMessage() for record in llm_logs]
    assert any(re.fullmatch(r"llm status 200 in \d+ ms \(attempt 2\)", m) for m in messages)
    assert not any("secret" in m or "mood" in m for m in messages)


def test_llm_error_is_a_domain_error_safe_to_show():
    error = LLMError(reason="timeout")
    assert isinstance(error, DomainError)
    assert (error.status_code, error.code, error.reason) == (502, "llm_unavailable", "timeout")
    assert error.message == (
        "The language model is not answering right now. Please try again in a moment."
    )


# -- get_provider ----------------------------------------------------------------------------


def test_get_provider_is_offline_without_a_base_url(settings):
    settings.LLM_BASE_URL = ""
    provider = get_provider()
    assert isinstance(provider, OfflineProvider)
    assert provider.name == "offline"


def test_get_provider_uses_the_configured_endpoint(settings, fake_llm):
    settings.LLM_BASE_URL = fake_llm.url
    settings.LLM_MODEL = "qwen2.5:7b"
    settings.LLM_API_KEY = "sk-configured"
    fake_llm.then(completion("done"))

    provider = get_provider()

    assert isinstance(provider, OpenAICompatibleProvider)
    assert provider.name == "openai-compatible/qwen2.5:7b"
    assert provider.summarise(["notes"]) == "done"
    assert fake_llm.body()["model"] == "qwen2.5:7b"
    assert fake_llm.requests[0]["headers"]["Authorization"] == "Bearer sk-configured"


# -- offline provider: chat -------------------------------------------------------------------

offline = OfflineProvider()


def reply(text: str, context: CompanionContext | None = None) -> str:
    messages = [{"role": "user", "content": text}] if text else []
    return "".join(offline.stream_chat(messages, context=context))


def test_offline_reply_is_deterministic():
    context = CompanionContext(traits=("warm", "curious"), memories=("Ken is my brother",))
    first = reply("I went hiking with Ken on Saturday and it was great!", context)
    assert first == reply("I went hiking with Ken on Saturday and it was great!", context)


def test_offline_reply_reflects_recalls_and_asks():
    context = CompanionContext(
        traits=("warm",), memories=("I love spicy ramen", "Ken is my brother")
    )

    text = reply("I went hiking with Ken on Saturday and it was great!", context)

    assert text.startswith("Oh, you went hiking with Ken on Saturday and it was great!")
    assert "Ken is your brother" in text  # the memory that shares words with the message
    assert "ramen" not in text
    assert text.endswith("?")


@pytest.mark.parametrize(
    ("said", "reflected"),
    [
        ("I was late for my train", "you were late for your train"),
        ("Remind me to call Ken", "remind you to call Ken"),
        ("Ken is my brother", "Ken is your brother"),
        ("you are always there for me", "I am always there for you"),
    ],
)
def test_reflect_swaps_first_and_second_person(said, reflected):
    assert reflect(said) == reflected


def test_offline_reply_quotes_no_memory_when_none_is_related():
    text = reply("Hello.", CompanionContext(memories=("Allergic to peanuts", "Lives in Osaka")))
    assert "peanuts" not in text
    assert "Osaka" not in text
    assert "told me" not in text


def test_offline_reply_without_memories_does_not_invent_any():
    text = reply("I had a meeting with my boss.")
    assert "told me" not in text
    assert "you had a meeting with your boss" in text
    assert text.endswith("?")


def test_offline_reply_answers_the_mood():
    sad = reply("I'm so tired, work was awful today.", CompanionContext(traits=("warm",)))
    assert re.search(r"sorry|hard|can't be easy", sad)
    assert sad.endswith("?")


def test_offline_traits_choose_the_variant():
    message = "I cooked curry for my friends."
    calm = reply(message, CompanionContext(traits=("calm",)))
    playful = reply(message, CompanionContext(traits=("playful",)))
    assert calm != playful


def test_offline_reply_in_japanese():
    context = CompanionContext(
        language="ja", person_name="あき", memories=("猫を飼っている", "カフェ巡りが好き")
    )

    text = reply("今日は友達とカフェに行ったよ！", context)

    assert "「今日は友達とカフェに行った」" in text
    assert "「カフェ巡りが好き」って言ってたよね" in text  # the related memory, not the cat
    assert "猫" not in text
    assert text.endswith("？")
    assert not re.search(r"[A-Za-z]", text)


def test_offline_streams_word_groups_that_join_to_the_reply():
    for context in (
        CompanionContext(memories=("Ken is my brother",)),
        CompanionContext(language="ja"),
    ):
        messages = [{"role": "user", "content": "I met Ken at the station after work today."}]
        chunks = list(offline.stream_chat(messages, context=context))
        assert len(chunks) > 1
        assert "".join(chunks) == compose_reply(messages, context)


def test_offline_opens_the_first_conversation_from_an_interest():
    text = reply(
        "", CompanionContext(companion_name="Kuri", person_name="Aki", interests=("tennis",))
    )
    assert text.startswith("Hi Aki! I'm Kuri.")
    assert text.count("tennis") == 2
    assert text.endswith("?")

    japanese = reply("", CompanionContext(language="ja", interests=("テニス",)))
    assert japanese.startswith("こんにちは！Mochiだよ。")
    assert "テニス" in japanese
    assert japanese.endswith("？")


# -- offline provider: JSON and summaries -----------------------------------------------------


def test_offline_provider_answers_no_json_so_callers_take_their_offline_path():
    with pytest.raises(LLMError) as caught:
        offline.complete_json(USER, schema=MOOD_SCHEMA)
    assert caught.value.reason == "unavailable"


def test_offline_summary_keeps_names_dates_and_numbers_first():
    notes = [
        "It was a normal day. The weather was okay and lunch was fine.",
        "Ken's birthday is on 3 May. I must remember to buy 2 cakes.",
        "Then I watched some videos.",
    ]

    summary = offline.summarise(notes, max_words=15)

    assert summary == "Ken's birthday is on 3 May. I must remember to buy 2 cakes."
    assert count_words(summary) <= 15
    longer = offline.summarise(notes, max_words=30)
    assert longer.startswith("It was a normal day.")
    assert longer.index("Ken's birthday") < longer.index("2 cakes")
    assert len(longer.split()) <= 30


def test_offline_summary_respects_max_words_even_for_one_long_sentence():
    summary = offline.summarise(["On Friday " + "we talked about many things " * 10], max_words=8)
    assert summary == "On Friday we talked about many things we…"
    assert len(summary.split()) == 8
    assert offline.summarise([], max_words=8) == ""


def test_offline_summary_in_japanese():
    notes = ["今日はいい天気だった。散歩した。明日は田中さんと10時に会う。猫がかわいかった。"]
    summary = offline.summarise(notes, max_words=7, language="ja")
    assert summary == "明日は田中さんと10時に会う。"
    assert count_words(summary) == 7
    longer = offline.summarise(notes, max_words=10, language="ja")
    assert longer == "散歩した。明日は田中さんと10時に会う。"
