from datetime import UTC, datetime

import pytest
from django.db import connection

from macaron.text import lexical_terms
from macaron.vault import cipher_for
from memory.retrieval import search as retrieval
from memory.retrieval.lexical import document_frequencies
from memory.retrieval.search import Filters, _where, retrieve
from memory.services import MessageIn, conversation_create, memory_create, messages_ingest

pytestmark = pytest.mark.django_db


def test_term_statistics_count_memories_per_token(user):
    memory_create(user=user, text="I drink green tea every morning")
    memory_create(user=user, text="Green smoothies are my breakfast on Sundays")
    cipher = cipher_for(user.id)
    green, tea = (cipher.blind_token(t) for t in lexical_terms("green tea"))
    with connection.cursor() as cursor:
        df = document_frequencies(cursor, user_id=user.id, tokens=[green, tea])
    assert df == {green: 2, tea: 1}


def test_lexical_channel_fetches_rare_terms_first(user, monkeypatch):
    for n in range(8):
        memory_create(user=user, text=f"I had coffee with a colleague on day {n} of the sprint")
    target = memory_create(user=user, text="The best coffee I ever had was in Zanzibar")
    monkeypatch.setattr(retrieval, "LEXICAL_POSTINGS", 3)
    cipher = cipher_for(user.id)
    tokens = sorted({cipher.blind_token(t) for t in lexical_terms("coffee in Zanzibar")})
    where, params = _where(user.id, Filters(), None)
    with connection.cursor() as cursor:
        ranked = retrieval._lexical(cursor, user.id, where, params, tokens, total=9)
    assert ranked.ids[0] == target.id


def test_reply_is_found_by_the_question_it_answers(user):
    conversation = conversation_create(user=user)
    at = datetime(2024, 5, 8, 12, 0, tzinfo=UTC)
    messages_ingest(
        user=user,
        conversation=conversation,
        messages=[
            MessageIn(text="Which instrument are you learning these days?", sent_at=at),
            MessageIn(
                text="The cello, twice a week with a teacher.", sent_at=at, external_id="D1:2"
            ),
            MessageIn(text="I repainted the kitchen walls a warm yellow.", sent_at=at),
            MessageIn(text="We adopted a second cat from the shelter.", sent_at=at),
        ],
    )
    result = retrieve(user=user, query="What instrument is the person learning?", k=4)
    texts = [item.text for item in result.items]
    # The reply never names "instrument"; it is found through the question it answers.
    assert texts.index("The cello, twice a week with a teacher.") <= 1
    assert result.items[texts.index("The cello, twice a week with a teacher.")].external_ids == [
        "D1:2"
    ]


def test_time_expression_in_query_prefers_memories_of_that_time(user):
    conversation = conversation_create(user=user)
    may = datetime(2024, 5, 20, 9, 0, tzinfo=UTC)
    june = datetime(2024, 6, 20, 9, 0, tzinfo=UTC)
    messages_ingest(
        user=user,
        conversation=conversation,
        messages=[
            MessageIn(
                text="I went hiking in the Alps with my brother.", sent_at=may, external_id="may"
            ),
            MessageIn(
                text="I went hiking in the Pyrenees with my sister.",
                sent_at=june,
                external_id="june",
            ),
        ],
    )
    now = datetime(2024, 7, 1, tzinfo=UTC)
    result = retrieve(user=user, query="Where did I go hiking in May?", k=2, now=now)
    assert result.time_range is not None and result.time_range.label() == "May 2024"
    assert result.items[0].external_ids == ["may"]
    strict = retrieve(
        user=user,
        query="Where did I go hiking in June?",
        k=2,
        now=now,
        filters=Filters(strict_time=True),
    )
    assert [item.external_ids for item in strict.items] == [["june"]]


def test_budget_cuts_the_context_but_keeps_the_best(user):
    for n in range(6):
        memory_create(
            user=user, text=f"My running log entry number {n}: ten kilometres along the river"
        )
    result = retrieve(user=user, query="running along the river", k=6, budget=30)
    assert 1 <= len(result.items) < 6
    assert result.context_tokens <= 30 or len(result.items) == 1


@pytest.mark.parametrize("bad", [{"query": ""}, {"query": "x" * 2001}, {"query": "ok", "k": 0}])
def test_bad_queries_are_refused(user, bad):
    from macaron.errors import DomainError

    with pytest.raises(DomainError):
        retrieve(user=user, **bad)


def test_query_expansion_adds_sub_topics_but_not_the_query_terms():
    from memory.retrieval.expansion import expansion_terms

    assert expansion_terms("When is the fireworks festival?") == ["ticket", "date", "weather"]
    assert "チケ" in expansion_terms("花火大会はいつ？")
    assert expansion_terms("What did Caroline research?") == []


def test_expansion_surfaces_a_sub_topic_memory_in_the_lexical_channel(user):
    target = memory_create(user=user, text="Bought two tickets for Saturday night, row F")
    memory_create(user=user, text="Repainted the garden fence green")
    memory_create(user=user, text="Booked the dentist for a cleaning")
    cipher = cipher_for(user.id)
    query = "anything about the festival"
    tokens = sorted({cipher.blind_token(t) for t in lexical_terms(query)})
    from memory.retrieval.expansion import expansion_terms

    expansion = [cipher.blind_token(t) for t in expansion_terms(query)]
    where, params = _where(user.id, Filters(), None)
    with connection.cursor() as cursor:
        plain = retrieval._lexical(cursor, user.id, where, params, tokens, total=3)
        expanded = retrieval._lexical(
            cursor, user.id, where, params, tokens, total=3, expansion=expansion
        )
    assert target.id not in plain.ids
    assert expanded.ids[0] == target.id


def test_what_the_companion_says_is_stored_but_not_remembered_as_a_fact(user):
    from memory.models import Memory, Message

    conversation = conversation_create(user=user)
    at = datetime(2024, 5, 8, 12, 0, tzinfo=UTC)
    messages_ingest(
        user=user,
        conversation=conversation,
        messages=[
            MessageIn(
                text="Hi! I'm Mochi and I love planning picnics with you.",
                sent_at=at,
                role="companion",
            ),
            MessageIn(text="I started learning the cello with a teacher this week.", sent_at=at),
        ],
    )
    assert Message.objects.filter(conversation=conversation).count() == 2
    [memory] = Memory.objects.filter(user=user)
    assert "cello" in cipher_for(user.id).decrypt(memory.text_ct)


def test_relative_dates_are_resolved_in_the_persons_time_zone(user):
    from memory.models import Memory

    user.time_zone = "Asia/Tokyo"
    user.save(update_fields=["time_zone"])
    conversation = conversation_create(user=user)
    # 23:30 UTC on 7 May is already 08:30 on 8 May in Tokyo: "tomorrow" is 9 May there.
    at = datetime(2024, 5, 7, 23, 30, tzinfo=UTC)
    messages_ingest(
        user=user,
        conversation=conversation,
        messages=[MessageIn(text="I have my dentist appointment tomorrow morning.", sent_at=at)],
    )
    memory = Memory.objects.get(user=user)
    assert memory.event_time == datetime(2024, 5, 8, 15, 0, tzinfo=UTC)  # 9 May 00:00 in Tokyo


def test_a_memory_in_japanese_is_found_by_an_english_question(user):
    target = memory_create(user=user, text="私は毎朝ジョギングをしています")
    memory_create(user=user, text="My tax return is due in April")
    memory_create(user=user, text="The cat sleeps on the sofa all afternoon")
    result = retrieve(user=user, query="Do I go running in the morning?", k=1)
    assert [item.id for item in result.items] == [target.id]
    assert result.items[0].language == "ja"


def test_lexical_coverage_is_the_share_of_the_query_a_memory_matched(user):
    names_only = memory_create(user=user, text="Hana said the film was far too long")
    both = memory_create(user=user, text="Hana moved to Lisbon in the spring")
    memory_create(user=user, text="Hana brought cake to the office")
    cipher = cipher_for(user.id)
    where, params = _where(user.id, Filters(), None)

    def hits(query: str):
        tokens = sorted({cipher.blind_token(t) for t in lexical_terms(query)})
        with connection.cursor() as cursor:
            return retrieval._lexical(cursor, user.id, where, params, tokens, total=3)

    lisbon = hits("Did Hana move to Lisbon?")
    assert lisbon.ids[0] == both.id
    assert lisbon.coverage[both.id] > 3 * lisbon.coverage[names_only.id]
    # "piano" is in no memory: it still counts in the whole, so a match on the name alone
    # covers little of the question.
    piano = hits("Does Hana play the piano?")
    assert piano.coverage[names_only.id] < 0.2
    assert sorted(piano.ids) == sorted(piano.coverage) and len(piano.ids) == 3
