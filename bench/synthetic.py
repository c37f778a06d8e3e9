"""The scale benchmark behind `manage.py memory_bench` (`make bench`).

It runs in its own database on the same server (`macaron_bench` by default, dropped and
recreated, migrated from scratch), never in the default one: for the duration of the run the
`default` connection is pointed at it, so the real services (retrieve, messages_ingest,
memory_eval) run unchanged. Then:

1. load synthetic memories with COPY: skewed (Zipf-like) users, one big user; real AES-GCM
   ciphertext (one encrypt per row), blind-index tokens of a Zipf vocabulary, and unit vectors
   scattered around real embeddings of real sentences (so real queries are in distribution
   and approximate search is not trivial); rows of different users are interleaved on disk;
2. build the table's indexes and each big user's partial HNSW index (the real service), and
   report build times and sizes;
3. time retrieve() for a typical user and the big user, with and without the query embedding,
   and the ANN recall of the big user's dense channel against exact search;
4. time messages_ingest() on real chat turns;
5. replay the LoCoMo dev set through memory_eval (unless skipped).
"""

import json
import random
import statistics
import time as clock
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import psycopg
from django.conf import settings
from django.core.management import call_command
from django.db import connection, connections
from psycopg import sql

from accounts.models import User
from macaron.embeddings import get_embedder
from macaron.text import lexical_terms
from macaron.vault import UserCipher, cipher_for
from macaron.vectorkey import VECTOR_KEY_VERSION, vector_key
from memory.models import EMBEDDING_DIM, Memory
from memory.retrieval.domains import DOMAINS
from memory.retrieval.search import POOL, retrieve
from memory.retrieval.vector_index import (
    _exact,
    dense_candidates,
    index_name,
    user_vector_index_ensure,
    vector_literal,
)
from memory.services import MessageIn, conversation_create, messages_ingest

DEFAULT_DATASET = settings.BASE_DIR.parent / "shared" / "data" / "locomo-dev.json"
CENTRES = 300
NOISE = 0.025  # per-dimension sigma around a centre: cosine to it about 0.9
CHUNK = 20_000
COPY_COLUMNS = [
    ("user_id", "int8"),
    ("created_at", "timestamptz"),
    ("updated_at", "timestamptz"),
    ("kind", "text"),
    ("source", "text"),
    ("text_ct", "bytea"),
    ("content_key", "bytea"),
    ("embedding", "vector"),
    ("vector_key", "int2"),
    ("embedding_model", "text"),
    ("lexical_tokens", "int8[]"),
    ("token_count", "int4"),
    ("domains", "varchar[]"),
    ("language", "text"),
    ("valid_from", "timestamptz"),
    ("valid_to", "timestamptz"),
    ("importance", "float8"),
    ("strength", "float8"),
    ("strength_at", "timestamptz"),
    ("recall_count", "int4"),
    ("pinned", "bool"),
    ("privacy", "text"),
    ("policy", "jsonb"),
]
KINDS = ["fact", "fact", "fact", "preference", "event", "plan"]


@dataclass
class BenchConfig:
    memories: int = 1_000_000
    users: int = 1_000
    big_user: int = 100_000
    queries: int = 200
    ingest_turns: int = 300
    skip_eval: bool = False
    dataset: Path = DEFAULT_DATASET
    database: str = "macaron_bench"
    keep_database: bool = False
    seed: int = 7


@dataclass
class Report:
    lines: list[tuple[str, str]] = field(default_factory=list)
    write: Callable[[str], None] = print

    def say(self, text: str) -> None:
        self.write(text)

    def row(self, name: str, value: str) -> None:
        self.lines.append((name, value))
        self.write(f"  {name}: {value}")


# The benchmark's own database ------------------------------------------------------------


def _admin_connect(settings_dict: dict) -> psycopg.Connection:
    params = {
        "dbname": settings_dict["NAME"],
        "user": settings_dict.get("USER") or None,
        "password": settings_dict.get("PASSWORD") or None,
        "host": settings_dict.get("HOST") or None,
        "port": settings_dict.get("PORT") or None,
    }
    return psycopg.connect(**{k: v for k, v in params.items() if v}, autocommit=True)


@contextmanager
def bench_database(name: str, *, keep: bool = False) -> Iterator[None]:
    """Point the `default` connection at a fresh, migrated database `name` for the block."""
    default = connections["default"]
    original = dict(default.settings_dict)
    if name == original["NAME"]:
        raise ValueError(f"The benchmark database must not be the default one ({name}).")
    ident = sql.Identifier(name)
    with _admin_connect(original) as admin:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(ident))
        admin.execute(sql.SQL("CREATE DATABASE {}").format(ident))
    default.close()
    default.settings_dict["NAME"] = name
    settings.DATABASES["default"]["NAME"] = name
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_database()")
            if cursor.fetchone()[0] != name:
                raise RuntimeError("The benchmark is not connected to its own database.")
        call_command("migrate", verbosity=0, interactive=False)
        yield
    finally:
        default.close()
        default.settings_dict["NAME"] = original["NAME"]
        settings.DATABASES["default"]["NAME"] = original["NAME"]
        if not keep:
            with _admin_connect(original) as admin:
                admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(ident))


# Synthetic data ---------------------------------------------------------------------------


def user_sizes(memories: int, users: int, big_user: int) -> list[int]:
    """Skewed sizes summing to `memories`: the big user first, the rest Zipf-like (1/(r+20))."""
    if users < 2 or big_user >= memories:
        raise ValueError("Need at least two users and a big user smaller than the total.")
    rest = memories - big_user
    weights = 1.0 / (np.arange(1, users) + 20.0)
    sizes = np.maximum(1, np.floor(weights / weights.sum() * rest)).astype(int)
    sizes[0] += rest - int(sizes.sum())
    return [big_user, *sizes.tolist()]


def _dataset(path: Path) -> list[dict]:
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return []


def _turns(samples: list[dict]) -> list[tuple[datetime, list[str]]]:
    """(session time, turn texts) for every session of every sample, in order."""
    from memory.evaluation.locomo import parse_session_time

    sessions = []
    for sample in samples:
        conversation = sample["conversation"]
        for key, turns in conversation.items():
            if key.startswith("session_") and isinstance(turns, list):
                when = parse_session_time(conversation[f"{key}_date_time"])
                sessions.append((when, [f"{t['speaker']}: {t['text']}" for t in turns]))
    return sessions


def _generated_sentences(rng: random.Random, count: int) -> list[str]:
    subjects = ["I", "My sister", "Our team", "My friend Sam", "Grandma", "The kids"]
    verbs = ["visited", "cooked", "started", "finished", "talked about", "planned", "loved"]
    objects = [
        "a pottery class",
        "the marathon in Lisbon",
        "vegan lasagne",
        "a new job at the bank",
        "the camping trip",
        "a jazz concert",
        "learning Japanese",
        "the dentist appointment",
        "a birthday party",
        "the garden",
    ]
    when = ["yesterday", "last week", "on Saturday", "in May", "this morning", "last year"]
    return [
        f"{rng.choice(subjects)} {rng.choice(verbs)} {rng.choice(objects)} {rng.choice(when)}."
        for _ in range(count)
    ]


@dataclass
class Corpus:
    sentences: list[str]  # real chat turns (or generated ones)
    questions: list[str]  # real questions for the latency runs
    words: list[str]  # vocabulary, most frequent first
    word_p: np.ndarray  # Zipf probabilities over `words`
    centres: np.ndarray  # unit vectors: real embeddings of real sentences


def build_corpus(config: BenchConfig, rng: random.Random) -> Corpus:
    samples = _dataset(config.dataset)
    sentences = [text for _, turns in _turns(samples) for text in turns]
    questions = [qa["question"] for sample in samples for qa in sample.get("qa", [])]
    if not sentences:
        sentences = _generated_sentences(rng, 2_000)
    if not questions:
        questions = [s.rstrip(".") + "?" for s in _generated_sentences(rng, 400)]
    counts: dict[str, int] = {}
    for text in sentences:
        for word in text.split():
            terms = lexical_terms(word)
            if len(terms) == 1 and terms[0].isalpha():
                counts[terms[0]] = counts.get(terms[0], 0) + 1
    words = sorted(counts, key=counts.get, reverse=True)[:20_000]
    ranks = np.arange(1, len(words) + 1, dtype=np.float64)
    word_p = (1.0 / ranks) / (1.0 / ranks).sum()
    picked = rng.sample(sentences, min(CENTRES, max(20, config.memories // 100), len(sentences)))
    centres = get_embedder().embed_documents(picked).astype(np.float32)
    return Corpus(sentences, questions, words, word_p, centres)


def _index_definitions(cursor) -> list[tuple[str, str]]:
    cursor.execute(
        "SELECT i.indexname, i.indexdef FROM pg_indexes i "
        "LEFT JOIN pg_constraint c ON c.conname = i.indexname "
        "WHERE i.tablename = 'memory_memory' AND c.oid IS NULL ORDER BY i.indexname"
    )
    return cursor.fetchall()


@dataclass
class Loaded:
    user_ids: list[int]
    sizes: dict[int, int]
    load_s: float
    rows: int


def memory_row(
    cipher: UserCipher,
    *,
    text: str,
    vector: np.ndarray,
    at: datetime,
    superseded: bool = False,
    kind: str = "fact",
    domains: list[str] | None = None,
    importance: float = 0.5,
    tokens: list[int] | None = None,
) -> tuple:
    """One COPY row (see COPY_COLUMNS): a current or superseded memory of `cipher`'s owner, its
    vector keyed like every stored one."""
    if tokens is None:
        tokens = cipher.blind_tokens(lexical_terms(text))
    return (
        cipher.user_id,
        at,
        at,
        kind,
        Memory.Source.IMPORT,
        cipher.encrypt(text),
        cipher.keyed_hash(text),
        vector_key(cipher, vector),
        VECTOR_KEY_VERSION,
        "bench/synthetic",
        tokens,
        len(text.split()),
        domains or [],
        "en",
        at,
        at + timedelta(days=1) if superseded else None,
        importance,
        1.0,
        at,
        0,
        False,
        Memory.Privacy.NORMAL,
        {},
    )


def copy_memories(rows: Iterable[tuple]) -> int:
    """Write `memory_row()` tuples with binary COPY on a separate connection; commits."""
    from pgvector.psycopg import register_vector

    written = 0
    with _admin_connect(connections["default"].settings_dict) as raw:
        register_vector(raw)
        columns = ", ".join(name for name, _ in COPY_COLUMNS)
        with (
            raw.cursor() as cursor,
            cursor.copy(f"COPY memory_memory ({columns}) FROM STDIN (FORMAT BINARY)") as copy,
        ):
            copy.set_types([kind for _, kind in COPY_COLUMNS])
            for row in rows:
                copy.write_row(row)
                written += 1
    return written


def _synthetic_rows(
    config: BenchConfig,
    corpus: Corpus,
    ciphers: dict[int, UserCipher],
    sizes: list[int],
    report: Report,
) -> Iterator[tuple]:
    rng = np.random.default_rng(config.seed)
    user_ids = list(ciphers)
    n_centres = len(corpus.centres)
    topics = {
        uid: rng.choice(n_centres, size=min(n_centres, 8 + size // 50), replace=False)
        for uid, size in zip(user_ids, sizes, strict=True)
    }
    owner = np.repeat(np.array(user_ids), sizes)
    rng.shuffle(owner)  # interleave users on disk, as real traffic would
    now = datetime.now(UTC)
    span = 2 * 365 * 86400
    token_cache: dict[int, dict[str, int]] = {uid: {} for uid in user_ids}
    domains_pool = [[], [], [], *[[d] for d in DOMAINS]]
    words = corpus.words
    started = clock.perf_counter()
    for start in range(0, len(owner), CHUNK):
        chunk = owner[start : start + CHUNK]
        n = len(chunk)
        centre = np.array([topics[uid][rng.integers(len(topics[uid]))] for uid in chunk])
        vectors = corpus.centres[centre] + rng.normal(0, NOISE, (n, EMBEDDING_DIM)).astype(
            np.float32
        )
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        lengths = rng.integers(6, 15, n)
        word_ids = rng.choice(len(words), size=int(lengths.sum()), p=corpus.word_p)
        ages = rng.integers(0, span, n)
        superseded = rng.random(n) < 0.05
        importance = rng.uniform(0.3, 0.9, n)
        kinds = rng.integers(0, len(KINDS), n)
        domain_ids = rng.integers(0, len(domains_pool), n)
        offset = 0
        for i in range(n):
            uid = int(chunk[i])
            cipher = ciphers[uid]
            cache = token_cache[uid]
            row_words = [words[w] for w in word_ids[offset : offset + lengths[i]]]
            offset += lengths[i]
            tokens = set()
            for word in row_words:  # vocabulary words are already index terms
                token = cache.get(word)
                if token is None:
                    token = cache[word] = cipher.blind_token(word)
                tokens.add(token)
            yield memory_row(
                cipher,
                text=" ".join(row_words),
                vector=vectors[i],
                at=now - timedelta(seconds=int(ages[i])),
                superseded=bool(superseded[i]),
                kind=KINDS[kinds[i]],
                domains=domains_pool[domain_ids[i]],
                importance=float(importance[i]),
                tokens=sorted(tokens),
            )
        if (start // CHUNK) % 10 == 9:
            done = start + n
            report.say(f"  {done:,} rows ({done / (clock.perf_counter() - started):,.0f} rows/s)")


def load_memories(config: BenchConfig, corpus: Corpus, report: Report) -> Loaded:
    """Users and their memories: secondary indexes dropped, COPY, indexes rebuilt (timed)."""
    sizes = user_sizes(config.memories, config.users, config.big_user)
    started = clock.perf_counter()
    tag = uuid.uuid4().hex[:6]
    users = User.objects.bulk_create(
        [User(email=f"bench-{tag}-{i}@bench.invalid", password="!") for i in range(len(sizes))]
    )
    ciphers = {u.id: cipher_for(u.id) for u in users}
    report.say(f"  {len(users):,} users and data keys in {clock.perf_counter() - started:.1f}s")

    with connection.cursor() as cursor:
        definitions = _index_definitions(cursor)
        for name, _ in definitions:
            cursor.execute(f'DROP INDEX "{name}"')
    rows = copy_memories(_synthetic_rows(config, corpus, ciphers, sizes, report))
    load_s = clock.perf_counter() - started
    report.row("load", f"{rows:,} memories, {len(users):,} users in {load_s:.1f}s (COPY)")

    with connection.cursor() as cursor:
        cursor.execute("SET maintenance_work_mem = %s", [settings.MEMORY_INDEX_BUILD_MEMORY])
        total = 0.0
        for name, definition in definitions:
            at = clock.perf_counter()
            cursor.execute(definition)
            took = clock.perf_counter() - at
            total += took
            report.say(f"  index {name}: {took:.1f}s")
        report.row("table indexes", f"{len(definitions)} built in {total:.1f}s")
        at = clock.perf_counter()
        cursor.execute(
            "INSERT INTO memory_termstat (user_id, token, df) SELECT user_id, token, count(*) "
            "FROM memory_memory, unnest(lexical_tokens) AS token GROUP BY user_id, token"
        )
        report.row("term statistics", f"{clock.perf_counter() - at:.1f}s")
        at = clock.perf_counter()
        cursor.execute("VACUUM ANALYZE memory_memory")
        report.row("vacuum analyze", f"{clock.perf_counter() - at:.1f}s")
        cursor.execute("RESET maintenance_work_mem")
    return Loaded(list(ciphers), dict(zip(ciphers, sizes, strict=True)), load_s, rows)


def build_user_indexes(loaded: Loaded, report: Report) -> dict[int, float]:
    """Each user above the threshold gets their index through the real service."""
    threshold = settings.MEMORY_USER_INDEX_THRESHOLD
    timings = {}
    for uid in sorted(loaded.user_ids, key=loaded.sizes.get, reverse=True):
        if loaded.sizes[uid] < threshold:
            break
        at = clock.perf_counter()
        if not user_vector_index_ensure(user_id=uid):
            continue  # fewer current (not superseded) memories than the threshold
        timings[uid] = clock.perf_counter() - at
        report.say(f"  {index_name(uid)} ({loaded.sizes[uid]:,} rows): {timings[uid]:.1f}s")
    report.row(
        "per-user HNSW",
        f"{len(timings)} indexes (threshold {threshold:,}) built in {sum(timings.values()):.1f}s",
    )
    return timings


def report_sizes(report: Report) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_size_pretty(pg_relation_size('memory_memory')), "
            "pg_size_pretty(pg_total_relation_size('memory_memory')), "
            "pg_size_pretty(pg_indexes_size('memory_memory'))"
        )
        heap, total, indexes = cursor.fetchone()
        report.row("table size", f"heap {heap}, indexes {indexes}, total {total}")
        cursor.execute(
            "SELECT c.relname, pg_size_pretty(pg_relation_size(c.oid)) FROM pg_index i "
            "JOIN pg_class c ON c.oid = i.indexrelid "
            "WHERE i.indrelid = 'memory_memory'::regclass "
            "ORDER BY pg_relation_size(c.oid) DESC"
        )
        for name, size in cursor.fetchall()[:12]:
            report.say(f"  {name}: {size}")


# Measurements -----------------------------------------------------------------------------


def percentiles(values: list[float]) -> tuple[float, float]:
    ordered = sorted(values)
    pick = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))]  # noqa: E731
    return pick(0.5), pick(0.95)


def _ms(values: list[float]) -> str:
    p50, p95 = percentiles(values)
    return f"p50 {p50:.1f} ms, p95 {p95:.1f} ms"


def time_retrieve(user, queries: list[str], vectors: list[np.ndarray] | None) -> list[float]:
    took = []
    for i, query in enumerate(queries):
        at = clock.perf_counter()
        retrieve(
            user=user,
            query=query,
            k=10,
            purpose="evaluation",
            query_vector=vectors[i] if vectors is not None else None,
        )
        took.append((clock.perf_counter() - at) * 1000)
    return took


def dense_recall(user_id: int, vectors: list[np.ndarray], k: int = 10) -> dict:
    """The dense channel (top-k) against exact search for the same user and query."""
    where = f"user_id = {int(user_id)} AND valid_to IS NULL"
    hits, ann_ms, exact_ms = [], [], []
    with connection.cursor() as cursor:
        for vector in vectors:
            at = clock.perf_counter()
            found = dense_candidates(
                cursor, user_id=user_id, where=where, params=[], vector=vector, limit=k
            )
            ann_ms.append((clock.perf_counter() - at) * 1000)
            at = clock.perf_counter()
            exact = _exact(cursor, where, [], vector_literal(vector), k)
            exact_ms.append((clock.perf_counter() - at) * 1000)
            hits.append(len(set(found) & set(exact)) / max(1, len(exact)))
    return {"recall": statistics.fmean(hits), "ann_ms": ann_ms, "exact_ms": exact_ms}


def explain_dense(user_id: int, vector: np.ndarray) -> str:
    where = f"user_id = {int(user_id)} AND valid_to IS NULL"
    with connection.cursor() as cursor:
        cursor.execute(
            f"EXPLAIN SELECT id FROM memory_memory WHERE {where} "
            f"ORDER BY embedding <=> %s::vector LIMIT {POOL}",
            [vector_literal(vector)],
        )
        return "\n".join(row[0] for row in cursor.fetchall())


def time_ingest(
    user, sessions: list[tuple[datetime, list[str]]], turns: int, batched: bool
) -> tuple[int, float]:
    """messages_ingest() end to end; one call per session (`batched`) or per turn."""
    conversation = conversation_create(user=user, title="bench")
    done, started = 0, clock.perf_counter()
    for when, texts in sessions:
        texts = texts[: turns - done]
        if not texts:
            break
        messages = [
            MessageIn(text=text, sent_at=when + timedelta(seconds=i))
            for i, text in enumerate(texts)
        ]
        groups = [messages] if batched else [[m] for m in messages]
        for group in groups:
            messages_ingest(
                user=user, conversation=conversation, messages=group, schedule_compression=False
            )
        done += len(texts)
    return done, clock.perf_counter() - started


def run(config: BenchConfig, write: Callable[[str], None] = print) -> Report:
    report = Report(write=write)
    rng = random.Random(config.seed)
    overall = clock.perf_counter()
    with bench_database(config.database, keep=config.keep_database):
        report.say(f"database {config.database} (migrated) on the default server")
        corpus = build_corpus(config, rng)
        loaded = load_memories(config, corpus, report)
        build_user_indexes(loaded, report)
        report_sizes(report)

        by_size = sorted(loaded.user_ids, key=loaded.sizes.get, reverse=True)
        big = User.objects.get(pk=by_size[0])
        typical_id = min(
            (uid for uid in loaded.user_ids if loaded.sizes[uid] <= 2_000),
            key=lambda uid: abs(loaded.sizes[uid] - 1_500),
        )
        typical = User.objects.get(pk=typical_id)
        queries = rng.sample(corpus.questions, min(config.queries, len(corpus.questions)))
        while len(queries) < config.queries:
            queries.append(rng.choice(corpus.questions))
        embedder = get_embedder()
        at = clock.perf_counter()
        vectors = [embedder.embed_query(q) for q in queries]
        embed_ms = (clock.perf_counter() - at) * 1000 / len(queries)
        report.row("query embedding", f"{embed_ms:.1f} ms mean ({embedder.name})")

        counts = {
            uid: Memory.objects.filter(user_id=uid, valid_to__isnull=True).count()
            for uid in (typical.id, big.id)
        }
        for label, user in (("typical", typical), ("big", big)):
            time_retrieve(user, queries[:5], vectors[:5])  # warm up
            excluding = time_retrieve(user, queries, vectors)
            including = time_retrieve(user, queries, None)
            report.row(
                f"retrieve {label} user ({counts[user.id]:,} current)",
                f"excl. embedding {_ms(excluding)}; incl. embedding {_ms(including)}",
            )
        recall = dense_recall(big.id, vectors)
        report.row(
            "dense channel, big user (top-10)",
            f"recall vs exact {recall['recall']:.3f}; HNSW {_ms(recall['ann_ms'])}; "
            f"exact {_ms(recall['exact_ms'])}",
        )
        plan = explain_dense(big.id, vectors[0])
        report.say("  plan: " + plan.splitlines()[0].strip()[:100])
        for line in plan.splitlines()[1:3]:
            report.say("        " + line.strip()[:100])
        typical_dense = dense_recall(typical.id, vectors[:50])
        report.row("dense channel, typical user (exact)", _ms(typical_dense["ann_ms"]))

        sessions = _turns(_dataset(config.dataset)) or [
            (datetime.now(UTC), _generated_sentences(rng, config.ingest_turns))
        ]
        fresh = User.objects.create_user(f"bench-ingest-{uuid.uuid4().hex[:8]}@bench.invalid")
        for label, user, batched in (
            ("new user, one call per session", fresh, True),
            ("big user, one call per turn", big, False),
        ):
            turns, seconds = time_ingest(user, sessions, config.ingest_turns, batched)
            report.row(f"ingest {label}", f"{turns} turns, {turns / seconds:.1f} turns/s")

        if not config.skip_eval:
            from memory.evaluation.locomo import evaluate, load_dataset

            if Path(config.dataset).exists():
                summary = evaluate(load_dataset(config.dataset), k=10, progress=False)
                report.say(json.dumps(summary["overall"], indent=None))
                report.row(
                    "memory_eval",
                    f"recall@10 {summary['overall']['recall@10']}, "
                    f"latency p50 {summary['latency_ms']['p50']} ms / "
                    f"p95 {summary['latency_ms']['p95']} ms, "
                    f"ingest {summary['ingest_turns_per_s']} turns/s",
                )
            else:
                report.row("memory_eval", f"skipped: no {config.dataset}")
    report.row("total", f"{clock.perf_counter() - overall:.0f}s")
    return report
