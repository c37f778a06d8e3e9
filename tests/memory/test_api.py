from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from macaron.vault import cipher_for
from memory.models import AuditEvent, Memory, RewardEvent
from memory.services import MessageIn, conversation_create, memory_create, messages_ingest
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

LIST = "/api/v1/memories/"
FORGET = "/api/v1/memories/forget/"
TRASH = "/api/v1/memories/trash/"
RESTORE = "/api/v1/memories/restore/"
SEARCH = "/api/v1/memories/search/"
FIELDS = {
    "id",
    "text",
    "kind",
    "source",
    "domains",
    "language",
    "created_at",
    "valid_from",
    "valid_to",
    "event_time",
    "importance",
    "strength",
    "recall_count",
    "pinned",
    "privacy",
    "policy",
    "locked",
    "relevant",
    "matched_terms",
}


def detail(memory_id: int) -> str:
    return f"{LIST}{memory_id}/"


def said(user, text: str, sent_at: datetime, external_id: str = "", conversation=None):
    """Tell the companion something in a chat; returns (memory, message)."""
    conversation = conversation or conversation_create(user=user)
    [message] = messages_ingest(
        user=user,
        conversation=conversation,
        messages=[MessageIn(text=text, sent_at=sent_at, external_id=external_id)],
        schedule_compression=False,
    )
    return Memory.objects.get(sources__message=message), message


def text_of(memory: Memory) -> str:
    return cipher_for(memory.user_id).decrypt(memory.text_ct)


@pytest.fixture
def other():
    return UserFactory()


@pytest.fixture
def other_api(other):
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(other)
    return client


# List ------------------------------------------------------------------------------------


def test_list_is_newest_first_and_paginated(auth_api, user):
    for text in ["I am allergic to peanuts", "My sister lives in Lisbon", "I play the cello"]:
        memory_create(user=user, text=text)

    first = auth_api.get(LIST, {"page_size": 2})
    assert first.status_code == 200
    body = first.json()
    assert body["count"] == 3
    assert [m["text"] for m in body["results"]] == [
        "I play the cello",
        "My sister lives in Lisbon",
    ]
    assert body["next"] is not None
    second = auth_api.get(LIST, {"page_size": 2, "page": 2}).json()
    assert [m["text"] for m in second["results"]] == ["I am allergic to peanuts"]
    assert second["next"] is None
    assert auth_api.get(LIST, {"page": 9}).status_code == 404


def test_list_item_shape(auth_api, user):
    memory = memory_create(user=user, text="I am allergic to peanuts", pinned=True)

    [item] = auth_api.get(LIST).json()["results"]

    assert set(item) == FIELDS
    assert item["id"] == memory.id
    assert item["text"] == "I am allergic to peanuts"
    assert item["kind"] == "fact"
    assert item["source"] == "manual"
    assert item["domains"] == ["health"]
    assert item["pinned"] is True
    assert item["privacy"] == "private"  # health is sensitive by default, still usable by tools
    assert item["policy"] == {"share_with_subagents": True}
    assert item["locked"] is False
    assert item["valid_to"] is None
    assert item["recall_count"] == 0


def test_list_filters_by_domain_kind_and_pinned(auth_api, user):
    memory_create(user=user, text="I am allergic to peanuts", pinned=True)
    memory_create(user=user, text="My favourite restaurant serves ramen")
    said(user, "I ran a marathon in Berlin yesterday!", datetime(2024, 5, 8, 12, tzinfo=UTC))

    def texts(**params):
        response = auth_api.get(LIST, params)
        assert response.status_code == 200
        return sorted(m["text"] for m in response.json()["results"])

    assert texts(domain="health") == ["I am allergic to peanuts"]
    assert texts(domain="fitness") == ["I ran a marathon in Berlin yesterday!"]
    assert texts(kind="event") == ["I ran a marathon in Berlin yesterday!"]
    assert texts(pinned="true") == ["I am allergic to peanuts"]
    assert texts(pinned="false") == [
        "I ran a marathon in Berlin yesterday!",
        "My favourite restaurant serves ramen",
    ]


def test_list_filters_by_time(auth_api, user):
    said(user, "I adopted a cat named Miso", datetime(2024, 1, 10, 9, tzinfo=UTC))
    said(user, "I started learning Korean at school", datetime(2024, 3, 10, 9, tzinfo=UTC))
    # Said on 8 May about 7 May: the event's date is what counts.
    said(user, "I ran a marathon in Berlin yesterday!", datetime(2024, 5, 8, 12, tzinfo=UTC))

    def texts(**params):
        response = auth_api.get(LIST, params)
        assert response.status_code == 200
        return [m["text"] for m in response.json()["results"]]

    assert texts(since="2024-02-01") == [
        "I ran a marathon in Berlin yesterday!",
        "I started learning Korean at school",
    ]
    assert texts(until="2024-03-10") == [
        "I started learning Korean at school",
        "I adopted a cat named Miso",
    ]
    assert texts(since="2024-03-01", until="2024-03-31") == ["I started learning Korean at school"]
    assert texts(since="2024-05-07", until="2024-05-07") == [
        "I ran a marathon in Berlin yesterday!"
    ]
    assert texts(since="2024-03-10T10:00:00+00:00", until="2024-04-30") == []


def test_list_since_uses_the_persons_time_zone(auth_api, user):
    user.time_zone = "Asia/Tokyo"
    user.save(update_fields=["time_zone"])
    # 20:00 UTC on 9 March is already 10 March in Tokyo.
    said(user, "I started learning Korean at school", datetime(2024, 3, 9, 20, tzinfo=UTC))

    assert auth_api.get(LIST, {"since": "2024-03-10"}).json()["count"] == 1
    assert auth_api.get(LIST, {"until": "2024-03-09"}).json()["count"] == 0


def test_list_include_history_shows_superseded_facts(auth_api, user):
    old, _ = said(user, "My dog is called Biscuit", datetime(2024, 1, 1, tzinfo=UTC))
    new, _ = said(user, "My dog is called Rex", datetime(2024, 6, 1, tzinfo=UTC))

    current = auth_api.get(LIST).json()["results"]
    assert [m["id"] for m in current] == [new.id]
    history = auth_api.get(LIST, {"include_history": "true"}).json()["results"]
    assert [m["id"] for m in history] == [new.id, old.id]
    assert history[1]["valid_to"] == "2024-06-01T00:00:00Z"


def test_list_text_search_returns_retrieval_ranking(auth_api, user):
    memory_create(user=user, text="My sister lives in Lisbon")
    peanuts = memory_create(user=user, text="I am allergic to peanuts")
    memory_create(user=user, text="I play the cello in an orchestra")

    response = auth_api.get(LIST, {"q": "peanut allergy"})

    assert response.status_code == 200
    results = response.json()["results"]
    assert results[0]["id"] == peanuts.id
    assert results[0]["text"] == "I am allergic to peanuts"
    assert (results[0]["relevant"], results[0]["matched_terms"]) == (True, ["peanuts"])
    assert [(r["relevant"], r["matched_terms"]) for r in results[1:]] == [(False, [])] * 2
    assert AuditEvent.objects.filter(action="retrieve", purpose="person").count() == 1


def test_list_text_search_respects_filters(auth_api, user):
    memory_create(user=user, text="I am allergic to peanuts")
    memory_create(user=user, text="I am allergic to cats", pinned=True)

    results = auth_api.get(LIST, {"q": "allergic", "pinned": "true"}).json()["results"]
    assert [m["text"] for m in results] == ["I am allergic to cats"]
    assert auth_api.get(LIST, {"q": "allergic", "domain": "travel"}).json()["count"] == 0


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"since": "last tuesday"}, "since"),
        ({"since": "2024-02-30"}, "since"),
        ({"until": "2024-13-01"}, "until"),
        ({"since": "2024-05-02", "until": "2024-05-01"}, "until"),
        ({"domain": "astrology"}, "domain"),
        ({"kind": "gossip"}, "kind"),
        ({"pinned": "maybe"}, "pinned"),
    ],
)
def test_list_refuses_malformed_filters(auth_api, params, field):
    response = auth_api.get(LIST, params)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert list(error["fields"]) == [field]


def test_malformed_since_message_is_clear(auth_api):
    error = auth_api.get(LIST, {"since": "yesterday"}).json()["error"]
    assert error["message"] == (
        "since: Use an ISO 8601 date such as 2024-05-08 or a date-time such as "
        "2024-05-08T09:30:00+00:00."
    )


def test_list_query_count_does_not_grow_with_memories(auth_api, user):
    conversation = conversation_create(user=user)
    texts = [
        "I am allergic to peanuts",
        "My sister lives in Lisbon",
        "I play the cello",
        "I ran a marathon in Berlin",
        "My favourite tea is jasmine",
        "I work as a nurse at night",
    ]
    for i, text in enumerate(texts[:2]):
        said(user, text, datetime(2024, 1, i + 1, tzinfo=UTC), conversation=conversation)
    with CaptureQueriesContext(connection) as few:
        assert len(auth_api.get(LIST).json()["results"]) == 2
    for i, text in enumerate(texts[2:]):
        said(user, text, datetime(2024, 2, i + 1, tzinfo=UTC), conversation=conversation)
    with CaptureQueriesContext(connection) as many:
        assert len(auth_api.get(LIST).json()["results"]) == 6
    assert len(many) == len(few)


# Create ----------------------------------------------------------------------------------


def test_create_returns_201_and_stores_only_ciphertext(auth_api, user):
    response = auth_api.post(
        LIST, {"text": "I am allergic to peanuts", "privacy": "private", "pinned": True}
    )

    assert response.status_code == 201
    body = response.json()
    assert set(body) == FIELDS | {"sources"}
    assert body["text"] == "I am allergic to peanuts"
    assert body["privacy"] == "private"
    assert body["pinned"] is True
    assert body["source"] == "manual"
    assert body["sources"] == []
    memory = Memory.objects.get(user=user)
    assert memory.id == body["id"]
    assert b"peanuts" not in bytes(memory.text_ct)
    assert text_of(memory) == "I am allergic to peanuts"


@pytest.mark.parametrize(
    ("payload", "status", "code", "field"),
    [
        ({"text": ""}, 400, "invalid", "text"),
        ({"text": "   "}, 400, "invalid", "text"),
        ({}, 400, "invalid", "text"),
        ({"text": "x" * 25_000}, 413, "too_large", "text"),
        ({"text": "I like tea", "colour": "red"}, 400, "invalid", "colour"),
        ({"text": "I like tea", "privacy": "public"}, 400, "invalid", "privacy"),
        ({"text": "I like tea", "pinned": "sometimes"}, 400, "invalid", "pinned"),
    ],
)
def test_create_refuses_bad_input(auth_api, user, payload, status, code, field):
    response = auth_api.post(LIST, payload, format="json")
    assert response.status_code == status
    error = response.json()["error"]
    assert error["code"] == code
    assert list(error["fields"]) == [field]
    assert not Memory.objects.exists()


def test_create_too_large_message(auth_api):
    error = auth_api.post(LIST, {"text": "x" * 25_000}, format="json").json()["error"]
    assert error["message"] == "The memory is too long (25,000 characters; the limit is 4,000)."


# Detail ----------------------------------------------------------------------------------


def test_detail_shows_provenance(auth_api, user):
    conversation = conversation_create(user=user)
    memory, first = said(
        user,
        "I am allergic to peanuts",
        datetime(2024, 5, 8, 9, 30, tzinfo=UTC),
        external_id="tg-41",
        conversation=conversation,
    )
    again, second = said(
        user,
        "I am allergic to peanuts",
        datetime(2024, 6, 1, 18, 0, tzinfo=UTC),
        external_id="tg-97",
        conversation=conversation,
    )
    assert again.id == memory.id  # said twice, remembered once

    response = auth_api.get(detail(memory.id))

    assert response.status_code == 200
    body = response.json()
    assert body["text"] == "I am allergic to peanuts"
    assert body["source"] == "chat"
    assert body["valid_from"] == "2024-05-08T09:30:00Z"
    assert body["sources"] == [
        {
            "message_id": first.id,
            "external_id": "tg-41",
            "said_at": "2024-05-08T09:30:00Z",
            "conversation_id": conversation.id,
        },
        {
            "message_id": second.id,
            "external_id": "tg-97",
            "said_at": "2024-06-01T18:00:00Z",
            "conversation_id": conversation.id,
        },
    ]


def test_detail_unknown_or_huge_id_is_404(auth_api):
    for memory_id in (1, 99999999999999999999):
        response = auth_api.get(detail(memory_id))
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"


# Update ----------------------------------------------------------------------------------


def test_patch_updates_text_pin_privacy_policy_and_domains(auth_api, user):
    memory = memory_create(user=user, text="I am allergic to peanuts")

    response = auth_api.patch(
        detail(memory.id),
        {
            "text": "I am allergic to cashews",
            "pinned": True,
            "privacy": "secret",
            "policy": {
                "reauth_required": True,
                "share_with_subagents": False,
                "expires_at": "2030-01-01T12:00:00+00:00",
            },
            "domains": ["food", "health"],
        },
        format="json",
    )

    assert response.status_code == 200
    body = response.json()
    assert (body["text"], body["locked"]) == ("", True)  # now it needs a step-up to be read
    assert body["pinned"] is True
    assert body["privacy"] == "secret"
    assert body["domains"] == ["food", "health"]
    assert body["policy"] == {
        "reauth_required": True,
        "share_with_subagents": False,
        "expires_at": "2030-01-01T12:00:00+00:00",
    }
    memory.refresh_from_db()
    assert text_of(memory) == "I am allergic to cashews"
    assert (memory.pinned, memory.privacy, memory.domains) == (True, "secret", ["food", "health"])


def test_patch_with_only_pinned_leaves_the_rest(auth_api, user):
    memory = memory_create(user=user, text="I am allergic to peanuts", privacy="private")

    response = auth_api.patch(detail(memory.id), {"pinned": True}, format="json")

    assert response.status_code == 200
    memory.refresh_from_db()
    assert (memory.pinned, memory.privacy, memory.domains) == (True, "private", ["health"])
    assert text_of(memory) == "I am allergic to peanuts"


@pytest.mark.parametrize(
    ("payload", "status", "field"),
    [
        ({"text": ""}, 400, "text"),
        ({"text": "x" * 25_000}, 413, "text"),
        ({"privacy": "public"}, 400, "privacy"),
        ({"policy": {"colour": "red"}}, 400, "policy"),
        ({"policy": {"reauth_required": "yes"}}, 400, "policy"),
        ({"policy": {"expires_at": "soonish"}}, 400, "policy"),
        ({"policy": "reauth"}, 400, "policy"),
        ({"domains": ["astrology"]}, 400, "domains"),
        ({"owner": 7}, 400, "owner"),
    ],
)
def test_patch_refuses_bad_input_and_changes_nothing(auth_api, user, payload, status, field):
    memory = memory_create(user=user, text="I am allergic to peanuts")
    before = Memory.objects.filter(pk=memory.pk).values().get()

    response = auth_api.patch(detail(memory.id), payload, format="json")

    assert response.status_code == status
    assert list(response.json()["error"]["fields"]) == [field]
    assert Memory.objects.filter(pk=memory.pk).values().get() == before


# Forget ----------------------------------------------------------------------------------


def test_delete_forgets_one(auth_api, user):
    keep = memory_create(user=user, text="My sister lives in Lisbon")
    gone = memory_create(user=user, text="I am allergic to peanuts")

    response = auth_api.delete(detail(gone.id))

    assert response.status_code == 204
    assert list(Memory.objects.filter(forgotten_at__isnull=False).values_list("id", flat=True)) == [
        gone.id
    ]
    assert Memory.objects.get(pk=keep.id).forgotten_at is None
    assert auth_api.delete(detail(gone.id)).status_code == 404
    assert auth_api.get(detail(gone.id)).status_code == 404
    assert [m["id"] for m in auth_api.get(LIST).json()["results"]] == [keep.id]


def test_bulk_forget(auth_api, user, other):
    mine = [
        memory_create(user=user, text="My sister lives in Lisbon"),
        memory_create(user=user, text="I am allergic to peanuts"),
    ]
    keep = memory_create(user=user, text="I play the cello")
    theirs = memory_create(user=other, text="I collect stamps")

    response = auth_api.post(
        FORGET, {"ids": [mine[0].id, mine[1].id, theirs.id, 987654]}, format="json"
    )

    assert response.status_code == 200
    assert response.json() == {"forgotten": 2, "trash_days": 30}
    trashed = Memory.objects.filter(forgotten_at__isnull=False).values_list("id", flat=True)
    assert set(trashed) == {m.id for m in mine}
    assert Memory.objects.get(pk=keep.id).forgotten_at is None
    assert Memory.objects.get(pk=theirs.id).forgotten_at is None
    [audit] = AuditEvent.objects.filter(action="trash")
    assert sorted(audit.memory_ids) == sorted(m.id for m in mine)


def test_trash_list_and_restore(auth_api, user, other):
    mine = memory_create(user=user, text="I am allergic to peanuts")
    theirs = memory_create(user=other, text="I collect stamps")
    auth_api.post(FORGET, {"ids": [mine.id]}, format="json")
    Memory.objects.filter(pk=theirs.pk).update(forgotten_at=timezone.now())

    listed = auth_api.get(TRASH).json()

    assert [(item["id"], item["text"], item["days_left"]) for item in listed] == [
        (mine.id, "I am allergic to peanuts", 29)
    ]
    response = auth_api.post(RESTORE, {"ids": [mine.id, theirs.id]}, format="json")
    assert response.status_code == 200
    assert response.json() == {"restored": [mine.id]}
    assert auth_api.get(TRASH).json() == []
    assert auth_api.get(detail(mine.id)).json()["text"] == "I am allergic to peanuts"
    assert Memory.objects.get(pk=theirs.pk).forgotten_at is not None
    [audit] = AuditEvent.objects.filter(action="restore")
    assert audit.memory_ids == [mine.id]


def test_someone_else_cannot_see_or_restore_my_trash(auth_api, user, other_api):
    memory = memory_create(user=user, text="I am allergic to peanuts")
    auth_api.delete(detail(memory.id))
    before = Memory.objects.filter(pk=memory.pk).values().get()

    assert other_api.get(TRASH).json() == []
    response = other_api.post(RESTORE, {"ids": [memory.id]}, format="json")

    assert response.json() == {"restored": []}
    assert Memory.objects.filter(pk=memory.pk).values().get() == before


@pytest.mark.parametrize(
    "payload", [{"ids": []}, {"ids": ["one"]}, {"ids": [0]}, {}, {"ids": [1], "x": 1}, {"ids": 5}]
)
def test_restore_refuses_bad_input(auth_api, user, payload):
    memory = memory_create(user=user, text="I am allergic to peanuts")
    auth_api.delete(detail(memory.id))
    response = auth_api.post(RESTORE, payload, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"
    assert Memory.objects.get(pk=memory.pk).forgotten_at is not None


@pytest.mark.parametrize(
    "payload",
    [{"ids": []}, {"ids": ["one"]}, {"ids": [0]}, {}, {"ids": [1], "all": True}, {"ids": 5}],
)
def test_bulk_forget_refuses_bad_input(auth_api, user, payload):
    memory = memory_create(user=user, text="My sister lives in Lisbon")
    response = auth_api.post(FORGET, payload, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"
    assert list(Memory.objects.values_list("id", flat=True)) == [memory.id]


# Feedback --------------------------------------------------------------------------------


def test_feedback_is_recorded(auth_api, user):
    memory = memory_create(user=user, text="I am allergic to peanuts")
    Memory.objects.filter(pk=memory.pk).update(strength=0.2)

    response = auth_api.post(f"{detail(memory.id)}feedback/", {"signal": "up"}, format="json")

    assert response.status_code == 201
    body = response.json()
    assert (body["memory_id"], body["signal"], body["reward"]) == (memory.id, "up", 1.0)
    event = RewardEvent.objects.get()
    assert (event.id, event.user_id, event.memory_id, event.reward) == (
        body["id"],
        user.id,
        memory.id,
        1.0,
    )
    memory.refresh_from_db()
    assert memory.strength == 1.0


@pytest.mark.parametrize("payload", [{"signal": "meh"}, {}, {"signal": "up", "why": "nice"}])
def test_feedback_refuses_bad_input(auth_api, user, payload):
    memory = memory_create(user=user, text="I am allergic to peanuts")
    response = auth_api.post(f"{detail(memory.id)}feedback/", payload, format="json")
    assert response.status_code == 400
    assert not RewardEvent.objects.exists()


# Search ----------------------------------------------------------------------------------


def test_search_returns_ranked_results_with_provenance(auth_api, user):
    memory_create(user=user, text="My sister lives in Lisbon")
    marathon, _ = said(
        user,
        "I ran a marathon in Berlin yesterday!",
        datetime(2024, 5, 8, 12, tzinfo=UTC),
        external_id="tg-7",
    )
    memory_create(user=user, text="I play the cello")

    response = auth_api.post(SEARCH, {"query": "Berlin marathon", "k": 2}, format="json")

    assert response.status_code == 200
    body = response.json()
    assert body["time_range"] is None
    assert len(body["results"]) == 2
    top = body["results"][0]
    assert set(top) == {
        "id",
        "text",
        "score",
        "kind",
        "domains",
        "event",
        "external_ids",
        "said_at",
    }
    assert top["id"] == marathon.id
    assert top["text"] == "I ran a marathon in Berlin yesterday!"
    assert top["kind"] == "event"
    assert top["domains"] == ["fitness"]
    assert top["event"] == "7 May 2024"
    assert top["external_ids"] == ["tg-7"]
    assert top["said_at"] == "2024-05-08T12:00:00Z"
    assert top["score"] > body["results"][1]["score"]
    marathon.refresh_from_db()
    assert marathon.recall_count == 1


def test_search_filters_by_domains(auth_api, user):
    memory_create(user=user, text="I am allergic to peanuts")
    memory_create(user=user, text="I ran a marathon in Berlin")

    body = auth_api.post(
        SEARCH, {"query": "what about me", "domains": ["fitness"]}, format="json"
    ).json()
    assert [r["text"] for r in body["results"]] == ["I ran a marathon in Berlin"]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"query": "tea", "k": 0}, "k"),
        ({"query": "tea", "k": 101}, "k"),
        ({"query": "tea", "budget": 0}, "budget"),
        ({"query": ""}, "query"),
        ({"query": "x" * 2_001}, "query"),
        ({"query": "tea", "domains": ["astrology"]}, "domains"),
        ({"query": "tea", "purpose": "subagent"}, "purpose"),
    ],
)
def test_search_refuses_bad_input(auth_api, user, payload, field):
    response = auth_api.post(SEARCH, payload, format="json")
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == [field]
    assert not AuditEvent.objects.exists()


# Isolation -------------------------------------------------------------------------------


def test_someone_elses_memory_is_404_everywhere_and_untouched(auth_api, user, other_api):
    memory = memory_create(user=user, text="I am allergic to peanuts")
    before = Memory.objects.filter(pk=memory.pk).values().get()

    responses = [
        other_api.get(detail(memory.id)),
        other_api.patch(detail(memory.id), {"pinned": True}, format="json"),
        other_api.patch(detail(memory.id), {"text": "I love peanuts"}, format="json"),
        other_api.delete(detail(memory.id)),
        other_api.post(f"{detail(memory.id)}feedback/", {"signal": "down"}, format="json"),
    ]

    for response in responses:
        assert response.status_code == 404
        assert response.json() == {
            "error": {"code": "not_found", "message": "No such memory.", "fields": {}}
        }
    assert Memory.objects.filter(pk=memory.pk).values().get() == before
    assert not RewardEvent.objects.exists()


def test_someone_elses_bulk_forget_deletes_nothing(user, other_api):
    mine = [
        memory_create(user=user, text="I am allergic to peanuts"),
        memory_create(user=user, text="My sister lives in Lisbon"),
    ]

    response = other_api.post(FORGET, {"ids": [m.id for m in mine]}, format="json")

    assert response.json() == {"forgotten": 0, "trash_days": 30}
    assert sorted(Memory.objects.values_list("id", flat=True)) == sorted(m.id for m in mine)
    assert not Memory.objects.filter(forgotten_at__isnull=False).exists()


def test_list_and_search_never_show_someone_elses_memories(auth_api, user, other, other_api):
    memory_create(user=user, text="I am allergic to peanuts")
    memory_create(user=other, text="I am allergic to shellfish")

    listed = other_api.get(LIST).json()["results"]
    assert [m["text"] for m in listed] == ["I am allergic to shellfish"]
    searched = other_api.get(LIST, {"q": "peanuts allergy"}).json()["results"]
    assert [m["text"] for m in searched] == ["I am allergic to shellfish"]
    hits = other_api.post(SEARCH, {"query": "peanuts allergy"}, format="json").json()["results"]
    assert [h["text"] for h in hits] == ["I am allergic to shellfish"]
    assert [m["text"] for m in auth_api.get(LIST).json()["results"]] == ["I am allergic to peanuts"]


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", LIST),
        ("post", LIST),
        ("get", detail(1)),
        ("patch", detail(1)),
        ("delete", detail(1)),
        ("post", FORGET),
        ("get", TRASH),
        ("post", RESTORE),
        ("post", SEARCH),
        ("post", f"{detail(1)}feedback/"),
    ],
)
def test_requires_authentication(api, method, url):
    response = getattr(api, method)(url, {}, format="json")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


def test_memory_endpoints_are_in_the_schema(client):
    paths = client.get("/api/schema/?format=json").json()["paths"]
    assert {
        "/api/v1/memories/",
        "/api/v1/memories/{memory_id}/",
        "/api/v1/memories/{memory_id}/feedback/",
        "/api/v1/memories/forget/",
        "/api/v1/memories/search/",
        "/api/v1/memories/trash/",
        "/api/v1/memories/restore/",
    } <= set(paths)
