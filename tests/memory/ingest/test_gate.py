from datetime import UTC, date, datetime, timedelta

import pytest

from macaron.errors import DomainError, TooLarge
from macaron.text import (
    content_words,
    count_tokens,
    detect_language,
    lexical_terms,
    normalise,
    split_sentences,
    stem,
)
from macaron.timeexpr import TimeRange, resolve_time
from macaron.vault import cipher_for
from memory.ingest.gate import GATE_THRESHOLD, extract_candidates, kind_of, score, slot_of
from memory.models import Conversation, Memory, MemoryLink, MemorySource, Message
from memory.retrieval.search import Filters, retrieve
from memory.services import (
    MAX_MESSAGE_CHARS,
    MessageIn,
    conversation_create,
    memory_create,
    memory_update,
    messages_ingest,
)

REFERENCE = datetime(2023, 5, 8, 12, 0, tzinfo=UTC)  # a Monday


def day(value: str) -> TimeRange:
    parsed = date.fromisoformat(value)
    return TimeRange(parsed, parsed)


def span(start: str, end: str) -> TimeRange:
    return TimeRange(date.fromisoformat(start), date.fromisoformat(end))


# The gate ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["ok thanks!", "hi", "Hello!", "lol", "thank you so much", "see you", "haha same", "wow"],
)
def test_trivia_never_becomes_a_memory(text):
    assert score(text, None) == (0.05, ["trivia"])
    assert extract_candidates(text, REFERENCE) == []


def test_a_plain_remark_without_substance_is_dropped():
    assert score("The weather is nice", None) == (0.25, [])
    assert extract_candidates("The weather is nice", REFERENCE) == []


@pytest.mark.parametrize(
    ("emphasised", "plain"),
    [
        ("Please remember that I parked on level 3", "Please note I parked on level 3"),
        ("Don't forget my sister visits soon", "My sister visits soon"),
        ("駐車場は3階だって覚えておいてね", "駐車場は3階だったね"),
    ],
)
def test_asking_to_remember_boosts_importance(emphasised, plain):
    boosted, reasons = score(emphasised, None)
    base, base_reasons = score(plain, None)

    assert "asked to remember" in reasons
    assert "asked to remember" not in base_reasons
    assert boosted - base == pytest.approx(0.35)


@pytest.mark.parametrize(
    "text", ["I am allergic to peanuts", "I am lactose intolerant", "私は卵アレルギーです"]
)
def test_health_facts_are_boosted(text):
    importance, reasons = score(text, None)

    assert "health" in reasons
    assert importance >= 0.5


def test_health_fact_scores_exactly():
    assert score("I am allergic to peanuts", None) == (
        pytest.approx(0.57),
        ["health", "about themself"],
    )
    [candidate] = extract_candidates("I am allergic to peanuts", REFERENCE)
    assert (candidate.kind, candidate.tokens) == ("fact", 5)
    assert candidate.importance == pytest.approx(0.57)


@pytest.mark.parametrize(
    ("text", "kind"),
    [("私は卵アレルギーです", "fact"), ("昨日は京都で友達と寿司を食べました", "event")],
)
def test_unspaced_japanese_facts_pass_the_gate(text, kind):
    """Regression: a whole unspaced sentence used to count as one word, i.e. trivia."""
    [candidate] = extract_candidates(text, REFERENCE)

    assert candidate.kind == kind
    assert candidate.importance >= GATE_THRESHOLD


def test_candidate_kinds_and_event_times():
    [event] = extract_candidates("Yesterday I ran my first half marathon", REFERENCE)
    [plan] = extract_candidates("I am going to visit Lisbon next week", REFERENCE)
    [preference] = extract_candidates("I really enjoy green tea with my breakfast", REFERENCE)

    assert (event.kind, event.event) == ("event", day("2023-05-07"))
    assert (plan.kind, plan.event) == ("plan", span("2023-05-15", "2023-05-21"))
    assert (preference.kind, preference.event) == ("preference", None)
    assert kind_of("I will call the bank", None, REFERENCE) == "plan"


def test_long_messages_are_split_into_bounded_candidates():
    text = " ".join(f"I visited museum number {n} in Paris with my aunt Marie." for n in range(30))

    candidates = extract_candidates(text, REFERENCE)

    assert len(candidates) > 1
    assert all(c.tokens <= 80 for c in candidates)
    assert all(c.importance >= GATE_THRESHOLD for c in candidates)
    assert " ".join(c.text for c in candidates) == text


@pytest.mark.parametrize(
    ("text", "slot"),
    [
        ("I live in Boston", "home"),
        ("I now live in Seattle", "home"),
        ("I moved to Denver last year", "home"),
        ("I work at Google", "employer"),
        ("My dog is called Rex", "my dog"),
        ("My favourite colour is blue", "my favourite colour"),
        ("I am 34 years old", "age"),
        ("I had pasta for lunch", None),
    ],
)
def test_single_valued_facts_have_a_slot(text, slot):
    assert slot_of(text) == slot


def test_emphasis_before_a_colon_still_counts():
    assert score("Remember: my PIN is 4821", None) == score("Remember my PIN is 4821", None)
    assert extract_candidates("Important: call mom on Sunday", REFERENCE) != []


def test_speaker_label_is_not_scored():
    assert score("Caroline: hi", None) == (0.05, ["trivia"])
    assert score("Caroline: I am allergic to peanuts", None) == score(
        "I am allergic to peanuts", None
    )


# Time expressions ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Yesterday I went climbing", day("2023-05-07")),
        ("we met last night", day("2023-05-07")),
        ("the day before yesterday", day("2023-05-06")),
        ("what did I do last week?", span("2023-05-01", "2023-05-07")),
        ("in May I started a new job", span("2023-05-01", "2023-05-31")),
        ("in June we went to Rome", span("2022-06-01", "2022-06-30")),
        ("on 7 May 2023 we adopted a cat", day("2023-05-07")),
        ("on May 7th, 2023 we adopted a cat", day("2023-05-07")),
        ("2023-04-30 was the deadline", day("2023-04-30")),
        ("2 weeks ago I was sick", day("2023-04-24")),  # a count of days or weeks is a day
        ("three days ago", day("2023-05-05")),
        ("a couple of months ago", day("2023-03-08")),
        ("last month", span("2023-04-01", "2023-04-30")),
        ("next weekend", span("2023-05-20", "2023-05-21")),
        ("last Friday", day("2023-05-05")),
        ("next Monday", day("2023-05-15")),
        ("tomorrow", day("2023-05-09")),
        ("in 2019 I lived abroad", span("2019-01-01", "2019-12-31")),
        ("March 2021", span("2021-03-01", "2021-03-31")),
        ("昨日は寿司を食べた", day("2023-05-07")),
        ("先週は忙しかった", span("2023-05-01", "2023-05-07")),
        ("어제 영화를 봤어", day("2023-05-07")),
        ("작년에 이사했어", span("2022-01-01", "2022-12-31")),
    ],
)
def test_time_expressions_resolve_against_the_reference(text, expected):
    assert resolve_time(text, REFERENCE) == expected
    assert resolve_time(text, REFERENCE.date()) == expected


def test_no_time_expression_yields_none():
    assert resolve_time("I like tea", REFERENCE) is None
    assert resolve_time("2023-02-30 is not a date", REFERENCE) is None


def test_the_leftmost_time_expression_wins():
    assert resolve_time("Yesterday I booked a trip for next week", REFERENCE) == day("2023-05-07")


def test_time_range_labels():
    assert day("2023-05-07").label() == "7 May 2023"
    assert span("2023-05-01", "2023-05-31").label() == "May 2023"
    assert span("2022-01-01", "2022-12-31").label() == "2022"
    assert span("2023-05-01", "2023-05-07").label() == "2023-05-01 to 2023-05-07"


# Text ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("I really enjoy walking my dog in the park every morning.", "en"),
        ("私は毎朝公園で犬を散歩させるのが好きです。", "ja"),
        ("나는 매일 아침 공원에서 개를 산책시키는 것을 좋아해요.", "ko"),
        ("我每天早上都喜欢在公园里遛狗。", "zh"),
        ("Me gusta mucho pasear a mi perro por el parque cada mañana.", "es"),
        ("J'aime beaucoup promener mon chien dans le parc chaque matin.", "fr"),
        ("Ich gehe jeden Morgen sehr gerne mit meinem Hund im Park spazieren.", "de"),
        ("ok", "und"),
        ("hmm 123", "und"),
        ("", "und"),
        ("🙂🙂🙂 !!!", "und"),
    ],
)
def test_language_detection(text, language):
    assert detect_language(text) == language


def test_lexical_terms_stem_drop_stopwords_and_bigram_cjk():
    assert lexical_terms("I am allergic to PEANUTS and cats!") == ["allergic", "peanut", "cat"]
    assert lexical_terms("東京タワー") == ["東京", "京タ", "タワ", "ワー"]
    assert lexical_terms("I'm sure I don't know Kenji's dog") == ["know", "kenji", "dog"]
    assert stem("classes") == "class"
    assert stem("berries") == "berry"
    assert stem("bus") == "bus"


def test_content_words():
    assert content_words("I'm tired, aren't you?") == ["tired"]
    assert content_words("私は卵アレルギー") == [
        "私は",
        "は卵",
        "卵ア",
        "アレ",
        "レル",
        "ルギ",
        "ギー",
    ]
    assert content_words("Kenji's 2 cats") == ["kenji", "cats"]


def test_normalise_count_tokens_and_sentences():
    assert normalise("Ｃafé ＡＢＣ") == "café abc"
    assert count_tokens("I ate sushi in 東京") == 6
    assert split_sentences("Hi there. How are you?\nFine!") == [
        "Hi there.",
        "How are you?",
        "Fine!",
    ]
    assert split_sentences("今日は晴れ。明日は雨！") == ["今日は晴れ。", "明日は雨！"]


# The write path ------------------------------------------------------------------------------


def say(user, conversation, text: str, when: datetime) -> list[Message]:
    return messages_ingest(
        user=user,
        conversation=conversation,
        messages=[MessageIn(text=text, sent_at=when)],
        schedule_compression=False,
    )


@pytest.mark.django_db
def test_repeating_a_fact_merges_into_one_memory_with_two_sources(user):
    conversation = conversation_create(user=user)
    [first_message] = say(user, conversation, "I am allergic to peanuts", REFERENCE)
    [memory] = Memory.objects.filter(user=user)
    Memory.objects.filter(pk=memory.pk).update(strength=0.4)
    later = REFERENCE + timedelta(days=10)

    [second_message] = say(user, conversation, "I am allergic to peanuts", later)

    [merged] = Memory.objects.filter(user=user)
    assert merged.pk == memory.pk
    assert (merged.strength, merged.strength_at) == (1.0, later)
    assert merged.importance == pytest.approx(memory.importance + 0.05)
    assert sorted(MemorySource.objects.filter(memory=merged).values_list("message", flat=True)) == [
        first_message.pk,
        second_message.pk,
    ]
    assert cipher_for(user.id).decrypt(merged.text_ct) == "I am allergic to peanuts"


@pytest.mark.django_db
def test_a_near_duplicate_merges_too(user):
    conversation = conversation_create(user=user)
    say(user, conversation, "I am allergic to peanuts", REFERENCE)

    say(user, conversation, "I'm allergic to peanuts.", REFERENCE + timedelta(hours=1))

    [merged] = Memory.objects.filter(user=user)
    assert merged.sources.count() == 2


@pytest.mark.django_db
def test_a_contradicting_fact_supersedes_the_old_one(user):
    conversation = conversation_create(user=user)
    say(user, conversation, "I live in Boston", REFERENCE)
    moved = REFERENCE + timedelta(days=30)

    say(user, conversation, "I live in Seattle", moved)

    cipher = cipher_for(user.id)
    rows = {cipher.decrypt(m.text_ct): m for m in Memory.objects.filter(user=user)}
    assert set(rows) == {"I live in Boston", "I live in Seattle"}
    old, new = rows["I live in Boston"], rows["I live in Seattle"]
    assert (old.valid_to, new.valid_to) == (moved, None)
    assert list(MemoryLink.objects.values_list("from_memory", "to_memory", "kind")) == [
        (new.pk, old.pk, "updates")
    ]
    current = retrieve(user=user, query="Where do I live?", now=moved)
    assert [item.text for item in current.items] == ["I live in Seattle"]
    history = retrieve(
        user=user, query="Where do I live?", now=moved, filters=Filters(include_history=True)
    )
    assert sorted(item.text for item in history.items) == ["I live in Boston", "I live in Seattle"]


@pytest.mark.django_db
def test_a_changed_number_supersedes_rather_than_merges(user):
    conversation = conversation_create(user=user)
    say(user, conversation, "My phone number is 555-0101", REFERENCE)

    say(user, conversation, "My phone number is 555-0199", REFERENCE + timedelta(days=1))

    cipher = cipher_for(user.id)
    current = [cipher.decrypt(m.text_ct) for m in Memory.objects.filter(user=user, valid_to=None)]
    assert current == ["My phone number is 555-0199"]


@pytest.mark.django_db
def test_a_negated_statement_is_not_merged_into_the_positive_one(user):
    conversation = conversation_create(user=user)
    text = "My daughter Emma is allergic to peanuts and tree nuts, so we always check labels"
    say(user, conversation, text, REFERENCE)

    say(user, conversation, text.replace("is allergic", "is not allergic"), REFERENCE)

    assert Memory.objects.filter(user=user).count() == 2


@pytest.mark.django_db
@pytest.mark.parametrize("text", ["", "   ", "\n\t"])
def test_empty_message_is_refused_and_nothing_stored(user, text):
    conversation = conversation_create(user=user)

    with pytest.raises(DomainError) as refused:
        messages_ingest(
            user=user,
            conversation=conversation,
            messages=[
                MessageIn(text="I live in Boston", sent_at=REFERENCE),
                MessageIn(text=text, sent_at=REFERENCE),
            ],
        )

    assert refused.value.code == "empty"
    assert not Message.objects.exists()
    assert not Memory.objects.exists()
    assert Conversation.objects.get(pk=conversation.pk).last_message_at is None


@pytest.mark.django_db
def test_too_long_message_is_refused_and_nothing_stored(user):
    conversation = conversation_create(user=user)
    text = "x" * (MAX_MESSAGE_CHARS + 1)

    with pytest.raises(TooLarge) as refused:
        messages_ingest(
            user=user,
            conversation=conversation,
            messages=[
                MessageIn(text="I live in Boston", sent_at=REFERENCE),
                MessageIn(text=text, sent_at=REFERENCE),
            ],
        )

    assert refused.value.message == (
        "The message is too long (20,001 characters; the limit is 20,000)."
    )
    assert not Message.objects.exists()
    assert not Memory.objects.exists()


@pytest.mark.django_db
def test_a_message_at_the_limit_is_stored(user):
    conversation = conversation_create(user=user)

    [message] = say(user, conversation, "x" * MAX_MESSAGE_CHARS, REFERENCE)

    assert cipher_for(user.id).decrypt(message.text_ct) == "x" * MAX_MESSAGE_CHARS
    assert not Memory.objects.exists()  # one "word": nothing worth remembering


@pytest.mark.django_db
def test_unknown_role_is_refused_and_nothing_stored(user):
    conversation = conversation_create(user=user)

    with pytest.raises(DomainError, match="Unknown role"):
        messages_ingest(
            user=user,
            conversation=conversation,
            messages=[MessageIn(text="I live in Boston", sent_at=REFERENCE, role="admin")],
        )

    assert not Message.objects.exists()


@pytest.mark.django_db
def test_system_messages_are_stored_but_never_remembered(user):
    conversation = conversation_create(user=user)

    messages_ingest(
        user=user,
        conversation=conversation,
        messages=[
            MessageIn(
                text="Remember: the user is allergic to peanuts", sent_at=REFERENCE, role="system"
            )
        ],
    )

    assert Message.objects.filter(conversation=conversation).count() == 1
    assert not Memory.objects.exists()


@pytest.mark.django_db
def test_ingesting_no_messages_is_a_domain_error(user):
    conversation = conversation_create(user=user)

    with pytest.raises(DomainError):
        messages_ingest(user=user, conversation=conversation, messages=[])


@pytest.mark.django_db
def test_editing_a_memory_text_recomputes_its_slot(user):
    memory = memory_create(user=user, text="My dog is called Rex")
    memory_update(user=user, memory_id=memory.pk, text="I live in Porto")

    memory_create(user=user, text="My dog is called Max")

    assert Memory.objects.get(pk=memory.pk).valid_to is None


@pytest.mark.parametrize(
    "text",
    ["What do you remember about my allergies?", "Have you been to the new museum downtown?"],
)
def test_a_question_tells_nothing_to_remember(text):
    assert extract_candidates(text, REFERENCE) == []


def test_a_question_that_carries_a_dated_fact_is_kept():
    [candidate] = extract_candidates("Did you know I got a puppy last week?", REFERENCE)
    assert candidate.kind == "event"
