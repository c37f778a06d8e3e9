"""Sub-agents: requests the companion routed here, and the curated blueprint catalogue the
builder adapts."""

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from pgvector.django import VectorField

from macaron.models import TimeStampedModel

EMBEDDING_DIM = 384


class RoutedRequest(TimeStampedModel):
    """A need the companion handed to a sub-agent (or the builder): what was asked, encrypted,
    and which memories were passed along as preferences (ids only)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    intent = models.CharField(max_length=40)
    text_ct = models.BinaryField()
    preference_ids = ArrayField(models.BigIntegerField(), default=list, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "-created_at"])]


class Installation(TimeStampedModel):
    """A sub-agent a person installed, pinned to the spec they installed.

    The spec is stored encrypted with the person's vault cipher (a built spec can carry personal
    adaptations: an allergy in the persona, a medicine name in the choices). Only non-personal
    metadata is in clear: the spec version, where it came from, the state and the settings.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="installations"
    )
    spec_ct = models.BinaryField()
    spec_version = models.PositiveSmallIntegerField()
    # "builder", "catalogue:<slug>" or "community:<blueprint slug>@<semantic version>".
    source = models.CharField(max_length=120)
    # A token the client sends with an install so a double submit installs once.
    client_token = models.CharField(max_length=64, blank=True, default="")
    paused = models.BooleanField(default=False)
    # {"goals": {"<goal index>": target}, "reminders": {"<reminder index>": ["HH:MM", ...]}}
    settings = models.JSONField(default=dict, blank=True)
    installed_at = models.DateTimeField()
    uninstalled_at = models.DateTimeField(null=True, blank=True)
    # The reminders' schedules in clear (kinds, times, weekdays; never the messages) so the
    # beat job finds due ones without decrypting anything; the next slot is precomputed.
    schedule = models.JSONField(default=list, blank=True)
    # The spec and source before the last upgrade (encrypted like spec_ct), for the rollback.
    previous_spec_ct = models.BinaryField(null=True, blank=True)
    previous_source = models.CharField(max_length=120, blank=True, default="")
    next_reminder_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["user", "uninstalled_at", "installed_at"]),
            models.Index(
                fields=["next_reminder_at"],
                condition=models.Q(paused=False, uninstalled_at__isnull=True),
                name="installation_reminder_due",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "client_token"],
                condition=~models.Q(client_token=""),
                name="installation_once_per_client_token",
            )
        ]


class Entry(TimeStampedModel):
    """One logged entry; its values (JSON) are encrypted like every other thing a person typed.
    Charts decrypt one installation's entries and aggregate them in Python."""

    installation = models.ForeignKey(Installation, on_delete=models.CASCADE, related_name="entries")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    occurred_at = models.DateTimeField()
    values_ct = models.BinaryField()
    client_token = models.CharField(max_length=64, blank=True, default="")
    # The same level and rules as a memory's (memory.privacy.policies); the level defaults from
    # the sub-agent's domains (health and finance are private, the sensitive level).
    privacy = models.CharField(max_length=16, default="normal")
    policy = models.JSONField(default=dict, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["installation", "occurred_at"]),
            models.Index(fields=["user", "occurred_at"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["installation", "client_token"],
                condition=~models.Q(client_token=""),
                name="entry_once_per_client_token",
            )
        ]


class ReminderFire(models.Model):
    """A reminder slot of an installation that was raised (once per slot, whatever beat does).
    A raised, not dismissed fire is a notification; its text comes from the spec."""

    installation = models.ForeignKey(
        Installation, on_delete=models.CASCADE, related_name="reminder_fires"
    )
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    reminder_index = models.PositiveSmallIntegerField()
    slot_at = models.DateTimeField()  # the scheduled moment, UTC
    raised_at = models.DateTimeField()
    dismissed_at = models.DateTimeField(null=True, blank=True)
    acted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "dismissed_at", "-slot_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["installation", "reminder_index", "slot_at"], name="reminder_fire_once"
            )
        ]


class ChatMessage(models.Model):
    """A message of a tool's own small chat; the text is encrypted. A reply that logged an
    entry points at it, for the undo."""

    class Role(models.TextChoices):
        PERSON = "person"
        TOOL = "tool"

    installation = models.ForeignKey(
        Installation, on_delete=models.CASCADE, related_name="chat_messages"
    )
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    role = models.CharField(max_length=8, choices=Role.choices)
    text_ct = models.BinaryField()
    entry = models.ForeignKey(Entry, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["installation", "created_at"])]


class CatalogueBlueprint(TimeStampedModel):
    """A curated blueprint mirrored from the shipped files (subagents/catalogue/*.json), with
    the embedding the builder matches requests against. Re-synced by `catalogue_load`."""

    slug = models.SlugField(max_length=60, unique=True)
    group = models.CharField(max_length=30)
    keywords = ArrayField(models.CharField(max_length=60), default=list, blank=True)
    spec = models.JSONField()
    digest = models.CharField(max_length=32)  # of keywords + spec: changes trigger re-embedding
    embedding = VectorField(dimensions=EMBEDDING_DIM, null=True, blank=True)
    embedding_model = models.CharField(max_length=80, blank=True)

    class Meta:
        ordering = ["slug"]

    def __str__(self) -> str:
        return self.slug
