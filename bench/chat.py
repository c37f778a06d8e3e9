"""The chat-send and ingestion benchmark behind `manage.py chat_bench` (part of `make bench`).

In its own database (see `bench.synthetic.bench_database`):

1. a real HTTP server on loopback (the project's WSGI application in a threaded WSGI server)
   and CLIENTS concurrent httpx clients, each a person with an API token, sending ROUNDS chat
   messages: latency of the POST (the whole non-streaming turn: store, recall, offline reply)
   and of the acknowledgement (the first event of a streamed send: the message is stored);
2. ingestion end to end: LoCoMo turns stored (`messages_store`) and processed by the worker's
   service (`messages_process`, batches of BATCH_SIZE, in WORKERS forked processes, as a
   Celery prefork worker runs the same call per task): turns per second;
3. a 20,000-character message: seconds of worker time.
"""

import multiprocessing
import statistics
import threading
import time as clock
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import httpx
from django.core.wsgi import get_wsgi_application
from django.db import connections

from accounts.models import User
from accounts.services import api_token_create
from bench.synthetic import DEFAULT_DATASET, _dataset, _turns, bench_database, percentiles
from macaron.embeddings import embedder_warm_up
from memory.ingest.process import BATCH_SIZE
from memory.models import Message
from memory.services import MessageIn, conversation_create, messages_process, messages_store


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True
    request_queue_size = 128  # the listen backlog: every client may connect at once


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, *args) -> None:
        pass


def _closing(app):
    """Close each request thread's database connection when its request ends (as runserver)."""

    def wrapped(environ, start_response):
        # A generator, not a list: a streamed response must leave chunk by chunk (the
        # acknowledgement is its first event).
        try:
            yield from app(environ, start_response)
        finally:
            connections.close_all()

    return wrapped


def _serve() -> tuple[_Server, str]:
    server = make_server("127.0.0.1", 0, _closing(get_wsgi_application()), _Server, _QuietHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_port}"


def _person(n: int) -> tuple[str, int]:
    user = User.objects.create_user(f"chat-bench-{n}@bench.invalid", None, display_name="b")
    secret = api_token_create(user=user, name="bench").secret
    return secret, conversation_create(user=user).id


def time_sends(base: str, clients: int, rounds: int) -> dict[str, list[float]]:
    people = [_person(n) for n in range(clients)]
    posts: list[float] = []
    acks: list[float] = []
    lock = threading.Lock()

    def client(person: tuple[str, int]) -> None:
        secret, conversation_id = person
        url = f"{base}/api/v1/conversations/{conversation_id}/messages/"
        headers = {"Authorization": f"Bearer {secret}"}
        with httpx.Client(headers=headers, timeout=600) as http:
            for n in range(rounds):
                text = f"My friend number {n} lives in Lisbon and I love the cello."
                at = clock.perf_counter()
                response = http.post(url, json={"text": text})
                took = (clock.perf_counter() - at) * 1000
                response.raise_for_status()
                at = clock.perf_counter()
                with http.stream(
                    "POST", url, json={"text": f"{text} ({n})", "stream": True}
                ) as stream:
                    lines = stream.iter_lines()
                    next(lines)  # the "message" event: stored and acknowledged
                    ack = (clock.perf_counter() - at) * 1000
                    for _ in lines:
                        pass
                with lock:
                    posts.append(took)
                    acks.append(ack)

    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(client, people))
    return {"post": posts, "ack": acks}


def _drain(_: int = 0) -> int:
    """Process stored messages, a batch at a time, until none is left (one worker's loop)."""
    done = 0
    try:
        while True:
            n = messages_process(message_ids=[], fill=True, limit=BATCH_SIZE)
            if not n:
                return done
            done += n
    finally:
        connections.close_all()


def _process_all(workers: int) -> int:
    """Drain in `workers` forked processes, as Celery's prefork pool runs the task (threads of
    one process would share one embedding engine and its lock)."""
    connections.close_all()  # each child opens its own connection
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        return sum(pool.map(_drain, range(workers)))


def time_ingestion(turns: int, workers: int) -> tuple[int, float, float]:
    """Store `turns` LoCoMo turns (a session per call) and process them; (turns, store s,
    total s)."""
    _process_all(workers)  # what the send phase left
    user = User.objects.create_user("ingest-bench@bench.invalid", None, display_name="b")
    conversation = conversation_create(user=user)
    sessions = _turns(_dataset(DEFAULT_DATASET))
    done = 0
    started = clock.perf_counter()
    for when, texts in sessions:
        texts = texts[: turns - done]
        if not texts:
            break
        messages_store(
            user=user,
            conversation=conversation,
            messages=[
                MessageIn(text=t, sent_at=when + timedelta(seconds=i)) for i, t in enumerate(texts)
            ],
            enqueue=False,
        )
        done += len(texts)
    stored = clock.perf_counter() - started
    _process_all(workers)
    return done, stored, clock.perf_counter() - started


def time_long_message() -> float:
    user = User.objects.create_user("long-bench@bench.invalid", None, display_name="b")
    sentence = "On {n} May my cousin Aiko{n} visited Kyoto and we ate matcha ice cream together. "
    text = "".join(sentence.format(n=n % 28 + 1) for n in range(400))[:20_000]
    [message] = messages_store(
        user=user,
        conversation=conversation_create(user=user),
        messages=[MessageIn(text=text, sent_at=datetime(2024, 5, 8, tzinfo=UTC))],
        enqueue=False,
    )
    at = clock.perf_counter()
    messages_process(message_ids=[message.id])
    return clock.perf_counter() - at


def run(
    *,
    clients: int,
    rounds: int,
    turns: int,
    workers: int,
    database: str,
    write: Callable,
    ingestion_only: bool = False,
) -> list[tuple[str, str]]:
    lines: list[tuple[str, str]] = []
    with bench_database(database):
        at = clock.perf_counter()
        embedder_warm_up()  # as each web and worker process does when it starts
        lines.append(("embedding model load", f"{clock.perf_counter() - at:.1f} s"))
        took: dict[str, list[float]] = {}
        if not ingestion_only:
            took = _chat_phase(clients, rounds, write, lines)
        write("ingestion: storing and processing LoCoMo turns")
        done, stored, total = time_ingestion(turns, workers)
        lines.append(
            (
                f"ingestion end to end ({workers} workers)",
                f"{done / total:.1f} turns/s ({done} turns; stored in {stored:.1f} s, "
                f"all processed in {total:.1f} s)",
            )
        )
        left = Message.objects.filter(processed_at__isnull=True).count()
        lines.append(("unprocessed after the run", str(left)))
        if not ingestion_only:
            lines.append(
                ("20,000-character message", f"{time_long_message():.2f} s of worker time")
            )
            lines.append(("median of POST", f"{statistics.median(took['post']):.0f} ms"))
    return lines


def _chat_phase(
    clients: int, rounds: int, write: Callable, lines: list[tuple[str, str]]
) -> dict[str, list[float]]:
    server, base = _serve()
    try:
        write(f"chat: {clients} clients x {rounds} rounds against {base}")
        took = time_sends(base, clients, rounds)
    finally:
        server.shutdown()
    for name, values in (
        ("POST (whole turn)", took["post"]),
        ("send ack (stream)", took["ack"]),
    ):
        p50, p95 = percentiles(values)
        lines.append(
            (
                f"{name}, {clients} clients",
                f"p50 {p50:.0f} ms, p95 {p95:.0f} ms, n={len(values)}",
            )
        )
    return took
