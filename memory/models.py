"""Per-user memory: keys, conversations (short-term), episodes, long-term memories, audit.

Everything a person typed is stored only as ciphertext (`*_ct` columns, written and read through
`macaron.vault`). The lexical channel is a keyed blind index (`lexical_tokens`): 64-bit HMACs of
normalised tokens under a per-user key, so search works without plaintext at rest. Embeddings are
stored under a per-user secret rotation (macaron.vectorkey).
"""

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.db.models import Q
from pgvector.django import VectorField

# DataKey is defined beside the vault (macaron/models.py) and stays memory_datakey.
from macaron.models import DataKey, TimeStampedModel  # noqa: F401
from macaron.vectorkey import VECTOR_KEY_VERSION

EMBEDDING_DIM = 384


class Conversation(TimeStampedModel):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    title_ct = models.BinaryField(null=True)
    last_message_at = models.DateTimeField(null=True)

    class Meta:
        indexes = [models.Index(fields=["user", "-last_message_at"])]


class Message(models.Model):
    class Role(models.TextChoices):
        USER = "user"
        COMPANION = "companion"
        SYSTEM = "system"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="messages"
    )
    role = models.CharField(max_length=16, choices=Role.choices)
    text_ct = models.BinaryField()
    sent_at = models.DateTimeField(db_index=True)
    external_id = models.CharField(max_length=200, blank=True)
    token_count = models.PositiveIntegerField(default=0)
    episode = models.ForeignKey(
        "Episode", null=True, blank=True, on_delete=models.SET_NULL, related_name="messages"
    )
    # The sender's idempotency key: a repeated send with the same key is stored once. NULL (no
    # key) rather than "", so the partial unique constraint below covers only real keys.
    client_id = models.CharField(max_length=64, null=True, blank=True)  # noqa: DJ001
    created_at = models.DateTimeField(auto_now_add=True)
    # Store-first ingestion (memory.ingest.process): a message is stored at once and processed
    # (gate, extraction, embedding, deduplication) by a worker. `claimed_at` is a worker's lease
    # on it; `processed_at` is set once, in the transaction that writes its memories.
    claimed_at = models.DateTimeField(null=True, blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["conversation", "sent_at", "id"]),
            models.Index(
                fields=["created_at"],
                condition=Q(processed_at__isnull=True),
                name="message_unprocessed",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["conversation", "client_id"],
                condition=Q(client_id__isnull=False),
                name="message_client_id_once",
            )
        ]


class Memory(TimeStampedModel):
    class Kind(models.TextChoices):
        FACT = "fact"
        PREFERENCE = "preference"
        EVENT = "event"
        PLAN = "plan"
        CONFIG = "config"
        EPISODE = "episode"

    class Privacy(models.TextChoices):
        NORMAL = "normal"
        PRIVATE = "private"  # never shared with sub-agents
        SECRET = "secret"  # needs re-authentication; never shown to sub-agents or staff

    class Source(models.TextChoices):
        CHAT = "chat"
        MANUAL = "manual"
        SUBAGENT = "subagent"
        IMPORT = "import"
        COMPRESSION = "compression"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.FACT)
    source = models.CharField(max_length=16, choices=Source.choices, default=Source.CHAT)
    text_ct = models.BinaryField()
    content_key = models.BinaryField()  # keyed hash of the normalised text: exact-duplicate check
    # Stored under the person's secret rotation (macaron.vectorkey); `vector_key` says which
    # (0: in clear, a row from before keying that `memories_vectors_key` has yet to rotate).
    embedding = VectorField(dimensions=EMBEDDING_DIM)
    vector_key = models.PositiveSmallIntegerField(default=VECTOR_KEY_VERSION)
    embedding_model = models.CharField(max_length=80)
    lexical_tokens = ArrayField(models.BigIntegerField(), default=list)
    token_count = models.PositiveIntegerField(default=0)
    domains = ArrayField(models.CharField(max_length=24), default=list)
    language = models.CharField(max_length=8, default="und")
    event_time = models.DateTimeField(null=True, blank=True)  # start of the resolved event
    event_end = models.DateTimeField(null=True, blank=True)
    slot_key = models.BinaryField(null=True)  # keyed hash of the single-valued fact it sets
    valid_from = models.DateTimeField()
    valid_to = models.DateTimeField(null=True, blank=True)
    importance = models.FloatField(default=0.5)
    strength = models.FloatField(default=1.0)
    strength_at = models.DateTimeField()  # when `strength` was last computed
    recall_count = models.PositiveIntegerField(default=0)
    last_recalled_at = models.DateTimeField(null=True, blank=True)
    pinned = models.BooleanField(default=False)
    privacy = models.CharField(max_length=16, choices=Privacy.choices, default=Privacy.NORMAL)
    policy = models.JSONField(default=dict, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["user", "-created_at"]),
            models.Index(fields=["user", "event_time"]),
            GinIndex(fields=["lexical_tokens"], name="memory_lexical_gin"),
            GinIndex(fields=["domains"], name="memory_domains_gin"),
            models.Index(
                fields=["user"], condition=Q(valid_to__isnull=True), name="memory_current"
            ),
            # the write path's exact-duplicate and same-fact lookups among current memories
            models.Index(
                fields=["user", "content_key"],
                condition=Q(valid_to__isnull=True),
                name="memory_current_content",
            ),
            models.Index(
                fields=["user", "slot_key"],
                condition=Q(valid_to__isnull=True, slot_key__isnull=False),
                name="memory_current_slot",
            ),
        ]


class TermStat(models.Model):
    """Document frequency of a blind-index token among one person's current memories (for BM25's
    IDF and to search by the rarest query terms first); kept exact through creation, edits,
    forgetting and superseding (memory.retrieval.lexical)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    token = models.BigIntegerField()
    df = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "token"], name="termstat_unique")]


class MemorySource(models.Model):
    """Provenance: what a memory was derived from (a message, an entry, an external id)."""

    memory = models.ForeignKey(Memory, on_delete=models.CASCADE, related_name="sources")
    message = models.ForeignKey(Message, null=True, blank=True, on_delete=models.SET_NULL)
    entry_id = models.BigIntegerField(null=True, blank=True)
    external_id = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["memory", "message"],
                condition=Q(message__isnull=False),
                name="memorysource_once_per_message",
            )
        ]


class MemoryLink(models.Model):
    class Kind(models.TextChoices):
        SAME_THREAD = "same_thread"
        FOLLOWS = "follows"
        UPDATES = "updates"
        CONTRADICTS = "contradicts"

    from_memory = models.ForeignKey(Memory, on_delete=models.CASCADE, related_name="links_out")
    to_memory = models.ForeignKey(Memory, on_delete=models.CASCADE, related_name="links_in")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["from_memory", "to_memory", "kind"], name="memorylink_unique"
            )
        ]


class Episode(TimeStampedModel):
    """A compressed stretch of a conversation; its summary is a Memory of kind `episode`."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="episodes"
    )
    memory = models.OneToOneField(Memory, null=True, on_delete=models.SET_NULL)
    start_at = models.DateTimeField()
    end_at = models.DateTimeField()
    first_message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="+")
    last_message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["conversation", "first_message"], name="episode_once_per_span"
            )
        ]


class AuditEvent(models.Model):
    """Who read or changed what, and why. Holds ids and purposes, never content."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    subject_user_id = models.BigIntegerField(db_index=True)
    action = models.CharField(max_length=32)
    purpose = models.CharField(max_length=120)
    memory_ids = ArrayField(models.BigIntegerField(), default=list)
    detail = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)


class RewardEvent(models.Model):
    """A retrieval outcome (used, thumbs up/down) that the gating fit learns from."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    memory = models.ForeignKey(Memory, on_delete=models.CASCADE)
    signal = models.CharField(max_length=16)
    reward = models.FloatField()
    features = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)


class Reminder(models.Model):
    """A date the person mentioned (a plan or an event memory), raised by the companion at the
    right time. A raised, not dismissed reminder is what the UI shows as a notification."""

    class State(models.TextChoices):
        SCHEDULED = "scheduled"
        RAISED = "raised"
        DISMISSED = "dismissed"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    memory = models.ForeignKey(Memory, on_delete=models.CASCADE, related_name="reminders")
    due_at = models.DateTimeField()
    state = models.CharField(max_length=16, choices=State.choices, default=State.SCHEDULED)
    raised_at = models.DateTimeField(null=True, blank=True)
    dismissed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["due_at"],
                condition=Q(state="scheduled"),
                name="reminder_scheduled_due",
            ),
            models.Index(fields=["user", "state", "-raised_at"], name="reminder_user_state"),
        ]
        constraints = [models.UniqueConstraint(fields=["memory"], name="reminder_once_per_memory")]
