from datetime import UTC, datetime, timedelta

import pytest

from macaron.vault import cipher_for
from memory.episodes.compress import EPISODE_MESSAGES, SHORT_TERM_WINDOW, conversation_compress
from memory.models import Episode, Memory, Message
from memory.services import MessageIn, conversation_create, messages_ingest
from tests.fake_llm import completion, status

pytestmark = pytest.mark.django_db

START = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)


def long_conversation(user):
    conversation = conversation_create(user=user)
    messages = [
        MessageIn(
            text=f"On day {n} I practised the violin for {20 + n} minutes with Ms Ito.",
            sent_at=START + timedelta(minutes=n),
            external_id=f"m{n}",
        )
        for n in range(SHORT_TERM_WINDOW + EPISODE_MESSAGES)
    ]
    messages_ingest(
        user=user, conversation=conversation, messages=messages, schedule_compression=False
    )
    return conversation


def test_offline_episode_is_extractive_and_idempotent(user):
    conversation = long_conversation(user)
    assert conversation_compress(conversation_id=conversation.id) == 1
    assert conversation_compress(conversation_id=conversation.id) == 0
    episode = Episode.objects.get()
    summary = cipher_for(user.id).decrypt(episode.memory.text_ct)
    assert "violin" in summary
    sources = set(episode.memory.sources.values_list("external_id", flat=True))
    assert sources and sources <= {f"m{n}" for n in range(EPISODE_MESSAGES)}
    assert Message.objects.filter(conversation=conversation).count() == 32


def test_llm_summary_when_a_provider_is_configured(user, settings, fake_llm):
    conversation = long_conversation(user)  # written offline; the provider only summarises
    settings.LLM_BASE_URL = fake_llm.url
    settings.LLM_TIMEOUT_S = 2
    fake_llm.then(completion("The person practised violin daily with Ms Ito in March."))
    assert conversation_compress(conversation_id=conversation.id) == 1
    memory = Memory.objects.get(kind=Memory.Kind.EPISODE)
    assert cipher_for(user.id).decrypt(memory.text_ct) == (
        "The person practised violin daily with Ms Ito in March."
    )
    assert memory.sources.count() == EPISODE_MESSAGES
    sent = fake_llm.body()["messages"][-1]["content"]
    assert "Ms Ito" in sent


def test_provider_failure_falls_back_to_the_extractive_summary(user, settings, fake_llm):
    conversation = long_conversation(user)
    settings.LLM_BASE_URL = fake_llm.url
    settings.LLM_TIMEOUT_S = 2
    fake_llm.then(status(400))
    assert conversation_compress(conversation_id=conversation.id) == 1
    memory = Memory.objects.get(kind=Memory.Kind.EPISODE)
    assert "violin" in cipher_for(user.id).decrypt(memory.text_ct)


@pytest.mark.parametrize(
    ("texts", "preferred", "asked_in"),
    [
        (["昨日はイトウ先生とバイオリンを{n}分練習しました。"], "en", "Japanese"),
        (["On day {n} I practised the violin with Ms Ito for a long while."], "ja", "English"),
        (["어제 이토 선생님과 바이올린을 {n}분 연습했어요."], "en", "Korean"),
        (["ok {n}"], "ja", "Japanese"),  # too short to tell: the person's language
    ],
)
def test_llm_summary_is_requested_in_the_conversations_language(
    user, settings, fake_llm, texts, preferred, asked_in
):
    user.preferred_language = preferred
    user.save(update_fields=["preferred_language"])
    conversation = conversation_create(user=user)
    messages_ingest(
        user=user,
        conversation=conversation,
        messages=[
            MessageIn(text=texts[0].format(n=n), sent_at=START + timedelta(minutes=n))
            for n in range(SHORT_TERM_WINDOW + EPISODE_MESSAGES)
        ],
        schedule_compression=False,
    )
    settings.LLM_BASE_URL = fake_llm.url
    settings.LLM_TIMEOUT_S = 2
    fake_llm.then(completion("summary"))

    assert conversation_compress(conversation_id=conversation.id) == 1

    instruction = fake_llm.body()["messages"][0]["content"]
    assert f"Summarise the following notes in {asked_in}," in instruction


def conversation_with_the_companion(user):
    """The person tells facts; the companion answers with lines of its own."""
    conversation = conversation_create(user=user)
    messages = []
    for n in range((SHORT_TERM_WINDOW + EPISODE_MESSAGES) // 2):
        messages.append(
            MessageIn(
                text=f"Hi Pip! On day {n} I practised the violin for {20 + n} minutes.",
                sent_at=START + timedelta(minutes=2 * n),
                external_id=f"p{n}",
            )
        )
        messages.append(
            MessageIn(
                text=f"Wonderful! I adore the harpsichord and I visited Vienna on day {n}.",
                sent_at=START + timedelta(minutes=2 * n + 1),
                role=Message.Role.COMPANION,
                external_id=f"c{n}",
            )
        )
    messages_ingest(
        user=user, conversation=conversation, messages=messages, schedule_compression=False
    )
    return conversation


def test_an_episode_holds_only_the_persons_side(user):
    conversation = conversation_with_the_companion(user)

    assert conversation_compress(conversation_id=conversation.id) == 1

    memory = Memory.objects.get(kind=Memory.Kind.EPISODE)
    summary = cipher_for(user.id).decrypt(memory.text_ct)
    assert "violin" in summary
    assert "harpsichord" not in summary and "Vienna" not in summary
    assert "Hi Pip" not in summary
    sources = set(memory.sources.values_list("external_id", flat=True))
    assert sources and all(source.startswith("p") for source in sources)


def test_the_provider_summarises_the_persons_side_under_their_name(user, settings, fake_llm):
    user.display_name = "Ana"
    user.save(update_fields=["display_name_ct"])
    conversation = conversation_with_the_companion(user)
    settings.LLM_BASE_URL = fake_llm.url
    settings.LLM_TIMEOUT_S = 2
    fake_llm.then(completion("Ana practised the violin every day."))

    assert conversation_compress(conversation_id=conversation.id) == 1

    sent = fake_llm.body()["messages"][-1]["content"]
    assert "Ana: Hi Pip! On day 0 I practised the violin for 20 minutes." in sent
    assert "harpsichord" not in sent
    memory = Memory.objects.get(kind=Memory.Kind.EPISODE)
    sources = set(memory.sources.values_list("external_id", flat=True))
    assert sources == {f"p{n}" for n in range(EPISODE_MESSAGES // 2)}
