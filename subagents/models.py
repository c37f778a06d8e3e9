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
