"""The retrieval log (no query text, compact features, retention) and reward events tied to
the read that showed the memory, from each source."""

from datetime import timedelta
from functools import partial

import numpy as np
import pytest
from django.utils import timezone

from memory.learning.features import FEATURES, INDEX, F, unpack
from memory.learning.log import retrieval_logs_prune
from memory.learning.rewards import is_correction, turn_outcome
from memory.models import (
    Conversation,
    Memory,
    Message,
    ReplyMemory,
    RetrievalLog,
    RewardEvent,
)
from memory.retrieval.search import retrieve
from memory.services import memories_trash, memory_create, memory_feedback, memory_update
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_feature_vector_is_generic_and_has_a_rerank_slot():
    assert FEATURES[:7] == (
        "importance",
        "strength",
        "recency",
        "domain",
        "time_match",
        "pinned",
        "entity",
    )
    assert {"dense", "lexical", "coverage", "language", "recall", "episode", "age", "fused"} <= set(
        FEATURES
    )
    assert FEATURES[-1] == "rerank"


def test_a_companion_read_is_logged_without_its_query(user):
    cat = memory_create(user=user, text="I adopted a grey cat called Pepper")
    memory_create(user=user, text="I play the cello on Tuesdays")
    result = retrieve(user=user, query="Tell me about the secret-word-zanzibar cat", k=2)
    log = RetrievalLog.objects.get(pk=result.retrieval_id)
    assert log.user_id == user.id and log.purpose == "companion" and log.policy
    assert log.shown_ids == [item.id for item in result.items]
    assert cat.id in log.candidate_ids
    matrix = unpack(log.features)
    assert matrix.shape == (len(log.candidate_ids), F)
    assert len(bytes(log.features)) == 2 * F * len(log.candidate_ids)  # float16
    assert np.all(matrix[:, INDEX["rerank"]] == 0.0)
    assert 0.0 < matrix[log.candidate_ids.index(cat.id), INDEX["dense"]] <= 1.0
    scores = np.frombuffer(bytes(log.scores), dtype=np.float32)
    assert np.all(np.diff(scores) <= 0)  # candidates best first
    stored = b"".join(
        bytes(v) if isinstance(v, bytes | memoryview) else str(v).encode()
        for v in RetrievalLog.objects.filter(pk=log.pk).values_list(
            "purpose", "policy", "features", "scores"
        )[0]
    )
    assert b"zanzibar" not in stored.lower()


def test_evaluation_reads_are_not_logged(user):
    memory_create(user=user, text="I adopted a grey cat called Pepper")
    result = retrieve(user=user, query="cat", purpose="evaluation")
    assert result.retrieval_id is None and not RetrievalLog.objects.exists()


def test_old_logs_are_pruned_and_rewards_keep_their_signal(user, settings):
    settings.LEARNING_LOG_DAYS = 30
    memory = memory_create(user=user, text="I adopted a grey cat called Pepper")
    result = retrieve(user=user, query="my cat", k=1)
    event = memory_feedback(user=user, memory_id=memory.id, signal="up")
    assert event.retrieval_id == result.retrieval_id and event.source == "thumbs"
    fresh = retrieve(user=user, query="the cat", k=1).retrieval_id
    RetrievalLog.objects.filter(pk=result.retrieval_id).update(
        created_at=timezone.now() - timedelta(days=31)
    )
    assert retrieval_logs_prune() == 1
    assert retrieval_logs_prune() == 0  # idempotent
    assert list(RetrievalLog.objects.values_list("pk", flat=True)) == [fresh]
    event.refresh_from_db()
    assert event.retrieval_id is None and event.reward == 1.0


def test_a_reward_is_never_tied_to_another_persons_read(user):
    other = UserFactory()
    memory_create(user=other, text="I adopted a grey cat called Pepper")
    theirs = retrieve(user=other, query="cat", k=1).retrieval_id
    mine = memory_create(user=user, text="I keep bees in the garden")
    event = memory_feedback(user=user, memory_id=mine.id, signal="down", retrieval_id=theirs)
    assert event.retrieval_id is None


def test_edited_and_forgotten_memories_are_rewards(user):
    memory = memory_create(user=user, text="My sister lives in Porto")
    retrieved = retrieve(user=user, query="Where does my sister live?", k=1).retrieval_id
    memory_update(user=user, memory_id=memory.id, text="My sister lives in Lisbon")
    memories_trash(user=user, memory_ids=[memory.id])
    events = list(RewardEvent.objects.filter(memory=memory).order_by("id"))
    assert [(e.signal, e.source, e.reward) for e in events] == [
        ("edited", "edited", -0.3),
        ("forgotten", "forgotten", -1.0),
    ]
    assert events[0].retrieval_id == retrieved


@pytest.mark.parametrize(
    "text, correction",
    [
        ("No, that's wrong, it was Tuesday", True),
        ("That's not right", True),
        ("違います、火曜日です", True),
        ("아니에요, 화요일이에요", True),
        ("No worries, thanks!", False),
        ("Yes, and then we went to the park", False),
        ("Nothing is wrong with that plan", False),
    ],
)
def test_corrections_are_told_from_continuations(text, correction):
    assert is_correction(text) is correction


def _reply_with_chip(user, memory: Memory, conversation: Conversation, at) -> Message:
    reply = Message.objects.create(
        user=user,
        conversation=conversation,
        role=Message.Role.COMPANION,
        text_ct=b"",
        sent_at=at,
    )
    ReplyMemory.objects.create(message=reply, memory=memory, kind=ReplyMemory.Kind.USED, rank=0)
    return reply


@pytest.mark.parametrize(
    "text, signal", [("Great, and the cat?", "continued"), ("No, that's wrong", "correction")]
)
def test_the_message_after_a_reply_rewards_its_chips_once(user, text, signal):
    memory = memory_create(user=user, text="I adopted a grey cat called Pepper")
    retrieved = retrieve(user=user, query="my cat", k=1).retrieval_id
    conversation = Conversation.objects.create(user=user)
    now = timezone.now()
    _reply_with_chip(user, memory, conversation, now)
    message = Message.objects.create(
        user=user, conversation=conversation, role=Message.Role.USER, text_ct=b"", sent_at=now
    )
    outcome = partial(
        turn_outcome,
        user_id=user.id,
        conversation_id=conversation.id,
        message_id=message.pk,
        sent_at=message.sent_at,
        text=text,
    )
    assert outcome() == 1
    assert outcome() == 0
    event = RewardEvent.objects.get(memory=memory, signal=signal)
    assert event.source == signal and event.retrieval_id == retrieved


def test_a_subagent_task_done_with_a_preference_rewards_it_once(user, auth_api):
    from memory.companion.chat import conversation_start
    from tests.memory.companion.test_router import ALLERGY, messages_url

    allergy = memory_create(user=user, text=ALLERGY)
    conversation = conversation_start(user=user)
    for _ in range(2):  # the retried send is replayed, not handed over again
        response = auth_api.post(
            messages_url(conversation.id),
            {"text": "plan my meals for next week", "client_id": "plan-1"},
            format="json",
        )
        assert response.status_code in (200, 201)
    event = RewardEvent.objects.get(memory=allergy, signal="completed")
    assert event.source == "subagent" and event.reward == 1.0
    assert event.retrieval is not None and allergy.id in event.retrieval.shown_ids
