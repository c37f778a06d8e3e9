"""Per-user dense search that never returns fewer than k when k exist.

pgvector 0.6 has no iterative index scan: a global HNSW index filtered by `user_id = X` returns
at most `ef_search` rows *before* the filter, so a person's search could come back short. So:

- Most people are searched exactly: the `memory_current` btree finds their rows and Postgres
  sorts them by cosine distance. At a few thousand rows that is a few milliseconds.
- A person with at least `MEMORY_USER_INDEX_THRESHOLD` current memories gets their own partial
  HNSW index (`memory_hnsw_u<id>`, `WHERE user_id = <id> AND valid_to IS NULL`). Retrieval
  inlines the user id as a literal, so the planner matches it. Every row in that index is
  theirs, so the filter cannot starve it; if other filters (domains, kinds, time) still leave
  it short while more rows match, the search falls back to exact.

The index is built by the `memory.ensure_user_vector_index` task, which the
`memory.sync_user_vector_indexes` beat job enqueues for everyone above the threshold.
"""

import numpy as np
from django.conf import settings
from django.db import connection, transaction

INDEX_PREFIX = "memory_hnsw_u"
_LOCK_NAMESPACE = "memory_hnsw:"


def current_where(user_id: int) -> str:
    """SQL selecting the person's current memories: not superseded and not in the trash. It
    implies the predicate of their partial HNSW index, so the planner can still use it."""
    return f"user_id = {int(user_id)} AND valid_to IS NULL AND forgotten_at IS NULL"


def index_name(user_id: int) -> str:
    return f"{INDEX_PREFIX}{int(user_id)}"


def vector_literal(vector: np.ndarray) -> str:
    return "[" + ",".join(f"{x:.6f}" for x in vector) + "]"


def _index_state(cursor, name: str) -> str | None:
    """ "valid", "invalid" (a failed concurrent build) or None when there is no such index."""
    cursor.execute(
        "SELECT i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
        "WHERE c.relname = %s AND c.relnamespace = 'public'::regnamespace",
        [name],
    )
    row = cursor.fetchone()
    if row is None:
        return None
    return "valid" if row[0] else "invalid"


def _exact(cursor, where: str, params: list, literal: str, limit: int) -> list[int]:
    # `+ 0` makes the sort key an expression no vector index can serve, so this is always an
    # exact scan of the rows `where` selects (through the btree on user_id), never ANN.
    cursor.execute(
        f"SELECT id FROM memory_memory WHERE {where} "
        f"ORDER BY (embedding <=> %s::vector) + 0 LIMIT {int(limit)}",
        [*params, literal],
    )
    return [row[0] for row in cursor.fetchall()]


def _matching_at_least(cursor, where: str, params: list, limit: int) -> int:
    cursor.execute(
        f"SELECT count(*) FROM (SELECT 1 FROM memory_memory WHERE {where} "
        f"LIMIT {int(limit)}) AS scoped",
        params,
    )
    return cursor.fetchone()[0]


def dense_candidates(
    cursor,
    *,
    user_id: int,
    where: str,
    params: list,
    vector: np.ndarray,
    limit: int,
    current_count: int | None = None,
    exact_fallback: bool = True,
) -> list[int]:
    """Ids of the `limit` memories nearest to `vector` (cosine) among those `where` selects.

    `where` must start with the literal `user_id = <id>` clause (see `retrieval._where`).
    A `current_count` well below the threshold skips looking for an index that cannot exist
    (indexes are dropped below half the threshold). Without `exact_fallback`, a person's own
    index that comes back short stays short (for optional extra candidates, where an exact scan
    of a large person's rows would cost more than they are worth)."""
    literal = vector_literal(vector)
    small = current_count is not None and current_count < settings.MEMORY_USER_INDEX_THRESHOLD // 2
    if small or _index_state(cursor, index_name(user_id)) != "valid":
        return _exact(cursor, where, params, literal, limit)
    ef_search = max(settings.MEMORY_HNSW_EF_SEARCH, 2 * limit)
    with transaction.atomic(using=cursor.db.alias):
        cursor.execute("SELECT set_config('hnsw.ef_search', %s, true)", [str(ef_search)])
        cursor.execute(
            f"SELECT id FROM memory_memory WHERE {where} "
            f"ORDER BY embedding <=> %s::vector LIMIT {int(limit)}",
            [*params, literal],
        )
        ids = [row[0] for row in cursor.fetchall()]
    if (
        exact_fallback
        and len(ids) < limit
        and _matching_at_least(cursor, where, params, limit) > len(ids)
    ):
        return _exact(cursor, where, params, literal, limit)
    return ids


def dense_nearest_each(
    cursor, *, user_id: int, where: str, params: list, vectors: list[np.ndarray]
) -> list[tuple[int, float] | None]:
    """For each vector, the id and cosine distance of the nearest row `where` selects (None when
    it selects none), in one query: the write path's duplicate check for a whole batch.

    `where` must select only the person's current memories (`user_id = <id> AND valid_to IS
    NULL`, the predicate of their partial HNSW index, so a nearest row is never filtered away)."""
    if not vectors:
        return []
    indexed = _index_state(cursor, index_name(user_id)) == "valid"
    # Exact unless the person has their own index: `+ 0` keeps any vector index out (see _exact).
    order = "embedding <=> q.v::vector" if indexed else "(embedding <=> q.v::vector) + 0"
    with transaction.atomic(using=cursor.db.alias):
        if indexed:
            cursor.execute(
                "SELECT set_config('hnsw.ef_search', %s, true)",
                [str(settings.MEMORY_HNSW_EF_SEARCH)],
            )
        cursor.execute(
            "SELECT q.i, nearest.id, nearest.distance "
            "FROM unnest(%s::text[]) WITH ORDINALITY AS q(v, i) CROSS JOIN LATERAL ("
            f"  SELECT id, embedding <=> q.v::vector AS distance FROM memory_memory "
            f"  WHERE {where} ORDER BY {order} LIMIT 1"
            ") AS nearest",
            [[vector_literal(vector) for vector in vectors], *params],
        )
        found = {i: (memory_id, float(distance)) for i, memory_id, distance in cursor.fetchall()}
    return [found.get(i + 1) for i in range(len(vectors))]


# Building and dropping the per-user indexes ---------------------------------------------


def current_memory_count(cursor, user_id: int, cap: int | None = None) -> int:
    """The person's current memories, counted up to `cap` when given."""
    limit = f"LIMIT {int(cap)}" if cap else ""
    cursor.execute(
        f"SELECT count(*) FROM (SELECT 1 FROM memory_memory WHERE {current_where(user_id)} "
        f"{limit}) AS current",
    )
    return cursor.fetchone()[0]


def _create_sql(user_id: int) -> str:
    user_id = int(user_id)
    return (
        f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {index_name(user_id)} ON memory_memory "
        f"USING hnsw (embedding vector_cosine_ops) "
        f"WHERE user_id = {user_id} AND valid_to IS NULL"
    )


def user_vector_index_ensure(*, user_id: int, force: bool = False) -> bool:
    """Build the person's partial HNSW index if they are above the threshold (or `force`).

    Idempotent and safe to run concurrently: a session advisory lock lets one builder through,
    a valid index is left alone, and an invalid one (an interrupted build) is rebuilt. Returns
    whether this call built an index. Must run outside a transaction (CREATE INDEX
    CONCURRENTLY), e.g. in a Celery task; ordinary writes continue while it builds."""
    if connection.in_atomic_block:
        raise RuntimeError("user_vector_index_ensure cannot run inside a transaction.")
    threshold = settings.MEMORY_USER_INDEX_THRESHOLD
    name = index_name(user_id)
    with connection.cursor() as cursor:
        if not force and current_memory_count(cursor, user_id, cap=threshold) < threshold:
            return False
        if _index_state(cursor, name) == "valid":
            return False
        cursor.execute(
            "SELECT pg_try_advisory_lock(hashtextextended(%s, 0))", [f"{_LOCK_NAMESPACE}{user_id}"]
        )
        if not cursor.fetchone()[0]:
            return False  # another worker is building it
        try:
            state = _index_state(cursor, name)
            if state == "valid":
                return False
            if state == "invalid":
                cursor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")
            cursor.execute(
                "SELECT set_config('maintenance_work_mem', %s, false)",
                [settings.MEMORY_INDEX_BUILD_MEMORY],
            )
            cursor.execute(_create_sql(user_id))
        finally:
            cursor.execute("RESET maintenance_work_mem")
            cursor.execute(
                "SELECT pg_advisory_unlock(hashtextextended(%s, 0))",
                [f"{_LOCK_NAMESPACE}{user_id}"],
            )
    return True


def user_vector_index_drop(*, user_id: int) -> None:
    if connection.in_atomic_block:
        raise RuntimeError("user_vector_index_drop cannot run inside a transaction.")
    with connection.cursor() as cursor:
        cursor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {index_name(user_id)}")


def user_vector_indexes() -> dict[int, bool]:
    """Every per-user index: user id -> whether it is valid."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, i.indisvalid FROM pg_index i "
            "JOIN pg_class c ON c.oid = i.indexrelid "
            "WHERE i.indrelid = 'memory_memory'::regclass AND c.relname LIKE %s",
            [f"{INDEX_PREFIX}%"],
        )
        rows = cursor.fetchall()
    return {
        int(name.removeprefix(INDEX_PREFIX)): valid
        for name, valid in rows
        if name.removeprefix(INDEX_PREFIX).isdigit()
    }


def user_vector_indexes_sync() -> list[int]:
    """The beat job's scan: drop the indexes of people who fell below half the threshold (or
    were erased), and return who is above the threshold without a valid index yet."""
    threshold = settings.MEMORY_USER_INDEX_THRESHOLD
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT user_id, count(*) FROM memory_memory WHERE valid_to IS NULL "
            "GROUP BY user_id HAVING count(*) >= %s",
            [threshold // 2],
        )
        counts = dict(cursor.fetchall())
    existing = user_vector_indexes()
    for user_id in existing:
        if user_id not in counts:
            user_vector_index_drop(user_id=user_id)
    return sorted(
        user_id
        for user_id, count in counts.items()
        if count >= threshold and not existing.get(user_id, False)
    )


__all__ = [
    "dense_candidates",
    "index_name",
    "user_vector_index_drop",
    "user_vector_index_ensure",
    "user_vector_indexes",
    "user_vector_indexes_sync",
]
