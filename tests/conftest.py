import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from rest_framework.test import APIClient

from memory.learning.registry import forget_cached_policy
from tests.factories import PASSWORD, UserFactory

# Playwright's sync API runs an event loop in the test thread; Django's ORM refuses to run
# next to one unless told it is safe (it is: the loop only drives the browser).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@pytest.fixture
def user(db):
    return UserFactory()


@pytest.fixture
def password():
    return PASSWORD


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def auth_api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def database_url_for(settings_dict: dict) -> str:
    """A DATABASE_URL that reaches the test database, for worker subprocesses."""
    host = settings_dict["HOST"] or ""
    credentials = f"{settings_dict['USER']}:{settings_dict['PASSWORD'] or ''}"
    if host.startswith("/"):
        return f"postgresql://{credentials}@/{settings_dict['NAME']}?host={host}"
    port = settings_dict.get("PORT") or 5432
    return f"postgresql://{credentials}@{host}:{port}/{settings_dict['NAME']}"


_worker_started = False


@pytest.fixture(autouse=True)
def _no_cached_policy():
    """The read path caches the active scoring policy per process for 30 s: a test starts
    without one cached by an earlier test (whose database rows are gone)."""
    forget_cached_policy()


@pytest.fixture(autouse=True)
def _worker_settles(request):
    """Once a session's worker runs, it processes whatever later transactional tests store
    (store-first ingestion). Wait for it to finish before the test's database is flushed, so
    the flush never races the worker's writes (a deadlock otherwise)."""
    uses = [name for name in ("live_server", "transactional_db") if name in request.fixturenames]
    if uses:
        request.getfixturevalue(uses[0])  # torn down after this fixture
    yield
    if not (uses and _worker_started):
        return
    from memory.models import Message

    pending = Message.objects.filter(processed_at__isnull=True, role=Message.Role.USER)
    deadline = time.monotonic() + 30
    while pending.exists() and time.monotonic() < deadline:
        time.sleep(0.2)


@pytest.fixture(scope="session")
def celery_worker(django_db_setup, django_db_blocker):
    """A real Celery worker process on the real Redis broker, using the test database."""
    import redis
    from django.conf import settings
    from django.db import connection

    from macaron.celery import app

    redis.Redis.from_url(settings.CELERY_BROKER_URL).flushdb()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "macaron.settings.test",
        "DATABASE_URL": database_url_for(connection.settings_dict),
        "TEST_CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "TEST_CELERY_RESULT_BACKEND": settings.CELERY_RESULT_BACKEND,
    }
    hostname = f"test-{uuid.uuid4().hex[:8]}@%h"
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
            "2",
            "-n",
            hostname,
            "--without-gossip",
            "--without-mingle",
        ],
        cwd=ROOT,
        env=env,
    )
    deadline = time.monotonic() + 60
    while True:
        try:
            app.send_task("macaron.ping", args=["ready"]).get(timeout=5)
            break
        except Exception:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise RuntimeError("The Celery worker did not start.") from None
    global _worker_started
    _worker_started = True
    yield process
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium.")
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def page(browser):
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture
def fake_llm():
    """A running fake OpenAI-compatible server (tests.fake_llm); settings are left alone."""
    import threading

    from tests.fake_llm import FakeLLM

    fake = FakeLLM()
    thread = threading.Thread(target=fake.server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield fake
    fake.release.set()
    fake.server.shutdown()
    fake.server.server_close()
    thread.join(5)
