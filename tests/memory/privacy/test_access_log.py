"""The person's own access log: in words on /privacy/access/, as data on the API."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from memory.models import AuditEvent
from memory.privacy.audit import Actor, AuditAction, audit_record
from memory.privacy.retention import audit_reads_compact
from memory.retrieval.search import retrieve
from memory.services import memory_create
from subagents.services import installation_create
from tests.factories import UserFactory
from tests.subagents.specs import meal_planner

pytestmark = pytest.mark.django_db
PAGE = "/privacy/access/"
API = "/api/v1/me/access-log/"


def read(person, *, actor_type=Actor.COMPANION, purpose="companion", ids=(1, 2, 3), **extra):
    return audit_record(
        action=AuditAction.RETRIEVE,
        subject_user_id=person.id,
        actor_id=person.id,
        actor_type=actor_type,
        purpose=purpose,
        memory_ids=list(ids),
        **extra,
    )


def test_the_page_says_who_read_what_today_and_that_staff_never_did(client):
    person = UserFactory(time_zone="UTC")
    memories = [memory_create(user=person, text=t) for t in ("I drink tea", "I like tennis")]
    retrieve(user=person, query="tea and tennis", purpose="companion")
    read(person, ids=(memories[0].pk,))
    read(person, at=timezone.now() - timedelta(days=2))  # not today
    client.force_login(person)

    html = client.get(PAGE).content.decode()

    assert "Your companion read 3 memories to answer you today." in html
    assert "Staff never read your data." in html
    assert html.count('class="access-retrieve"') == 3
    assert 'class="access-login"' in html  # force_login is a sign-in too


def test_tools_are_named_and_staff_reads_are_listed_with_their_reason(client):
    person, staff = UserFactory(time_zone="UTC"), UserFactory(is_staff=True)
    installation = installation_create(user=person, spec=meal_planner(), source="builder")
    read(
        person,
        actor_type=Actor.SUBAGENT,
        purpose="subagent",
        ids=(5, 6),
        detail={"installation_id": installation.id},
    )
    audit_record(
        action=AuditAction.RETRIEVE,
        subject_user_id=person.id,
        actor=staff,
        purpose="support ticket 41",
        memory_ids=[9],
    )
    client.force_login(person)

    html = client.get(PAGE).content.decode()

    assert "Meal planner read 2 memories today." in html
    assert "Staff accessed your data 1 time; each access and its reason is listed." in html
    assert "Reason: support ticket 41" in html
    assert "Your companion read 0 memories to answer you today." in html


def test_the_page_is_paginated_and_linked_from_the_profile(client):
    person = UserFactory()
    for _ in range(30):
        read(person)
    client.force_login(person)

    first = client.get(PAGE).content.decode()
    second = client.get(PAGE, {"page": 2}).content.decode()

    assert first.count("<tr id=") == 25
    assert second.count("<tr id=") == 6  # 30 reads and the sign-in
    assert 'href="/privacy/access/"' in client.get("/accounts/profile/").content.decode()
    assert 'href="/privacy/access/"' in client.get("/memories/").content.decode()


@pytest.mark.parametrize(
    ("language", "texts"),
    [
        (
            "ja",
            [
                "<h1>データを読んだのは誰か</h1>",
                "今日、相棒はあなたに答えるために記憶を3件読みました。",
                "スタッフがあなたのデータを読んだことはありません。",
            ],
        ),
        (
            "ko",
            [
                "<h1>누가 내 데이터를 읽었나</h1>",
                "오늘 동반자가 당신에게 답하기 위해 기억 3개를 읽었습니다.",
                "직원은 당신의 데이터를 읽은 적이 없습니다.",
            ],
        ),
    ],
)
def test_the_page_renders_in_japanese_and_korean(client, language, texts):
    person = UserFactory(preferred_language=language, time_zone="UTC")
    read(person)
    client.force_login(person)

    response = client.get(PAGE)

    assert response.status_code == 200
    html = response.content.decode()
    for text in texts:
        assert text in html
    assert "Who read your data" not in html


def test_the_page_needs_a_login(client):
    response = client.get(PAGE)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_the_api_lists_my_events_paginated_and_never_anyone_elses():
    me, other = UserFactory(), UserFactory()
    mine = read(me, ids=(1, 2))
    theirs = read(other, ids=(7,))
    api = APIClient()
    api.force_authenticate(me)

    body = api.get(API, {"page_size": 1}).json()

    assert body["count"] == 1
    [item] = body["results"]
    assert item == {
        "id": mine.id,
        "at": item["at"],
        "day": None,
        "actor_type": "companion",
        "actor": "Your companion",
        "action": "retrieve",
        "action_label": "read memories",
        "memory_ids": [1, 2],
        "memory_count": 2,
        "reads": 1,
        "purpose": "companion",
    }
    assert theirs.id not in [i["id"] for i in api.get(API).json()["results"]]
    # The other person's page does not show my records either.
    other_api = APIClient()
    other_api.force_authenticate(other)
    assert [i["id"] for i in other_api.get(API).json()["results"]] == [theirs.id]


def test_the_api_refuses_anonymous_callers_and_a_bad_page():
    assert APIClient().get(API).status_code in (401, 403)
    me = UserFactory()
    api = APIClient()
    api.force_authenticate(me)
    response = api.get(API, {"page": 99})
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_the_api_is_in_the_openapi_schema_as_a_page(client):
    schema = client.get("/api/schema/", {"format": "json"}).json()
    operation = schema["paths"]["/api/v1/me/access-log/"]["get"]
    ref = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    page = schema["components"]["schemas"][ref.rsplit("/", 1)[1]]
    assert set(page["properties"]) == {"count", "next", "previous", "results"}


def test_daily_totals_show_on_the_page_with_their_day(client, settings):
    settings.AUDIT_READ_RETENTION_DAYS = 30
    person = UserFactory(time_zone="UTC")
    read(person, at=timezone.now() - timedelta(days=40))
    read(person, at=timezone.now() - timedelta(days=40))
    audit_reads_compact()
    client.force_login(person)

    html = client.get(PAGE).content.decode()

    assert 'class="access-read_summary"' in html
    assert "(2 reads)" in html
    assert 'class="access-compaction"' not in html
    assert AuditEvent.objects.filter(action="compaction").count() == 1
