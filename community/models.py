"""Community: published sub-agent blueprints, their versions and lineage, feedback, usage and
stored ranking scores. Models hold fields and invariants only; behaviour lives in services.

Published content (title, description, tags, spec) is public by nature and stored in clear so it
can be searched; what a person types privately (rating comments, report notes) goes through the
vault with that person's key.
"""

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from pgvector.django import HnswIndex, VectorField

from macaron.models import TimeStampedModel

EMBEDDING_DIM = 384
TITLE_MAX = 80
DESCRIPTION_MAX = 2000
CHANGELOG_MAX = 2000
TAGS_MAX = 10
TAG_MAX = 30


class Blueprint(TimeStampedModel):
    """A published sub-agent. `parent` is the blueprint it was forked from, `root` the first
    ancestor of its lineage (itself for a root). Never deleted: an unpublished blueprint stays in
    the tree as "removed". When its author is erased it stays either published without an author
    (shown as by a former member) or as an anonymised removed tombstone, as the author chose."""

    class Visibility(models.TextChoices):
        PRIVATE = "private", _("Private")
        UNLISTED = "unlisted", _("Unlisted")
        PUBLIC = "public", _("Public")

    class Status(models.TextChoices):
        ACTIVE = "active"
        REMOVED = "removed"

    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="blueprints",
    )
    slug = models.SlugField(max_length=100, unique=True)
    title = models.CharField(max_length=TITLE_MAX)
    description = models.TextField(max_length=DESCRIPTION_MAX, blank=True)
    tags = ArrayField(models.CharField(max_length=TAG_MAX), default=list, blank=True)
    # The life domains its latest spec works with (the spec's "domains"), for recommendations.
    domains = ArrayField(models.CharField(max_length=20), default=list, blank=True)
    language = models.CharField(max_length=8, default="en")
    category = models.CharField(max_length=40, blank=True)
    cover_color = models.CharField(max_length=7, default="#6b7280")
    cover_icon = models.CharField(max_length=8, blank=True)
    visibility = models.CharField(
        max_length=8, choices=Visibility.choices, default=Visibility.PUBLIC
    )
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.ACTIVE)
    hidden = models.BooleanField(default=False)  # a moderator took the listing down
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    root = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="lineage"
    )
    depth = models.PositiveIntegerField(default=0)
    # How much the first version's spec differs from the parent's (changed leaves), for
    # damping the credit a child sends up its lineage.
    parent_diff = models.PositiveIntegerField(default=0)
    embedding = VectorField(dimensions=EMBEDDING_DIM, null=True)
    published_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        permissions = [("moderate_community", "Can moderate the community")]
        constraints = [
            # A parent is always an older row (ids only grow): any cycle would need one edge
            # pointing to a newer row, so lineage cycles are impossible in the database itself.
            models.CheckConstraint(
                condition=Q(parent__isnull=True) | Q(parent__lt=F("id")),
                name="blueprint_parent_is_older",
            ),
            models.CheckConstraint(
                condition=Q(parent__isnull=True, depth=0) | Q(parent__isnull=False, depth__gt=0),
                name="blueprint_depth_matches_parent",
            ),
        ]
        indexes = [
            models.Index(fields=["visibility", "status", "hidden"]),
            models.Index(fields=["root"]),
            GinIndex(fields=["tags"]),
            GinIndex(fields=["domains"], name="blueprint_domains_gin"),
            HnswIndex(
                name="blueprint_embedding_hnsw",
                fields=["embedding"],
                m=16,
                ef_construction=64,
                opclasses=["vector_cosine_ops"],
            ),
        ]

    def __str__(self) -> str:
        return self.slug

    @property
    def is_removed(self) -> bool:
        return self.status == self.Status.REMOVED


class BlueprintVersion(models.Model):
    blueprint = models.ForeignKey(Blueprint, on_delete=models.CASCADE, related_name="versions")
    version = models.CharField(max_length=32)
    major = models.PositiveIntegerField()
    minor = models.PositiveIntegerField()
    patch = models.PositiveIntegerField()
    spec = models.JSONField()
    changelog = models.TextField(max_length=CHANGELOG_MAX, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["blueprint", "version"], name="version_unique"),
            models.UniqueConstraint(
                fields=["blueprint", "major", "minor", "patch"], name="version_triple_unique"
            ),
        ]
        ordering = ["blueprint", "-major", "-minor", "-patch"]


class Import(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    blueprint = models.ForeignKey(Blueprint, on_delete=models.CASCADE, related_name="imports")
    version = models.ForeignKey(BlueprintVersion, on_delete=models.PROTECT)
    created_at = models.DateTimeField(default=timezone.now)
    uninstalled_at = models.DateTimeField(null=True, blank=True)
    counts = models.BooleanField(default=True)  # False for the author's own import
    # The memory domains the person allowed the installed copy to read (of those it asks for).
    consented_domains = ArrayField(models.CharField(max_length=20), default=list, blank=True)
    # The installed copy (upgrades and rollbacks move it between versions).
    installation = models.ForeignKey(
        "subagents.Installation", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        indexes = [models.Index(fields=["blueprint", "created_at"]), models.Index(fields=["user"])]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "blueprint"],
                condition=Q(uninstalled_at__isnull=True),
                name="one_live_import_per_blueprint",
            )
        ]


class Rating(TimeStampedModel):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    blueprint = models.ForeignKey(Blueprint, on_delete=models.CASCADE, related_name="ratings")
    value = models.PositiveSmallIntegerField()
    comment_ct = models.BinaryField(null=True)  # encrypted with the rater's key
    counts = models.BooleanField(default=True)  # False for the author's own rating

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "blueprint"], name="one_rating_per_person"),
            models.CheckConstraint(condition=Q(value__gte=1, value__lte=5), name="rating_1_5"),
        ]


class Collaborator(TimeStampedModel):
    """A person the owner invited to edit the blueprint and publish its versions (the right
    itself is a django-guardian object permission; this row lists who and since when)."""

    blueprint = models.ForeignKey(Blueprint, on_delete=models.CASCADE, related_name="collaborators")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["blueprint", "user"], name="collaborator_once")
        ]


class Report(TimeStampedModel):
    class Reason(models.TextChoices):
        SPAM = "spam", _("Spam")
        HARMFUL = "harmful", _("Harmful")
        PERSONAL_DATA = "personal_data", _("Personal Data")
        OFFENSIVE = "offensive", _("Offensive")
        OTHER = "other", _("Other")

    class State(models.TextChoices):
        OPEN = "open"
        RESOLVED = "resolved"

    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    blueprint = models.ForeignKey(Blueprint, on_delete=models.CASCADE, related_name="reports")
    reason = models.CharField(max_length=16, choices=Reason.choices)
    note_ct = models.BinaryField(null=True)  # encrypted with the reporter's key
    state = models.CharField(max_length=8, choices=State.choices, default=State.OPEN)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolution = models.CharField(max_length=16, blank=True)

    class Meta:
        indexes = [models.Index(fields=["state", "created_at"])]


class UsageEvent(models.Model):
    """Append-only raw usage; one cheap insert per event, aggregated later by Celery."""

    class Kind(models.TextChoices):
        OPEN = "open"
        ENTRY = "entry"
        REMINDER_ACTED = "reminder_acted"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    blueprint = models.ForeignKey(Blueprint, on_delete=models.CASCADE)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    count = models.PositiveIntegerField(default=1)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["at"])]


class ActiveDay(models.Model):
    """One person active on one blueprint on one day (the de-duplicated usage), rebuilt from
    UsageEvent by the aggregation job."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    blueprint = models.ForeignKey(Blueprint, on_delete=models.CASCADE)
    day = models.DateField()
    opens = models.PositiveIntegerField(default=0)
    entries = models.PositiveIntegerField(default=0)
    reminders_acted = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "blueprint", "day"], name="active_day_unique")
        ]
        indexes = [models.Index(fields=["day"]), models.Index(fields=["user", "day"])]


class DailyUsage(models.Model):
    """Per-blueprint daily counters, authors excluded (idempotent upsert per day)."""

    blueprint = models.ForeignKey(Blueprint, on_delete=models.CASCADE, related_name="daily")
    day = models.DateField()
    unique_users = models.PositiveIntegerField(default=0)
    weighted_users = models.FloatField(default=0.0)
    entries = models.PositiveIntegerField(default=0)
    opens = models.PositiveIntegerField(default=0)
    reminders_acted = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["blueprint", "day"], name="daily_usage_unique")
        ]
        indexes = [models.Index(fields=["day"])]


class Score(models.Model):
    """A blueprint's ranking on one day, with the numbers that produced it."""

    blueprint = models.ForeignKey(Blueprint, on_delete=models.CASCADE, related_name="scores")
    day = models.DateField()
    computed_at = models.DateTimeField(default=timezone.now)
    trending = models.FloatField()
    top = models.FloatField()
    rising = models.FloatField()
    components = models.JSONField(default=dict)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["blueprint", "day"], name="score_unique")]
        indexes = [models.Index(fields=["day", "-trending"])]
