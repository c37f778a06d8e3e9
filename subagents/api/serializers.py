"""Small input and output serializers of the sub-agent API (one per endpoint)."""

from rest_framework import serializers

from macaron.api import StrictSerializer
from memory.api.serializers import choice
from memory.models import Memory


class InstallationCreateInput(StrictSerializer):
    spec = serializers.JSONField()
    source = serializers.CharField(max_length=120)
    client_token = serializers.CharField(max_length=64, required=False, allow_blank=True)


class InstallationOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    description = serializers.CharField()
    icon = serializers.CharField()
    color = serializers.CharField()
    source = serializers.CharField()
    spec_version = serializers.IntegerField()
    paused = serializers.BooleanField()
    installed_at = serializers.DateTimeField()
    uninstalled_at = serializers.DateTimeField(allow_null=True)
    entry_count = serializers.IntegerField()


class InstallationDetailOutput(InstallationOutput):
    spec = serializers.JSONField()
    settings = serializers.JSONField()


class ToolSettingsInput(StrictSerializer):
    goals = serializers.DictField(child=serializers.JSONField(), required=False)
    reminders = serializers.DictField(child=serializers.JSONField(), required=False)
    paused = serializers.BooleanField(required=False)


class EntryCreateInput(StrictSerializer):
    values = serializers.JSONField()
    occurred_at = serializers.CharField(max_length=40, required=False, allow_blank=True)
    client_token = serializers.CharField(max_length=64, required=False, allow_blank=True)


class EntryUpdateInput(StrictSerializer):
    """A partial update: the values (and time), the privacy level, the rules, or several."""

    values = serializers.JSONField(required=False)
    occurred_at = serializers.CharField(max_length=40, required=False, allow_blank=True)
    privacy = choice(Memory.Privacy.choices, required=False)  # the same levels as a memory's
    policy = serializers.JSONField(required=False)

    def validate(self, attrs):
        if not attrs:
            raise serializers.ValidationError("Give values, privacy or policy.")
        if "occurred_at" in attrs and "values" not in attrs:
            raise serializers.ValidationError({"occurred_at": ["Only with values."]})
        return attrs


class EntryOutput(serializers.Serializer):
    id = serializers.IntegerField()
    occurred_at = serializers.DateTimeField()
    values = serializers.JSONField()  # empty while locked
    privacy = serializers.CharField()
    policy = serializers.JSONField()
    locked = serializers.BooleanField()  # needs a step-up: the values are withheld


class ToolChatInput(StrictSerializer):
    text = serializers.CharField(max_length=2000)


class ToolReminderOutput(serializers.Serializer):
    id = serializers.IntegerField()
    installation = serializers.IntegerField()
    name = serializers.CharField()
    icon = serializers.CharField()
    message = serializers.CharField()
    slot_at = serializers.DateTimeField()


class ToolReminderDismissInput(StrictSerializer):
    acted = serializers.BooleanField(required=False, default=False)


class ToolChatLineOutput(serializers.Serializer):
    id = serializers.IntegerField()
    role = serializers.CharField()
    text = serializers.CharField()
    entry_id = serializers.IntegerField(allow_null=True)
    created_at = serializers.DateTimeField()
    locked = serializers.BooleanField()  # about an entry that needs a step-up: no text
