"""Per-person term statistics of the blind index: document frequency per HMAC'd token among the
person's current memories (what BM25 searches by default). The write path adds a memory's
tokens when it becomes current and removes them when it is edited, forgotten or superseded."""

from collections import Counter

from django.db import connection

ADD_SQL = """
INSERT INTO memory_termstat (user_id, token, df)
SELECT %s, token, n FROM unnest(%s::bigint[], %s::int[]) AS added(token, n)
ON CONFLICT (user_id, token) DO UPDATE SET df = memory_termstat.df + EXCLUDED.df
"""
REMOVE_SQL = (
    "UPDATE memory_termstat SET df = greatest(df - removed.n, 0) "
    "FROM unnest(%s::bigint[], %s::int[]) AS removed(token, n) "
    "WHERE user_id = %s AND memory_termstat.token = removed.token",
    "DELETE FROM memory_termstat WHERE user_id = %s AND token = ANY(%s::bigint[]) AND df <= 0",
)


def term_stats_shift(*, user_id: int, change: Counter) -> None:
    """Add `change[token]` to each token's document frequency (negative: memories that stopped
    being current); a token no current memory holds any more is deleted. One batch of writes
    for many memories at once."""
    added = sorted(token for token, n in change.items() if n > 0)
    removed = sorted(token for token, n in change.items() if n < 0)
    with connection.cursor() as cursor:
        if added:
            cursor.execute(ADD_SQL, [user_id, added, [change[token] for token in added]])
        if removed:
            cursor.execute(REMOVE_SQL[0], [removed, [-change[token] for token in removed], user_id])
            cursor.execute(REMOVE_SQL[1], [user_id, removed])


def term_stats_add(*, user_id: int, tokens: list[int]) -> None:
    """Count one more memory holding each of `tokens` (distinct tokens of that memory)."""
    term_stats_shift(user_id=user_id, change=Counter(set(tokens)))


def term_stats_remove(*, user_id: int, tokens: list[int]) -> None:
    """Count one memory fewer holding each of `tokens` (it was edited, forgotten, superseded)."""
    term_stats_shift(user_id=user_id, change=Counter({token: -1 for token in set(tokens)}))


def document_frequencies(cursor, *, user_id: int, tokens: list[int]) -> dict[int, int]:
    cursor.execute(
        "SELECT token, df FROM memory_termstat WHERE user_id = %s AND token = ANY(%s)",
        [user_id, tokens],
    )
    return dict(cursor.fetchall())
