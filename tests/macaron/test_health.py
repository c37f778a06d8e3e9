from datetime import timedelta

import pytest
from django.utils import timezone

from macaron import health
from macaron.celery import app
from macaron.models import Heartbeat
from macaron.tasks import heartbeat
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(client):
    """/healthz's detailed view (versions, broker, a worker round trip) is for staff."""
    client.force_login(UserFactory(is_staff=True))
    return client


def test_anonymous_healthz_reads_the_heartbeat_and_reveals_no_versions(client, monkeypatch):
    # No heartbeat yet: degraded. Nothing is sent to the broker (it is not even reachable).
    monkeypatch.setattr(app.conf, "broker_url", "redis://127.0.0.1:1/0", raising=False)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {
        "status": "degraded",
        "checks": {"database": {"ok": True}, "worker": {"ok": False}},
    }
    heartbeat()  # what beat schedules and a worker runs every 30 s
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["checks"]["worker"]["ok"] is True
    assert "PostgreSQL" not in response.content.decode()
    assert "vector" not in body["checks"]["database"]
    Heartbeat.objects.update(seen_at=timezone.now() - timedelta(minutes=10))
    assert client.get("/healthz").status_code == 503


def test_the_heartbeat_prunes_consumed_rows_of_the_database_broker():
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE IF NOT EXISTS kombu_message "
            "(id serial PRIMARY KEY, visible boolean, payload text)"
        )
        cursor.execute(
            "INSERT INTO kombu_message (visible, payload) VALUES (false, 'a'), (true, 'b')"
        )
    heartbeat()
    with connection.cursor() as cursor:
        cursor.execute("SELECT payload FROM kombu_message")
        assert cursor.fetchall() == [("b",)]


def test_healthz_all_ok_with_a_real_worker(staff, celery_worker):
    heartbeat()
    response = staff.get("/healthz")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"]["database"]["vector"]
    assert body["checks"]["broker"]["transport"] == "redis"
    assert body["checks"]["worker"] == {"ok": True}
    assert body["checks"]["embedding"]["ok"] is True
    assert body["checks"]["reranker"]["available"] is True


def test_healthz_503_when_broker_down(staff, monkeypatch):
    monkeypatch.setattr(app.conf, "broker_url", "redis://127.0.0.1:1/0", raising=False)
    response = staff.get("/healthz")
    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["broker"]["ok"] is False
    assert checks["worker"]["ok"] is False
    assert checks["database"]["ok"] is True


def test_healthz_503_when_no_worker_answers(staff, monkeypatch):
    monkeypatch.setattr(health, "WORKER_TIMEOUT_S", 0.5)
    # A live broker (another Redis database) that no worker consumes from.
    monkeypatch.setattr(app.conf, "broker_url", "redis://127.0.0.1:6379/13", raising=False)
    response = staff.get("/healthz")
    assert response.status_code == 503
    assert "no worker answered" in response.json()["checks"]["worker"]["error"]


def test_healthz_reports_unknown_embedding_backend(staff, settings, celery_worker):
    settings.EMBEDDING_BACKEND = "no-such-backend"
    response = staff.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["embedding"]["available"] is False
