import pytest

from macaron import health
from macaron.celery import app

pytestmark = pytest.mark.django_db


def test_healthz_all_ok_with_a_real_worker(client, celery_worker):
    response = client.get("/healthz")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"]["database"]["vector"]
    assert body["checks"]["broker"]["transport"] == "redis"
    assert body["checks"]["worker"] == {"ok": True}
    assert body["checks"]["embedding"]["ok"] is True


def test_healthz_503_when_broker_down(client, monkeypatch):
    monkeypatch.setattr(app.conf, "broker_url", "redis://127.0.0.1:1/0", raising=False)
    response = client.get("/healthz")
    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["broker"]["ok"] is False
    assert checks["worker"]["ok"] is False
    assert checks["database"]["ok"] is True


def test_healthz_503_when_no_worker_answers(client, monkeypatch):
    monkeypatch.setattr(health, "WORKER_TIMEOUT_S", 0.5)
    # A live broker (another Redis database) that no worker consumes from.
    monkeypatch.setattr(app.conf, "broker_url", "redis://127.0.0.1:6379/13", raising=False)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert "no worker answered" in response.json()["checks"]["worker"]["error"]


def test_healthz_reports_unknown_embedding_backend(client, settings, celery_worker):
    settings.EMBEDDING_BACKEND = "no-such-backend"
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["embedding"]["available"] is False
