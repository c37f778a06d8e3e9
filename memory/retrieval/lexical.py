"""Per-person term statistics of the blind index: document frequency per HMAC'd token among the
person's current memories (what BM25 searches by default). The write path adds a memory's
tokens when it becomes current and removes them when it is edited, forgotten or superseded."""

from django.db import connection

UPSERT_SQL = """
INSERT INTO memory_termstat (user_id, token, df)
SELECT %s, token, 1 FROM unnest(%s::bigint[]) AS token
ON CONFLICT (user_id, token) DO UPDATE SET df = memory_termstat.df + 1
"""


def term_stats_add(*, user_id: int, tokens: list[int]) -> None:
    """Count one more memory holding each of `tokens` (distinct tokens of that memory)."""
    if tokens:
        with connection.cursor() as cursor:
            cursor.execute(UPSERT_SQL, [user_id, sorted(set(tokens))])


REMOVE_SQL = (
    "UPDATE memory_termstat SET df = df - 1 WHERE user_id = %s AND token = ANY(%s::bigint[])",
    "DELETE FROM memory_termstat WHERE user_id = %s AND token = ANY(%s::bigint[]) AND df <= 0",
)


def term_stats_remove(*, user_id: int, tokens: list[int]) -> None:
    """Count one memory fewer holding each of `tokens` (it was edited, forgotten, superseded)."""
    if tokens:
        with connection.cursor() as cursor:
            for sql in REMOVE_SQL:
                cursor.execute(sql, [user_id, sorted(set(tokens))])


def document_frequencies(cursor, *, user_id: int, tokens: list[int]) -> dict[int, int]:
    cursor.execute(
        "SELECT token, df FROM memory_termstat WHERE user_id = %s AND token = ANY(%s)",
        [user_id, tokens],
    )
    return dict(cursor.fetchall())
