"""Cross-lingual recall with the real embedding model: a fact said in Japanese or Korean is found
by an English question, and the reverse (memory.retrieval.languages, the fusion in search)."""

import pytest

from memory.ingest.write import reply_context
from memory.retrieval.languages import PARALLEL_QUESTIONS, PARALLEL_STATEMENTS, language_group
from memory.retrieval.search import retrieve
from memory.services import memory_create

MEMORIES = (
    "姉のハナはリスボンに住んでいる。",
    "ピーナッツアレルギーがある。",
    "毎朝、駅まで自転車で行く。",
    "요즘 첼로를 배우고 있어.",
    "다음 달에 부산으로 이사해.",
    "회사 동료랑 점심을 먹었어.",
    "Hana said the film was far too long.",
    "I bought new running shoes on Saturday.",
    "My favourite dish is green curry.",
    "I'm allergic to shellfish, so I avoid prawns.",
    "I play the violin in a community orchestra on Tuesdays.",
    "We are planning a trip to Hokkaido in February.",
)


@pytest.fixture
def remembered(db, user) -> dict[str, int]:
    return {text: memory_create(user=user, text=text).id for text in MEMORIES}


def top(user, query: str) -> int:
    return retrieve(user=user, query=query, k=5, purpose="evaluation").items[0].id


@pytest.mark.parametrize(
    ("question", "fact"),
    [
        # Only the name is shared with the English distractor ("Hana said the film…"): a
        # lexical match on it alone must not outrank the Japanese fact.
        ("Where does my sister Hana live?", "姉のハナはリスボンに住んでいる。"),
        ("How do I get to the station in the morning?", "毎朝、駅まで自転車で行く。"),
        ("What instrument am I learning these days?", "요즘 첼로를 배우고 있어."),
        ("Where am I moving next month?", "다음 달에 부산으로 이사해."),
    ],
)
def test_an_english_question_finds_a_japanese_or_korean_fact(user, remembered, question, fact):
    assert top(user, question) == remembered[fact]


@pytest.mark.parametrize(
    ("question", "fact"),
    [
        ("どんな料理が一番好き？", "My favourite dish is green curry."),
        ("2月にどこへ旅行する予定？", "We are planning a trip to Hokkaido in February."),
        # A Korean memory about another instrument is closer in language; the English one
        # answers the question.
        (
            "오케스트라에서 무슨 악기를 연주해?",
            "I play the violin in a community orchestra on Tuesdays.",
        ),
        ("토요일에 뭘 샀어?", "I bought new running shoes on Saturday."),
    ],
)
def test_a_japanese_or_korean_question_finds_an_english_fact(user, remembered, question, fact):
    assert top(user, question) == remembered[fact]


def test_same_language_memories_are_still_preferred_when_they_match(user, remembered):
    """Both allergies are candidates; the question's words pick the English one."""
    items = retrieve(user=user, query="Which seafood am I allergic to?", k=3).items
    assert items[0].id == remembered["I'm allergic to shellfish, so I avoid prawns."]


def test_the_centroid_sentences_are_translations_of_each_other():
    """Each language's centroid averages the same sentences, so only the language differs."""
    for sentences in (PARALLEL_STATEMENTS, PARALLEL_QUESTIONS):
        assert set(sentences) == {"en", "ja", "ko"}
        assert len({len(texts) for texts in sentences.values()}) == 1


def test_languages_without_centroids_are_measured_as_english():
    assert [language_group(code) for code in ("ja", "ko", "en", "und", "af", "de")] == [
        "ja",
        "ko",
        "en",
        "en",
        "en",
        "en",
    ]


def test_a_reply_in_another_language_is_embedded_without_the_message_it_answers():
    question = "What did you do at the weekend? Anything fun?"
    assert reply_context(question, "We went hiking in the hills.") == question[-100:]
    assert reply_context(question, "週末は山にハイキングに行った。") == ""
    assert reply_context("週末は何をしたの？", "山にハイキングに行ったよ。") == "週末は何をしたの？"
    assert reply_context("", "山にハイキングに行ったよ。") == ""
