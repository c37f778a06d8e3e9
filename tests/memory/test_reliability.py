"""Reliability of store-first ingestion with real processes: a worker killed mid-batch, a broker
that is down. Work is recorded as state on the message, so the sweep finishes what was lost."""

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection

from macaron.celery import app
from memory.ingest import tasks as ingest_tasks
from memory.ingest.tasks import process_messages, sweep_unprocessed
from memory.models import Memory, MemorySource, Message
from memory.services import MessageIn, conversation_create, messages_store
from tests.conftest import ROOT, database_url_for
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)
AT = datetime(2024, 5, 8, 18, 0, tzinfo=UTC)


def start_worker(lease_s: float) -> subprocess.Popen:
    from django.conf import settings

    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "macaron.settings.test",
        "DATABASE_URL": database_url_for(connection.settings_dict),
        "TEST_CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "TEST_CELERY_RESULT_BACKEND": settings.CELERY_RESULT_BACKEND,
        "MEMORY_CLAIM_LEASE_S": str(lease_s),
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "macaron",
            "worker",
            "-l",
            "warning",
            "--pool",
            "prefork",
            "--concurrency",
            "1",
            "--without-gossip",
            "--without-mingle",
            "-n",
            f"reliability-{time.monotonic_ns()}@%h",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,  # its own process group: SIGKILL reaches the pool child too
    )
    deadline = time.monotonic() + 90
    while True:
        try:
            app.send_task("macaron.ping", args=["ready"]).get(timeout=5)
            return process
        except Exception:
            if process.poll() is not None or time.monotonic() > deadline:
                os.killpg(process.pid, signal.SIGKILL)
                raise RuntimeError("The Celery worker did not start.") from None


def wait_for(condition, timeout: float, sweep_every: float | None = None) -> bool:
    deadline = time.monotonic() + timeout
    swept = float("-inf")
    while time.monotonic() < deadline:
        if sweep_every is not None and time.monotonic() - swept >= sweep_every:
            sweep_unprocessed()
            swept = time.monotonic()
        if condition():
            return True
        time.sleep(0.2)
    return False


def test_a_worker_killed_mid_batch_leaves_every_message_processed_exactly_once(monkeypatch):
    import redis
    from django.conf import settings

    redis.Redis.from_url(settings.CELERY_BROKER_URL).flushdb()
    user = UserFactory()
    conversation = conversation_create(user=user)
    stored = messages_store(
        user=user,
        conversation=conversation,
        messages=[
            MessageIn(
                text=f"My friend Aiko{i} lives in city number {i} and plays the cello {i} times.",
                sent_at=AT + timedelta(minutes=i),
            )
            for i in range(160)
        ],
        enqueue=False,
    )
    ids = [m.id for m in stored]
    pending = Message.objects.filter(pk__in=ids, processed_at__isnull=True)
    worker = start_worker(lease_s=2)
    try:
        for start in range(0, len(ids), 4):
            process_messages.delay(ids[start : start + 4])
        assert wait_for(lambda: pending.count() < len(ids), 120)
    finally:
        os.killpg(worker.pid, signal.SIGKILL)  # mid-batch: claimed, embedding, not written
        worker.wait(10)
    left = pending.count()
    assert 0 < left < len(ids)

    worker = start_worker(lease_s=2)
    try:
        time.sleep(2.5)  # the dead worker's leases expire
        monkeypatch.setattr(ingest_tasks, "SWEEP_AFTER_S", 0)
        # What beat runs every minute, run every few seconds here. Redis may already have
        # redelivered the queued batches to the new worker (then there is nothing left to
        # sweep); either way all are done once. A session-wide worker started by an earlier test
        # may consume the same queue with the default lease, so the dead worker's claims are
        # taken back only once that longer lease is over: keep sweeping until then.
        assert wait_for(lambda: pending.count() == 0, 240, sweep_every=5)
    finally:
        worker.terminate()
        worker.wait(30)

    # Exactly once: every message is processed and made its memories, no memory is stored
    # twice and no message is linked twice to the same memory. (How many memories a message
    # yields can vary with the order batches finish in, as near-duplicates merge.)
    assert not Message.objects.filter(pk__in=ids, processed_at__isnull=True).exists()
    memories = Memory.objects.filter(user=user)
    assert memories.values("content_key").distinct().count() == memories.count() >= len(ids)
    sources = MemorySource.objects.filter(message_id__in=ids)
    assert sources.values("memory_id", "message_id").distinct().count() == sources.count()
    assert set(sources.values_list("message_id", flat=True)) == set(ids)


def test_with_the_broker_down_chat_still_stores_and_the_sweep_catches_up(
    monkeypatch, celery_worker
):
    from rest_framework.test import APIClient

    user = UserFactory()
    client = APIClient()
    client.force_authenticate(user)
    conversation = client.post("/api/v1/conversations/", {}, format="json").json()

    with monkeypatch.context() as down:  # nothing listens on port 1
        down.setattr(app.conf, "broker_url", "redis://127.0.0.1:1/0", raising=False)
        down.setattr(app, "_pool", None)
        down.setattr(app.amqp, "_producer_pool", None)
        sent = client.post(
            f"/api/v1/conversations/{conversation['id']}/messages/",
            {"text": "I am allergic to peanuts and I love hiking"},
            format="json",
        )
        assert sent.status_code == 201, sent.content
        assert client.get("/api/v1/conversations/").status_code == 200
        assert client.get("/api/v1/memories/").status_code == 200
    message = Message.objects.get(pk=sent.json()["message"]["id"])
    assert message.processed_at is None  # stored; its task could not be sent

    monkeypatch.setattr(ingest_tasks, "SWEEP_AFTER_S", 0)
    assert sweep_unprocessed() == 1  # the broker is back: beat's sweep re-enqueues it
    assert wait_for(
        lambda: Message.objects.filter(pk=message.pk, processed_at__isnull=False).exists(), 60
    )
    assert Memory.objects.filter(user=user, sources__message=message).exists()
