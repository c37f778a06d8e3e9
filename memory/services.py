"""The memory app's write facade: what other apps (and memory's own views, API, commands and
tasks) call to change state. The work lives in the sub-packages:

- `memory.ingest`: the write path (store, gate, extract, deduplicate, supersede) and edits;
- `memory.retrieval.scoring`: strength and its decay;
- `memory.privacy`: the audit writer, per-memory policies, erasure;
- `memory.companion`: the router's intent registry (sub-agents register from AppConfig.ready).
"""

from memory.companion.router import (
    Intent,
    Preference,
    RoutedRequest,
    RouteLink,
    RouteResult,
    register_intent,
    registered_intents,
)
from memory.ingest.conversation_index import conversation_index_fill
from memory.ingest.gate import MAX_CANDIDATES
from memory.ingest.process import messages_process
from memory.ingest.store import messages_ingest, messages_store
from memory.ingest.trash import (
    memories_restore,
    memories_trash,
    memories_trash_empty,
    memories_trash_purge,
    trash_days,
)
from memory.ingest.write import (
    CONTEXT_CHARS,
    DUPLICATE_COSINE,
    DUPLICATE_TERM_OVERLAP,
    FEEDBACK_REWARDS,
    MAX_MEMORY_CHARS,
    MAX_MESSAGE_CHARS,
    MessageIn,
    conversation_create,
    conversation_title_set,
    memories_forget,
    memories_reembed,
    memories_vectors_key,
    memory_create,
    memory_feedback,
    memory_get,
    memory_update,
    reply_context,
    validate_text,
)
from memory.privacy.audit import AuditAction, audit_record
from memory.privacy.erasure import user_erase
from memory.privacy.policies import POLICY_KEYS, validate_policy
from memory.retrieval.scoring import DECAY_DAYS, decayed_strength, memories_decay

__all__ = [
    "CONTEXT_CHARS",
    "DECAY_DAYS",
    "DUPLICATE_COSINE",
    "DUPLICATE_TERM_OVERLAP",
    "FEEDBACK_REWARDS",
    "MAX_CANDIDATES",
    "MAX_MEMORY_CHARS",
    "MAX_MESSAGE_CHARS",
    "POLICY_KEYS",
    "AuditAction",
    "Intent",
    "MessageIn",
    "Preference",
    "RouteLink",
    "RouteResult",
    "RoutedRequest",
    "audit_record",
    "conversation_create",
    "conversation_index_fill",
    "conversation_title_set",
    "decayed_strength",
    "memories_decay",
    "memories_forget",
    "memories_reembed",
    "memories_restore",
    "memories_trash",
    "memories_trash_empty",
    "memories_trash_purge",
    "memories_vectors_key",
    "memory_create",
    "memory_feedback",
    "memory_get",
    "memory_update",
    "messages_ingest",
    "messages_process",
    "messages_store",
    "register_intent",
    "registered_intents",
    "reply_context",
    "trash_days",
    "user_erase",
    "validate_policy",
    "validate_text",
]
