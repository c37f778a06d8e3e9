"""Embeddings keyed per person: a person's vectors are stored under their secret rotation.

The rotation is an orthogonal matrix derived from the person's data key (`UserCipher.vector_seed`),
applied to every vector that is stored and to every query vector that searches them. Cosine
between two of the person's vectors is unchanged, so search ranks exactly as before; but a guessed
sentence embedded with the public model does not match a stored vector without the key, and
crypto-shredding the data key (erasure) leaves the vectors unlinkable for good.

The matrix is built deterministically: the PCG64 bit stream seeded by the seed, turned into
standard normals by Box-Muller here (numpy's `Generator` distributions may change between numpy
versions; the PCG64 stream and SeedSequence may not), then QR with the signs of R's diagonal
moved into Q, which makes Q unique (and uniformly distributed among rotations).
"""

from functools import lru_cache

import numpy as np

from macaron.vault import UserCipher

# Stored in `Memory.vector_key`: 0 for vectors stored in clear (before keying), then this.
VECTOR_KEY_VERSION = 1
ROTATIONS_CACHED = 8  # 1.2 MB each at 384 dimensions


def _standard_normals(seed: bytes, count: int) -> np.ndarray:
    raw = np.random.PCG64(int.from_bytes(seed, "big")).random_raw(count + count % 2)
    uniform = ((raw >> np.uint64(11)).astype(np.float64) + 0.5) * 2.0**-53  # in (0, 1)
    radius = np.sqrt(-2.0 * np.log(uniform[0::2]))
    angle = 2.0 * np.pi * uniform[1::2]
    return np.concatenate([radius * np.cos(angle), radius * np.sin(angle)])[:count]


@lru_cache(maxsize=ROTATIONS_CACHED)
def _rotation(seed: bytes, dim: int) -> np.ndarray:
    q, r = np.linalg.qr(_standard_normals(seed, dim * dim).reshape(dim, dim))
    return q * np.sign(np.diag(r))


def vector_key(cipher: UserCipher, vectors: np.ndarray) -> np.ndarray:
    """The person's keyed form of an embedding (or of each row of a matrix of them): what is
    stored, and what searches the stored ones."""
    vectors = np.asarray(vectors, dtype=np.float64)
    return (vectors @ _rotation(cipher.vector_seed, vectors.shape[-1]).T).astype(np.float32)


def vector_keys_forget() -> None:
    """Drop the cached rotations (after an erasure: no copy of an erased key stays in memory)."""
    _rotation.cache_clear()


__all__ = ["VECTOR_KEY_VERSION", "vector_key", "vector_keys_forget"]
