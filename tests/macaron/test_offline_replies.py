"""The offline companion answers questions about what the person said, in en/ja/ko."""

import re
from datetime import date

from macaron.llm import CompanionContext
from macaron.llm.offline import ANSWERS, QUESTIONS, TIES, UNKNOWN, compose_reply
from macaron.text import split_sentences

MEMORIES = (
    "I love hiking in the Alps",
    "I'm allergic to peanuts",
    "My sister Hana lives in Osaka",
)
DATES = (date(2026, 10, 2), date(2026, 11, 30), None)


def reply(text: str, **context) -> str:
    return compose_reply([{"role": "user", "content": text}], CompanionContext(**context))


def first_sentence(text: str) -> str:
    return split_sentences(text)[0]


def test_a_question_is_answered_first_with_the_reflected_fact_and_its_date():
    text = reply("Do you remember what I'm allergic to?", memories=MEMORIES, memory_dates=DATES)

    first = first_sentence(text)
    assert first.startswith("You're allergic to peanuts")
    assert "you told me" in first
    assert "30 November" in first
    assert "hiking" not in text
    assert "Osaka" not in text
    assert len(split_sentences(text)) <= 2  # the answer, then at most one follow-up


def test_the_memory_is_chosen_by_relevance_not_retrieval_order():
    text = reply("Where does my sister live?", memories=MEMORIES, memory_dates=DATES)

    first = first_sentence(text)
    assert first.startswith("Your sister Hana lives in Osaka")
    assert "you told me before" in first  # no date known for that memory
    assert "peanuts" not in text and "hiking" not in text


def test_what_i_do_for_work_is_a_question_about_the_person_not_advice():
    memories = ("I work as a nurse at the city hospital", *MEMORIES)
    text = reply("What do I do for work?", memories=memories, memory_dates=(None, *DATES))

    assert first_sentence(text).startswith("You work as a nurse")


def test_a_fact_said_in_japanese_is_quoted_to_an_english_question():
    memories = ("私は猫を二匹飼っています。", *MEMORIES)
    text = reply("How many cats do I have?", memories=memories, memory_dates=(date(2026, 12, 1),))

    assert (
        first_sentence(text)
        == "You told me on 1 December, in your words: “私は猫を二匹飼っています”."
    )


def test_an_english_fact_is_quoted_to_a_korean_question():
    text = reply(
        "내 알레르기가 뭐였지?", language="ko", memories=MEMORIES[1:], memory_dates=DATES[1:]
    )

    assert text.startswith("11월 30일에 이렇게 말해 줬어요: “I'm allergic to peanuts”")


def test_a_same_language_memory_sharing_no_word_is_not_an_answer():
    text = reply("How many cats do I have?", memories=MEMORIES, memory_dates=DATES)

    assert text.startswith(tuple(u.split("{")[0] for u in UNKNOWN["en"]))
    assert "hiking" not in text


def test_nothing_relevant_remembered_is_said_honestly():
    text = reply("What's my favourite film?", memories=MEMORIES, memory_dates=DATES)

    assert text in UNKNOWN["en"]
    assert not re.search("peanut|hiking|Osaka", text)


def test_a_question_about_the_world_is_not_a_puzzle():
    memories = (*MEMORIES, "I went to France last summer")
    text = reply("What's the capital of France?", memories=memories)

    assert "can't" in text and ("look" in text or "check" in text)
    assert "puzzle" not in text
    assert not re.search("peanut|hiking|Osaka|summer", text)


def test_a_question_about_someone_they_told_of_is_answered():
    text = reply("Which city does Hana live in?", memories=MEMORIES, memory_dates=DATES)
    assert first_sentence(text).startswith("Your sister Hana lives in Osaka")


def test_a_statement_is_reflected_and_tied_to_a_related_memory():
    text = reply("I went hiking with Ken last weekend.", memories=MEMORIES, memory_dates=DATES)

    assert "you went hiking with Ken last weekend" in text
    assert "you love hiking in the Alps" in text
    assert "peanuts" not in text
    assert text.endswith("?")


def test_japanese_answer_drops_the_first_person_and_dates_per_locale():
    text = reply(
        "私のアレルギーは何だっけ？",
        language="ja",
        memories=("私は猫を飼っている", "私はピーナッツアレルギーです"),
        memory_dates=(date(2026, 5, 1), date(2026, 11, 30)),
    )

    first = first_sentence(text)
    assert first.startswith("ピーナッツアレルギーなんですよね")
    assert "11月30日に" in first
    assert "教えてくれ" in first or "話してくれ" in first
    assert "私" not in text
    assert "猫" not in text
    assert not re.search(r"[A-Za-z]", text)


def test_korean_answer_and_korean_statements():
    text = reply(
        "내가 무슨 알레르기가 있지?",
        language="ko",
        memories=("고양이를 키워요", "저는 땅콩 알레르기가 있어요"),
        memory_dates=(None, date(2026, 11, 30)),
    )

    first = first_sentence(text)
    assert first.startswith("땅콩 알레르기가 있어요")
    assert "11월 30일에" in first
    assert "말해 줬" in first or "알려 줬" in first
    assert "저는" not in text and "고양이" not in text
    assert not re.search(r"[A-Za-z]", text)

    statement = reply("오늘 친구랑 등산했어요.", language="ko", memories=("등산을 좋아해요",))
    assert "오늘 친구랑 등산했어요" in statement
    assert "등산을 좋아해요" in statement
    assert not re.search(r"[A-Za-z]", statement)

    unknown = reply("제 생일이 언제예요?", language="ko", memories=("고양이를 키워요",))
    assert unknown in UNKNOWN["ko"]


def templates() -> list[str]:
    from macaron.llm import offline

    found: list[str] = []
    for moods in offline.ACK.values():
        found += [text for variants in moods.values() for _, text in variants]
    for table in (ANSWERS, UNKNOWN, offline.LOOKUP, TIES):
        found += [text for variants in table.values() for text in variants]
    for moods in QUESTIONS.values():
        found += [text for variants in moods.values() for text in variants]
    return found


def uses(reply: str, template: str) -> bool:
    """Whether the reply holds all of the template's fixed text (around its placeholders)."""
    pieces = [p.strip() for p in re.split(r"\{\w+\}", template) if len(p.strip()) >= 3]
    return bool(pieces) and all(piece in reply for piece in pieces)


def test_no_template_repeats_in_a_ten_turn_conversation():
    context = CompanionContext(
        traits=("warm",),
        memories=MEMORIES,
        memory_dates=DATES,
    )
    said = [
        "I started a new job at a bakery.",
        "Do you remember what I'm allergic to?",
        "My cat knocked over a plant this morning.",
        "Where does my sister live?",
        "I went hiking with Ken last weekend.",
        "What am I allergic to again?",
        "I'm reading a book about the history of tea.",
        "Does my sister live in Osaka?",
        "We painted the kitchen yellow yesterday.",
        "What's my favourite film?",
    ]
    window: list[dict] = []
    replies = []
    for text in said:
        window.append({"role": "user", "content": text})
        answer = compose_reply(window, context)
        window.append({"role": "assistant", "content": answer})
        replies.append(answer)

    assert len(set(replies)) == 10
    for template in templates():
        users = [r for r in replies if uses(r, template)]
        assert len(users) <= 1, (template, users)
    # The answers still answer: each question about a told fact gets it first.
    for index, fact in ((1, "you're allergic to peanuts"), (3, "your sister hana lives in osaka")):
        assert fact in first_sentence(replies[index]).lower()
        assert "told me" in first_sentence(replies[index])
    assert "you're allergic to peanuts" in first_sentence(replies[5]).lower()
    assert "told me" in first_sentence(replies[5])


def test_the_same_window_gets_the_same_reply():
    window = [
        {"role": "user", "content": "I'm allergic to peanuts."},
        {"role": "assistant", "content": "Thanks for telling me that you're allergic to peanuts."},
        {"role": "user", "content": "What am I allergic to?"},
    ]
    context = CompanionContext(memories=MEMORIES, memory_dates=DATES)
    assert compose_reply(window, context) == compose_reply(window, context)
