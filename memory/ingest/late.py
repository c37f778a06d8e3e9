"""Token vectors for retrieval's second stage, computed in the background after a memory is
written: the write path stays as fast as before, and a memory without them yet is still found
(the second stage leaves it in its first-stage place)."""

from macaron.late_interaction import get_late_encoder, pack
from macaron.vault import UserCipher, cipher_for
from memory.models import Memory
from memory.retrieval.rerank import ENGLISH, PURPOSE

BATCH = 64


def _pending(user_id: int | None):
    rows = Memory.objects.filter(late_ct__isnull=True, language=ENGLISH, forgotten_at__isnull=True)
    return rows.filter(user_id=user_id) if user_id is not None else rows


def memories_late_encode(*, user_id: int | None = None, max_batches: int | None = None) -> int:
    """Compute and store the token vectors of English memories that lack them (one person's,
    or everyone's); returns how many it stored. Idempotent: a row is written only while it
    still lacks them and its text is the one encoded, so a concurrent run or an edit in
    between loses nothing and writes nothing twice."""
    encoder = get_late_encoder()
    if encoder is None:
        return 0
    done = batches = 0
    after = 0
    while max_batches is None or batches < max_batches:
        rows = list(
            _pending(user_id)
            .filter(id__gt=after)
            .order_by("id")
            .only("id", "user_id", "text_ct", "content_key")[:BATCH]
        )
        if not rows:
            break
        after = rows[-1].id
        ciphers: dict[int, UserCipher] = {}
        for row in rows:
            ciphers.setdefault(row.user_id, cipher_for(row.user_id))
        matrices = encoder.encode_documents([ciphers[r.user_id].decrypt(r.text_ct) for r in rows])
        for row, matrix in zip(rows, matrices, strict=True):
            done += Memory.objects.filter(
                pk=row.pk, late_ct__isnull=True, content_key=row.content_key
            ).update(late_ct=ciphers[row.user_id].encrypt_bytes(pack(matrix), purpose=PURPOSE))
        batches += 1
    return done
