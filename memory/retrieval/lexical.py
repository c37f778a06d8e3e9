"""Per-person term statistics of the blind index (document frequency per HMAC'd token)."""

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


def document_frequencies(cursor, *, user_id: int, tokens: list[int]) -> dict[int, int]:
    cursor.execute(
        "SELECT token, df FROM memory_termstat WHERE user_id = %s AND token = ANY(%s)",
        [user_id, tokens],
    )
    return dict(cursor.fetchall())
