"""Sub-agents. For now only the requests the companion routed here before the sub-agents and
their builder exist; the spec, installations and entries come with the builder."""

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models

from macaron.models import TimeStampedModel


class RoutedRequest(TimeStampedModel):
    """A need the companion handed to a sub-agent (or the builder): what was asked, encrypted,
    and which memories were passed along as preferences (ids only)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    intent = models.CharField(max_length=40)
    text_ct = models.BinaryField()
    preference_ids = ArrayField(models.BigIntegerField(), default=list, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "-created_at"])]
