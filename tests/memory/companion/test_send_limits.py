"""Bounded work per person: chat sends are rate-limited (web and API); the context budget
counts tokens (CJK per character), not whitespace words."""

import pytest

from macaron.text import count_tokens
from memory.models import Conversation, Message
from memory.retrieval.search import retrieve
from memory.services import memory_create
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
CONVERSATIONS = "/api/v1/conversations/"


def test_api_send_is_rate_limited_per_person(settings, auth_api, user, api):
    settings.CHAT_SEND_RATE_PER_MIN = 2
    conversation = auth_api.post(CONVERSATIONS, {}, format="json").json()
    url = f"{CONVERSATIONS}{conversation['id']}/messages/"
    for n in range(2):
        assert auth_api.post(url, {"text": f"note {n}"}, format="json").status_code == 201
    refused = auth_api.post(url, {"text": "one more"}, format="json")
    assert refused.status_code == 429
    error = refused.json()["error"]
    assert error["code"] == "rate_limited"
    assert "at most 2 a minute" in error["message"]
    assert Message.objects.filter(user=user, role="user").count() == 2  # nothing stored
    # Another person is not limited by this one.
    other = UserFactory()
    api.force_authenticate(other)
    theirs = api.post(CONVERSATIONS, {}, format="json").json()
    sent = api.post(f"{CONVERSATIONS}{theirs['id']}/messages/", {"text": "hi"}, format="json")
    assert sent.status_code == 201


def test_web_send_is_rate_limited_with_a_clear_message(settings, client):
    settings.CHAT_SEND_RATE_PER_MIN = 1
    person = UserFactory()
    client.force_login(person)
    client.post("/chat/")
    conversation_id = Conversation.objects.get(user=person).id
    assert client.post(f"/chat/{conversation_id}/send/", {"text": "first"}).status_code == 302
    refused = client.post(f"/chat/{conversation_id}/send/", {"text": "second"})
    assert refused.status_code == 429
    assert "too fast" in refused.content.decode()
    assert Message.objects.filter(user=person, role="user").count() == 1


def test_the_context_budget_counts_japanese_per_character(user):
    memory_create(user=user, text="私は来週の土曜日に京都で友達と抹茶のお菓子を作る予定です")
    memory_create(user=user, text="京都の抹茶パフェが大好きで毎月食べに行きます")
    both = retrieve(user=user, query="京都 抹茶", k=5, budget=None, purpose="companion")
    assert len(both.items) == 2
    for item in both.items:
        assert item.tokens == count_tokens(item.context_text())
        assert count_tokens(item.text) >= 20 and len(item.text.split()) == 1  # 1: the old count
    # A budget of 15 tokens holds the best one only (the whitespace count let both through).
    cut = retrieve(user=user, query="京都 抹茶", k=5, budget=15, purpose="companion")
    assert len(cut.items) == 1
