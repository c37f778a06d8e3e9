"""Retrieval: hybrid search (dense + lexical + time + entities), scoring and the per-person
vector index. `retrieve()` is the entry point."""

from memory.retrieval.search import (
    MAX_K,
    MAX_QUERY_CHARS,
    POOL,
    PURPOSES,
    Filters,
    RetrievalResult,
    RetrievedMemory,
    Weights,
    retrieve,
)

__all__ = [
    "MAX_K",
    "MAX_QUERY_CHARS",
    "POOL",
    "PURPOSES",
    "Filters",
    "RetrievalResult",
    "RetrievedMemory",
    "Weights",
    "retrieve",
]
