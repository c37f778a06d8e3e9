import os
import uuid

from macaron.celery import app
from macaron.tasks import ping


def test_task_round_trip_through_redis_to_a_worker_process(celery_worker):
    nonce = uuid.uuid4().hex
    result = ping.delay(nonce).get(timeout=20)
    assert result["pong"] == nonce
    assert result["worker_pid"] != os.getpid()
    assert app.conf.broker_url.startswith("redis://")
