import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from django.db import connection, transaction

from bench.synthetic import copy_memories, memory_row
from macaron.vault import cipher_for
from memory.models import Memory
from memory.retrieval.search import POOL, Filters, _where, retrieve
from memory.retrieval.vector_index import (
    dense_candidates,
    dense_nearest_each,
    index_name,
    user_vector_index_drop,
    user_vector_index_ensure,
    user_vector_indexes,
    user_vector_indexes_sync,
    vector_literal,
)
from tests.factories import UserFactory

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
WORDS = ["garden", "pottery", "marathon", "lisbon", "violin", "sushi", "camping", "museum"]
START = datetime(2025, 1, 1, tzinfo=UTC)

# CREATE INDEX CONCURRENTLY cannot run inside the test transaction, and COPY commits on its
# own connection: these tests use committed data (transactional_db flushes it afterwards).
pytestmark = pytest.mark.django_db(transaction=True)


def unit_vectors(rng, n: int) -> np.ndarray:
    vectors = rng.normal(size=(n, 384)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def add_memories(user, vectors: np.ndarray, *, superseded=(), kinds=None) -> None:
    cipher = cipher_for(user.id)
    copy_memories(
        memory_row(
            cipher,
            text=f"{WORDS[i % len(WORDS)]} note {i} for person {user.id}",
            vector=vector,
            at=START + timedelta(hours=i),
            superseded=i in superseded,
            kind=kinds[i] if kinds else "fact",
        )
        for i, vector in enumerate(vectors)
    )


def current_ids_and_vectors(user) -> tuple[list[int], np.ndarray]:
    rows = list(
        Memory.objects.filter(user=user, valid_to__isnull=True)
        .order_by("id")
        .values_list("id", "embedding")
    )
    return [r[0] for r in rows], np.array([np.asarray(r[1]) for r in rows], dtype=np.float32)


def brute_force(ids: list[int], vectors: np.ndarray, query: np.ndarray, k: int) -> list[int]:
    distances = 1 - vectors @ query
    return [ids[i] for i in np.argsort(distances, kind="stable")[:k]]


@pytest.fixture
def people(settings):
    """A big user above the lowered threshold; two small users sharing the same table."""
    settings.MEMORY_USER_INDEX_THRESHOLD = 30
    rng = np.random.default_rng(11)
    big, small, other = UserFactory(), UserFactory(), UserFactory()
    kinds = ["plan" if i % 10 == 0 else "fact" for i in range(60)]
    add_memories(big, unit_vectors(rng, 60), kinds=kinds)
    add_memories(small, unit_vectors(rng, 24), superseded={3, 7})
    add_memories(other, unit_vectors(rng, 29))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE memory_memory")  # as autovacuum would after a bulk load
    yield big, small, other
    for user_id in user_vector_indexes():
        user_vector_index_drop(user_id=user_id)


def test_service_builds_the_partial_index_once_and_only_above_the_threshold(people):
    big, small, other = people

    assert user_vector_indexes_sync() == [big.id]
    assert user_vector_index_ensure(user_id=big.id) is True
    assert user_vector_index_ensure(user_id=big.id) is False
    assert user_vector_index_ensure(user_id=small.id) is False
    assert user_vector_index_ensure(user_id=other.id) is False
    assert user_vector_indexes() == {big.id: True}
    assert user_vector_indexes_sync() == []
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = %s", [index_name(big.id)])
        [definition] = cursor.fetchone()
    assert "USING hnsw (embedding vector_cosine_ops)" in definition
    assert f"WHERE ((user_id = {big.id}) AND (valid_to IS NULL))" in definition


def test_sync_drops_the_index_of_a_user_who_no_longer_needs_it(people):
    big, _, _ = people
    user_vector_index_ensure(user_id=big.id)

    Memory.objects.filter(user=big).delete()

    assert user_vector_indexes_sync() == []
    assert user_vector_indexes() == {}


def test_dense_query_of_the_big_user_uses_the_partial_index(people):
    big, _, _ = people
    user_vector_index_ensure(user_id=big.id)
    where, params = _where(big.id, Filters(), None)
    query = unit_vectors(np.random.default_rng(5), 1)[0]

    # At 60 rows an exact sort is genuinely cheaper and the planner prefers it (at 100k rows it
    # picks the HNSW index on its own: see memory_bench). Discouraging the sort shows that the
    # inlined literal lets the planner match the partial index's predicate at all.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute(
            f"EXPLAIN SELECT id FROM memory_memory WHERE {where} "
            f"ORDER BY embedding <=> %s::vector LIMIT {POOL}",
            [*params, vector_literal(query)],
        )
        plan = "\n".join(row[0] for row in cursor.fetchall())

    assert f"Index Scan using {index_name(big.id)} on memory_memory" in plan


def test_big_user_gets_exactly_k_of_their_own_memories(people):
    big, _, _ = people
    user_vector_index_ensure(user_id=big.id)
    query = unit_vectors(np.random.default_rng(5), 1)[0]
    ids, vectors = current_ids_and_vectors(big)

    with connection.cursor() as cursor:
        where, params = _where(big.id, Filters(), None)
        dense = dense_candidates(
            cursor, user_id=big.id, where=where, params=params, vector=query, limit=POOL
        )
    result = retrieve(
        user=big,
        query="garden pottery",
        k=10,
        budget=None,
        purpose="evaluation",
        query_vector=query,
    )

    assert len(ids) == 60
    assert sorted(dense) == ids  # all 60 of theirs, none of anyone else's
    assert len(result.items) == 10
    returned = [item.id for item in result.items]
    assert Memory.objects.filter(user=big, pk__in=returned).count() == 10
    assert brute_force(ids, vectors, query, 10)[:5] == dense[:5]


def test_index_search_falls_back_to_exact_when_a_filter_starves_it(people, settings):
    big, _, _ = people
    user_vector_index_ensure(user_id=big.id)
    settings.MEMORY_HNSW_EF_SEARCH = 1  # ef_search becomes 2 * limit = 10 of 60 rows
    query = unit_vectors(np.random.default_rng(9), 1)[0]
    plan_ids = list(
        Memory.objects.filter(user=big, kind="plan").order_by("id").values_list("id", flat=True)
    )
    vectors = np.array(
        [np.asarray(Memory.objects.get(pk=pk).embedding) for pk in plan_ids], dtype=np.float32
    )
    where, params = _where(big.id, Filters(kinds=["plan"]), None)

    with connection.cursor() as cursor:
        found = dense_candidates(
            cursor, user_id=big.id, where=where, params=params, vector=query, limit=5
        )

    assert len(plan_ids) == 6
    assert found == brute_force(plan_ids, vectors, query, 5)


def test_user_below_the_threshold_gets_the_exact_ranking(people):
    _, small, _ = people
    user_vector_index_ensure(user_id=small.id)
    ids, vectors = current_ids_and_vectors(small)
    queries = unit_vectors(np.random.default_rng(3), 5)

    with connection.cursor() as cursor:
        where, params = _where(small.id, Filters(), None)
        ranked = [
            dense_candidates(
                cursor, user_id=small.id, where=where, params=params, vector=query, limit=POOL
            )
            for query in queries
        ]

    assert len(ids) == 22  # two of the 24 are superseded
    assert user_vector_indexes() == {}
    for query, dense in zip(queries, ranked, strict=True):
        assert dense == brute_force(ids, vectors, query, POOL)


def test_memory_bench_smoke_run_reports_latencies():
    env = {**os.environ, "MEMORY_USER_INDEX_THRESHOLD": "500"}
    completed = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "memory_bench",
            "--memories",
            "3000",
            "--users",
            "20",
            "--big-user",
            "1000",
            "--skip-eval",
            "--queries",
            "10",
            "--ingest-turns",
            "5",
            "--database",
            "macaron_bench_smoke",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )

    assert completed.returncode == 0, completed.stderr[-3000:]
    out = completed.stdout
    assert "load                " in out or "load " in out
    typical = [line for line in out.splitlines() if line.strip().startswith("retrieve typical")]
    big = [line for line in out.splitlines() if line.strip().startswith("retrieve big user")]
    assert typical and "p50" in typical[-1] and "p95" in typical[-1]
    assert big and "p50" in big[-1] and "p95" in big[-1]
    assert "1 indexes (threshold 500)" in out


@pytest.mark.parametrize("indexed", [False, True])
def test_nearest_of_many_vectors_in_one_query(people, indexed, django_assert_max_num_queries):
    """The write path's batched duplicate check: for each vector, the nearest current memory
    of that person (their own index when they have one, exact otherwise) and its distance."""
    big, small, _ = people
    person = big if indexed else small
    if indexed:
        user_vector_index_ensure(user_id=big.id)
    ids, vectors = current_ids_and_vectors(person)
    queries = [*unit_vectors(np.random.default_rng(21), 4), vectors[5]]
    where = f"user_id = {person.id} AND valid_to IS NULL"

    with connection.cursor() as cursor, django_assert_max_num_queries(5):
        found = dense_nearest_each(
            cursor, user_id=person.id, where=where, params=[], vectors=queries
        )

    assert [hit[0] for hit in found] == [brute_force(ids, vectors, q, 1)[0] for q in queries]
    for hit, query in zip(found, queries, strict=True):
        nearest = vectors[ids.index(hit[0])]
        assert hit[1] == pytest.approx(1 - float(nearest @ query), abs=1e-4)
    assert found[-1] == (ids[5], pytest.approx(0.0, abs=1e-5))
    with connection.cursor() as cursor:
        nobody = "user_id = 0 AND valid_to IS NULL"
        assert dense_nearest_each(
            cursor, user_id=0, where=nobody, params=[], vectors=queries[:2]
        ) == [None, None]
        assert dense_nearest_each(cursor, user_id=0, where=nobody, params=[], vectors=[]) == []
