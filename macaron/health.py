"""Health of the running parts: database (+ vector), broker, workers, embedding and\nreranking models."""

import uuid
from dataclasses import asdict

from celery.exceptions import TimeoutError as CeleryTimeout
from django.db import DatabaseError, connection
from django.utils import timezone

from macaron.celery import app as celery_app
from macaron.embeddings import embedding_status
from macaron.late_interaction import late_encoder_status

WORKER_TIMEOUT_S = 3.0
HEARTBEAT_EVERY_S = 30.0
HEARTBEAT_STALE_S = 150.0  # a few missed beats: the worker (or beat, or the broker) is gone


def check_database() -> dict:
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT version(), (SELECT extversion FROM pg_extension WHERE extname = 'vector')"
            )
            version, vector = cursor.fetchone()
    except DatabaseError as exc:
        return {"ok": False, "error": type(exc).__name__}
    server = version.split(",")[0]
    if vector is None:
        return {"ok": False, "server": server, "error": "the vector extension is not installed"}
    return {"ok": True, "server": server, "vector": vector}


def check_broker() -> dict:
    try:
        with celery_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
            transport = conn.transport_cls
    except Exception as exc:  # kombu raises transport-specific errors; all mean "down"
        return {"ok": False, "error": type(exc).__name__}
    return {"ok": True, "transport": str(transport)}


def check_worker() -> dict:
    """A real round trip: a ping task taken and answered by some worker."""
    nonce = uuid.uuid4().hex
    try:
        with celery_app.connection_for_write() as conn:
            result = celery_app.send_task("macaron.ping", args=[nonce], connection=conn)
        answer = result.get(timeout=WORKER_TIMEOUT_S)
    except CeleryTimeout:
        return {"ok": False, "error": f"no worker answered within {WORKER_TIMEOUT_S:.0f}s"}
    except Exception as exc:  # broker or backend down: reported, never raised
        return {"ok": False, "error": type(exc).__name__}
    return {"ok": answer.get("pong") == nonce}


def check_embedding() -> dict:
    status = embedding_status()
    return {"ok": status.available, **asdict(status)}


def check_reranker() -> dict:
    """Retrieval's second stage: switched off (RERANKER=off) is healthy; on but not installed
    is degraded (retrieval still answers, with its first stage only)."""
    status = late_encoder_status()
    return {"ok": status.available or not status.enabled, **asdict(status)}


def heartbeat_record(*, name: str) -> None:
    from macaron.models import Heartbeat

    Heartbeat.objects.update_or_create(name=name, defaults={"seen_at": timezone.now()})


def check_heartbeat(name: str = "worker") -> dict:
    """The last heartbeat a worker wrote (one row read; nothing is sent to the broker)."""
    from macaron.models import Heartbeat

    try:
        seen = Heartbeat.objects.filter(name=name).values_list("seen_at", flat=True).first()
    except DatabaseError as exc:
        return {"ok": False, "error": type(exc).__name__}
    if seen is None:
        return {"ok": False, "error": "no heartbeat yet"}
    age = (timezone.now() - seen).total_seconds()
    return {"ok": age <= HEARTBEAT_STALE_S, "age_s": round(age, 1)}


def broker_prune() -> int:
    """Delete consumed messages of kombu's SQLAlchemy (database) transport, which only marks
    them invisible; other transports keep nothing to prune."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass('kombu_message') IS NOT NULL")
        if not cursor.fetchone()[0]:
            return 0
        cursor.execute("DELETE FROM kombu_message WHERE visible = false")
        return cursor.rowcount


def health_report(*, detailed: bool = False) -> tuple[bool, dict]:
    """Anonymous callers get ok/degraded per part and no versions; `detailed` (staff) adds
    versions, the broker, a worker round trip and the embedding model."""
    if not detailed:
        database = check_database()
        checks = {"database": {"ok": database["ok"]}, "worker": check_heartbeat()}
        checks["worker"].pop("error", None)
        healthy = all(check["ok"] for check in checks.values())
        return healthy, {"status": "ok" if healthy else "degraded", "checks": checks}
    checks = {"database": check_database(), "broker": check_broker()}
    checks["worker"] = (
        check_worker() if checks["broker"]["ok"] else {"ok": False, "error": "broker down"}
    )
    checks["heartbeat"] = check_heartbeat()
    checks["embedding"] = check_embedding()
    checks["reranker"] = check_reranker()
    healthy = all(check["ok"] for check in checks.values())
    return healthy, {"status": "ok" if healthy else "degraded", "checks": checks}
