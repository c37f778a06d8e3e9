"""The second stage: the head of the first stage's order, reread by late interaction.

The first stage (dense + lexical fusion, re-scoring, MMR) finds the candidates; the second reads
the question token by token against each English memory's stored token vectors
(`macaron.late_interaction`), which separates "I went to the support group" from "I support
her" where one vector per text and shared words cannot. Both stages' scores are standardised
over the head and added, the second's at `weight` (measured on the LoCoMo dev set: README, "The
second stage"), so a memory both stages like comes first.

English only: when the question is not English nothing changes, and a memory in another
language, or one whose token vectors are not computed yet, keeps its place in the head while
the English memories around it are reordered among themselves.
"""

import time as clock
from dataclasses import dataclass, field

import numpy as np

from macaron.late_interaction import get_late_encoder, maxsim, unpack

HEAD = 30  # the top 10 alone would move recall@1 only; 30 also brings memories into the top 10
ENGLISH = "en"
PURPOSE = "late"  # the encryption purpose of a memory's token vectors

LATE_SQL = """
SELECT id, late_ct FROM memory_memory
 WHERE user_id = %s AND id = ANY(%s) AND late_ct IS NOT NULL
"""


@dataclass
class Reranked:
    order: list[int]
    scores: dict[int, float] = field(default_factory=dict)  # MaxSim, per memory reread
    standardised: dict[int, float] = field(default_factory=dict)  # the same over the head
    ms: float = 0.0


def reranks(query_language: str, weight: float) -> bool:
    """Whether a question in `query_language` goes through the second stage at all."""
    return weight > 0 and query_language == ENGLISH and get_late_encoder() is not None


def _standardised(values: np.ndarray) -> np.ndarray:
    return (values - values.mean()) / (values.std() or 1.0)


def late_scores(cursor, *, cipher, user_id: int, query: str, ids: list[int]) -> dict[int, float]:
    """MaxSim of the question against each of these memories that has token vectors."""
    encoder = get_late_encoder()
    if encoder is None or not ids:
        return {}
    cursor.execute(LATE_SQL, [user_id, ids])
    matrices = {
        memory_id: unpack(cipher.decrypt_bytes(bytes(blob), purpose=PURPOSE))
        for memory_id, blob in cursor.fetchall()
    }
    if not matrices:
        return {}
    query_matrix = encoder.encode_query(query)
    return {memory_id: maxsim(query_matrix, matrix) for memory_id, matrix in matrices.items()}


def rerank_order(
    order: list[int],
    *,
    first_stage: dict[int, float],
    late: dict[int, float],
    languages: dict[int, str],
    weight: float,
) -> tuple[list[int], dict[int, float]]:
    """`order` with the English memories of its first HEAD that have a `late` score reordered
    by both stages (every other memory keeps its slot), and each reread memory's standardised
    late score (the policy's `rerank` feature)."""
    head = order[:HEAD]
    read = [m for m in head if languages.get(m) == ENGLISH and m in late]
    if len(read) < 2:
        return order, {}
    second = _standardised(np.array([late[m] for m in read]))
    combined = _standardised(np.array([first_stage[m] for m in read])) + weight * second
    reordered = iter([read[i] for i in np.argsort(-combined, kind="stable")])
    reread = set(read)
    new_head = [next(reordered) if m in reread else m for m in head]
    return new_head + order[HEAD:], dict(zip(read, second.tolist(), strict=True))


def rerank(
    cursor,
    *,
    cipher,
    user_id: int,
    query: str,
    order: list[int],
    first_stage: dict[int, float],
    languages: dict[int, str],
    weight: float,
) -> Reranked:
    """`order` with the English memories of its first HEAD reordered (the rest unchanged)."""
    started = clock.perf_counter()
    english = [m for m in order[:HEAD] if languages[m] == ENGLISH]
    if len(english) < 2:
        return Reranked(order=order)
    late = late_scores(cursor, cipher=cipher, user_id=user_id, query=query, ids=english)
    new_order, standardised = rerank_order(
        order, first_stage=first_stage, late=late, languages=languages, weight=weight
    )
    return Reranked(
        order=new_order,
        scores={m: late[m] for m in standardised},
        standardised=standardised,
        ms=(clock.perf_counter() - started) * 1000,
    )
