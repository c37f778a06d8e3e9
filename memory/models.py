"""Per-user memory: keys, conversations (short-term), episodes, long-term memories, audit.

Everything a person typed is stored only as ciphertext (`*_ct` columns, written and read through
`macaron.vault`). The lexical channel is a keyed blind index (`lexical_tokens`): 64-bit HMACs of
normalised tokens under a per-user key, so search works without plaintext at rest; conversation
search has its own (`Conversation.title_tokens`, `Message.search_tokens`: whole words,
`macaron.text.search_terms`). Values only compared for equality (`client_key`) are keyed hashes.
Embeddings are stored under a per-user secret rotation (macaron.vectorkey).
"""

import uuid

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from pgvector.django import VectorField

# DataKey is defined beside the vault (macaron/models.py) and stays memory_datakey.
from macaron.models import DataKey, TimeStampedModel  # noqa: F401
from macaron.vectorkey import VECTOR_KEY_VERSION

EMBEDDING_DIM = 384


class Conversation(TimeStampedModel):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    title_ct = models.BinaryField(null=True)
    title_tokens = ArrayField(models.BigIntegerField(), default=list)  # blind index of the title
    last_message_at = models.DateTimeField(null=True)

    class Meta:
        indexes = [
            models.Index(fields=["user", "-last_message_at"]),
            GinIndex(fields=["title_tokens"], name="conversation_title_gin"),
        ]


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
    # The keyed hash of the sender's idempotency key (client_id): a repeated send with the same
    # key is stored once. NULL when the send had no key.
    client_key = models.BinaryField(null=True)
    # Blind index of the text for conversation search; NULL until indexed (rows stored before
    # the index existed, filled by `manage.py conversation_index`).
    search_tokens = ArrayField(models.BigIntegerField(), null=True)
    # A reply a sub-agent's handler wrote: its intent, and its buttons (encrypted JSON list).
    routed_intent = models.CharField(max_length=64, blank=True)
    routed_links_ct = models.BinaryField(null=True)
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
            GinIndex(fields=["search_tokens"], name="message_search_gin"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["conversation", "client_key"],
                condition=Q(client_key__isnull=False),
                name="message_client_key_once",
            )
        ]


class ReplyMemory(models.Model):
    """A memory shown with a companion's reply, stored with the reply so the history shows it
    by an indexed join: a "remembered" chip (`used`, what the companion was given) or a
    preference passed to the sub-agent that took the message (`preference`), in `rank` order."""

    class Kind(models.TextChoices):
        USED = "used"
        PREFERENCE = "preference"

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="reply_memories")
    memory = models.ForeignKey("Memory", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    rank = models.PositiveSmallIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["message", "kind", "memory"], name="replymemory_once_per_reply"
            )
        ]


class Memory(TimeStampedModel):
    class Kind(models.TextChoices):
        FACT = "fact", _("Fact")
        PREFERENCE = "preference", _("Preference")
        EVENT = "event", _("Event")
        PLAN = "plan", _("Plan")
        CONFIG = "config", _("Config")
        EPISODE = "episode", _("Episode")

    class Privacy(models.TextChoices):
        NORMAL = "normal", _("Normal")
        PRIVATE = "private", _("Private")  # never shared with sub-agents
        SECRET = (
            "secret",
            _("Secret"),
        )  # needs re-authentication; never shown to sub-agents or staff

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
    # In the trash since then (forgotten by the person, restorable for MEMORY_TRASH_DAYS, then
    # erased for good by `memory.purge_trash`). A trashed memory is not current: no reads, no
    # term statistics, no duplicate or same-fact matches.
    forgotten_at = models.DateTimeField(null=True, blank=True)
    # An English memory's token vectors for retrieval's second stage (macaron.late_interaction),
    # encrypted like its text: they are derived from it. Filled in the background after the
    # memory is written (`memories_late_encode`) and cleared when its text changes.
    late_ct = models.BinaryField(null=True)

    class Meta:
        indexes = [
            models.Index(fields=["user", "-created_at"]),
            models.Index(
                fields=["forgotten_at"],
                condition=Q(forgotten_at__isnull=False),
                name="memory_trashed",
            ),
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
            # the English memories whose token vectors are still to be computed
            models.Index(
                fields=["user"],
                condition=Q(late_ct__isnull=True, language="en", forgotten_at__isnull=True),
                name="memory_late_pending",
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


class AuditImmutableError(Exception):
    """Audit records are append-only: the ORM refuses to change or delete them."""


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AuditImmutableError("Audit records cannot be changed.")

    def delete(self):
        raise AuditImmutableError("Audit records cannot be deleted.")


class AuditEvent(models.Model):
    """Who read or changed what, and why. Holds ids and purposes, never content.

    Append-only and hash-chained per stream (`memory.privacy.audit`): `hash` is the SHA-256 of
    the record's canonical form, which includes the previous record's hash. A database trigger
    refuses UPDATE and DELETE except for the two pruning paths (compaction, erasure)."""

    class Actor(models.TextChoices):
        PERSON = "person", _("person")
        COMPANION = "companion", _("companion")
        SUBAGENT = "subagent", _("sub-agent")
        STAFF = "staff", _("staff")
        SYSTEM = "system", _("system")

    stream = models.CharField(max_length=40)
    sequence = models.BigIntegerField()
    # Not a foreign key: deleting an account must not rewrite (SET NULL) the chained records.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    actor_type = models.CharField(max_length=16, choices=Actor.choices, default=Actor.SYSTEM)
    subject_user_id = models.BigIntegerField(null=True)
    action = models.CharField(max_length=32)
    purpose = models.CharField(max_length=120)
    memory_ids = ArrayField(models.BigIntegerField(), default=list)
    detail = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    prev_hash = models.CharField(max_length=64, blank=True)
    hash = models.CharField(max_length=64)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["stream", "sequence"], name="auditevent_stream_seq")
        ]
        indexes = [
            models.Index(fields=["subject_user_id", "-created_at"], name="auditevent_subject_at"),
        ]

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AuditImmutableError("Audit records cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AuditImmutableError("Audit records cannot be deleted.")


class AuditStream(models.Model):
    """The head of one audit chain: its last sequence and hash. Appending locks this row, so
    two writers of the same stream take turns; `audit_verify` checks the chain ends here."""

    stream = models.CharField(max_length=40, primary_key=True)
    sequence = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64, blank=True)


class RetrievalLog(models.Model):
    """One retrieve() call, for learning: the candidates re-scored (best first), their feature
    vectors (float16, `memory.learning.features`), the scores, which were shown, the policy and
    the purpose. Never the query's text. Pruned after LEARNING_LOG_DAYS (`learning.prune_logs`)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    purpose = models.CharField(max_length=16)
    policy = models.CharField(max_length=48)
    feature_set = models.PositiveSmallIntegerField()
    candidate_ids = ArrayField(models.BigIntegerField(), default=list)
    shown_ids = ArrayField(models.BigIntegerField(), default=list)
    features = models.BinaryField()
    scores = models.BinaryField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["user", "-created_at"]),
            models.Index(fields=["created_at"]),
        ]


class RewardEvent(models.Model):
    """A retrieval outcome that the gating fit learns from, tied to the retrieval that showed
    the memory when one is logged."""

    class Source(models.TextChoices):
        THUMBS = "thumbs", _("Thumbs up or down")
        USED = "used", _("Used in a reply")
        CONTINUED = "continued", _("Used in a reply the person continued from")
        CORRECTION = "correction", _("Corrected by the person")
        SUBAGENT = "subagent", _("Sub-agent task completed after a recommendation")
        EDITED = "edited", _("Edited by the person")
        FORGOTTEN = "forgotten", _("Forgotten by the person")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    memory = models.ForeignKey(Memory, on_delete=models.CASCADE)
    retrieval = models.ForeignKey(
        RetrievalLog, null=True, blank=True, on_delete=models.SET_NULL, related_name="rewards"
    )
    signal = models.CharField(max_length=16)
    source = models.CharField(max_length=16, choices=Source.choices, blank=True)
    reward = models.FloatField()
    features = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["user", "id"])]


class GatingPolicy(models.Model):
    """A version of the global prior: hand-set or learned, its weights (`memory.learning.policy`
    JSON), its measured effect, and whether it is the active one (one at a time)."""

    class Kind(models.TextChoices):
        HAND = "hand", _("Hand-set")
        LEARNED = "learned", _("Learned")

    version = models.PositiveIntegerField(unique=True)
    kind = models.CharField(max_length=8, choices=Kind.choices)
    weights = models.JSONField()
    effect = models.JSONField(default=dict, blank=True)
    active = models.BooleanField(default=False)
    note = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    activated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["active"], condition=Q(active=True), name="gatingpolicy_one_active"
            )
        ]
        ordering = ["-version"]


class PersonPolicy(models.Model):
    """A person's small adjustment to the prior, fitted from their reward events
    (`learning.fit_person_policies`): log-space deltas per feature, bounded in norm."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    adjustment = models.JSONField(default=dict)
    last_event_id = models.BigIntegerField(default=0)  # reward events up to here are counted
    events = models.PositiveIntegerField(default=0)
    fitted_at = models.DateTimeField(default=timezone.now)


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


class TransferJob(TimeStampedModel):
    """An export or an import of a person's data, built or restored by a worker.

    The archive file lives under settings.DATA_TRANSFER_DIR, encrypted with the person's key;
    `file_name` is its name there. An export's download link carries a random token of which
    only the SHA-256 is kept; it works once, until `expires_at`."""

    class Kind(models.TextChoices):
        EXPORT = "export"
        IMPORT = "import"

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    public_id = models.UUIDField(unique=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="transfer_jobs"
    )
    # staff who asked on the person's behalf (None: the person themself)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(max_length=8, choices=Kind.choices)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    progress = models.FloatField(default=0.0)
    error = models.CharField(max_length=300, blank=True)  # a safe message, never content
    file_name = models.CharField(max_length=80, blank=True)
    archive_sha256 = models.CharField(max_length=64, blank=True)
    token_digest = models.CharField(max_length=64, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    downloaded_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    counts = models.JSONField(default=dict, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["user", "kind", "-created_at"], name="transfer_user_kind"),
            models.Index(
                fields=["expires_at"],
                condition=Q(expires_at__isnull=False),
                name="transfer_expiring",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(progress__gte=0, progress__lte=1), name="transfer_progress_0_1"
            )
        ]
