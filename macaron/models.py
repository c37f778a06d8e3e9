from django.conf import settings
from django.db import models


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class DataKey(TimeStampedModel):
    """A person's data key, stored only wrapped (AES-GCM) by the master key."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="data_key"
    )
    wrapped_key = models.BinaryField()
    master_key_id = models.CharField(max_length=64)

    class Meta:
        # Owned by the vault (macaron/vault.py) but kept in the memory app's state and table,
        # so moving it here needed no migration.
        app_label = "memory"


class Heartbeat(models.Model):
    """The last time a background part (the worker, through a beat-scheduled task) showed it was
    alive. /healthz reads it instead of sending a task on every call."""

    name = models.CharField(max_length=32, primary_key=True)
    seen_at = models.DateTimeField()
