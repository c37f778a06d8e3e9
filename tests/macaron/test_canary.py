"""A canary typed through every input path never appears in clear in a pg_dump of the test
database, in the captured logs, or in the broker's Redis keys and values.

Each path gets its own canary, so a failure names the path that leaks."""

import os
import subprocess
from pathlib import Path

import pgserver
import pytest
import redis
from django.conf import settings
from django.db import connection
from rest_framework.test import APIClient

from accounts import onboarding as quiz
from accounts.services import companion_create, onboarding_answer
from subagents.services import installation_create
from tests.community.factories import blueprint_factory
from tests.factories import UserFactory
from tests.subagents.specs import every_type


def canary(path: str) -> str:
    return f"qx9canary{path.replace('_', '')}z7"


def send_everything(person) -> None:
    web = APIClient()
    web.force_login(person)
    for question in quiz.QUESTIONS:
        onboarding_answer(user=person, question_id=question.id, option_id=question.options[0].id)
    companion_create(user=person)
    installation = installation_create(user=person, spec=every_type(), source="builder")
    blueprint = blueprint_factory()
    calls = [
        ("patch", "/api/v1/me/", {"display_name": canary("display_name")}),
        ("patch", "/api/v1/companion/", {"name": canary("companion_name")}),
        ("post", "/api/v1/auth/tokens/", {"name": canary("token_name")}),
        ("post", "/api/v1/memories/", {"text": f"I like {canary('memory_create')}"}),
        ("post", "/api/v1/memories/search/", {"query": canary("search_query")}),
        ("post", "/api/v1/subagents/build", {"request": canary("builder_request")}),
        (
            "post",
            f"/api/v1/subagents/installations/{installation.id}/entries/",
            {"values": {"amount": 1, "count": 1, "note": canary("subagent_entry")}},
        ),
        (
            "put",
            f"/api/v1/community/blueprints/{blueprint.slug}/rating/",
            {"value": 4, "comment": canary("review_text")},
        ),
    ]
    for verb, url, body in calls:
        response = getattr(web, verb)(url, body, format="json")
        assert response.status_code < 300, (url, response.content)
    memory_id = web.get("/api/v1/memories/").json()["results"][0]["id"]
    edited = web.patch(
        f"/api/v1/memories/{memory_id}/", {"text": canary("memory_edit")}, format="json"
    )
    assert edited.status_code == 200, edited.content
    made = web.post(
        "/api/v1/conversations/", {"title": canary("conversation_title")}, format="json"
    )
    assert made.status_code == 201, made.content
    sent = web.post(
        f"/api/v1/conversations/{made.json()['id']}/messages/",
        {"text": f"Remember {canary('chat_message')}"},
        format="json",
    )
    assert sent.status_code in (200, 201), sent.content


PATHS = [
    "display_name",
    "companion_name",
    "token_name",
    "memory_create",
    "memory_edit",
    "search_query",
    "builder_request",
    "subagent_entry",
    "review_text",
    "conversation_title",
    "chat_message",
]


# The embedded server's own pg_dump: the system one may be an older major version.
PG_DUMP = Path(pgserver.__file__).parent / "pginstall" / "bin" / "pg_dump"


def database_dump() -> str:
    db = connection.settings_dict
    command = [str(PG_DUMP), "--data-only", "-d", db["NAME"], "-U", db["USER"]]
    if db.get("HOST"):
        command += ["-h", db["HOST"]]
    if db.get("PORT"):
        command += ["-p", str(db["PORT"])]
    env = {**os.environ, "PGPASSWORD": db.get("PASSWORD") or ""}
    return subprocess.run(command, capture_output=True, text=True, check=True, env=env).stdout


def broker_contents() -> str:
    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    parts = []
    for key in broker.scan_iter():
        parts.append(repr(key))
        kind = broker.type(key)
        if kind == b"string":
            parts.append(repr(broker.get(key)))
        elif kind == b"list":
            parts.append(repr(broker.lrange(key, 0, -1)))
        elif kind == b"hash":
            parts.append(repr(broker.hgetall(key)))
        elif kind == b"set":
            parts.append(repr(broker.smembers(key)))
        elif kind == b"zset":
            parts.append(repr(broker.zrange(key, 0, -1)))
    return "\n".join(parts)


@pytest.fixture
def leaks(transactional_db, caplog):
    redis.Redis.from_url(settings.CELERY_BROKER_URL).flushdb()
    caplog.set_level("DEBUG")
    send_everything(UserFactory())
    places = {"pg_dump": database_dump(), "logs": caplog.text, "broker": broker_contents()}
    redis.Redis.from_url(settings.CELERY_BROKER_URL).flushdb()  # nothing queued for others
    return {path: [name for name, text in places.items() if canary(path) in text] for path in PATHS}


def test_no_canary_appears_in_the_dump_the_logs_or_the_broker(leaks):
    assert {path: where for path, where in leaks.items() if where} == {}
