"""Small input and output serializers of the sub-agent API (one per endpoint)."""

from rest_framework import serializers

from macaron.api import JsonObjectField, StrictSerializer
from memory.api.serializers import choice
from memory.models import Memory

# A client token as given (blank is the other branch): letters, digits, - or _, as the service checks.
CLIENT_TOKEN_GIVEN = r"^[A-Za-z0-9_-]{1,64}$"


class InstallationCreateInput(StrictSerializer):
    spec = JsonObjectField()
    source = serializers.CharField(max_length=120)
    client_token = serializers.RegexField(
        CLIENT_TOKEN_GIVEN, max_length=64, required=False, allow_blank=True
    )


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
    """Goal targets by goal number, reminder times by reminder number (numbers of the tool's
    spec, which the service checks)."""

    goals = serializers.DictField(
        child=serializers.FloatField(min_value=0, max_value=1_000_000_000), required=False
    )
    reminders = serializers.DictField(
        child=serializers.ListField(
            child=serializers.RegexField(r"^([01][0-9]|2[0-3]):[0-5][0-9]$"),
            min_length=1,
            max_length=12,
        ),
        required=False,
    )
    paused = serializers.BooleanField(required=False)


class EntryCreateInput(StrictSerializer):
    values = JsonObjectField()
    occurred_at = serializers.CharField(max_length=40, required=False, allow_blank=True)
    client_token = serializers.RegexField(
        CLIENT_TOKEN_GIVEN, max_length=64, required=False, allow_blank=True
    )


class EntryUpdateInput(StrictSerializer):
    """A partial update: the values (and time), the privacy level, the rules, several, or
    none (nothing changes)."""

    values = JsonObjectField(required=False)
    occurred_at = serializers.CharField(max_length=40, required=False, allow_blank=True)
    privacy = choice(Memory.Privacy.choices, required=False)  # the same levels as a memory's
    policy = JsonObjectField(required=False)

    # What validate() refuses, in the schema: occurred_at only with values.
    schema_extra = {"not": {"required": ["occurred_at"], "not": {"required": ["values"]}}}

    def validate(self, attrs):
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
