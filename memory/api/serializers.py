"""Small input/output serializers for the memory API; input serializers refuse unknown fields."""

from datetime import UTC, date

from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from macaron.api import StrictSerializer
from memory.models import Memory
from memory.retrieval.domains import DOMAINS
from memory.retrieval.search import MAX_K, MAX_QUERY_CHARS
from memory.services import FEEDBACK_REWARDS

MAX_BULK_IDS = 1_000
MAX_BUDGET = 20_000
MAX_ID = 2**63 - 1
# Days a date filter may name: a day's start and end exist as datetimes in every time zone.
FIRST_DAY, LAST_DAY = date(1, 1, 2), date(9999, 12, 30)


def choice(choices, **kwargs) -> serializers.ChoiceField:
    """A choice field whose error does not echo what was sent."""
    return serializers.ChoiceField(
        choices=choices, error_messages={"invalid_choice": "Not a valid choice."}, **kwargs
    )


@extend_schema_field({"type": "string", "anyOf": [{"format": "date"}, {"format": "date-time"}]})
class DayOrMomentField(serializers.Field):
    """An ISO 8601 date (`2024-05-08`, the whole day) or date-time (`2024-05-08T09:30`)."""

    default_error_messages = {
        "invalid": "Use an ISO 8601 date such as 2024-05-08 or a date-time such as "
        "2024-05-08T09:30:00+00:00."
    }

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        try:
            day = parse_date(data)  # first: parse_datetime reads a bare date as midnight
            moment = None if day else parse_datetime(data)
        except ValueError:  # well-formed but impossible, e.g. 2024-02-30
            self.fail("invalid")
        if day is not None:
            if not FIRST_DAY <= day <= LAST_DAY:  # its bounds in some zones are not a datetime
                self.fail("invalid")
            return day
        if moment is None:
            self.fail("invalid")
        try:  # in UTC: the database refuses offsets beyond ±15:59, Python years beyond 1..9999
            moment = (
                moment if timezone.is_aware(moment) else timezone.make_aware(moment)
            ).astimezone(UTC)
        except (OverflowError, ValueError):
            self.fail("invalid")
        if not FIRST_DAY <= moment.date() <= LAST_DAY:
            self.fail("invalid")
        return moment

    def to_representation(self, value):
        return value.isoformat()


class MemoryListQuery(serializers.Serializer):
    """Query-string filters (not strict: `page` and `page_size` belong to the paginator)."""

    q = serializers.CharField(required=False, allow_blank=True, max_length=MAX_QUERY_CHARS)
    domain = choice(DOMAINS, required=False)
    kind = choice(Memory.Kind.choices, required=False)
    since = DayOrMomentField(required=False)
    until = DayOrMomentField(required=False)
    pinned = serializers.BooleanField(required=False, allow_null=True, default=None)
    include_history = serializers.BooleanField(required=False, default=False)

    def validate(self, attrs):
        since, until = attrs.get("since"), attrs.get("until")
        comparable = since is not None and until is not None and type(since) is type(until)
        if comparable and since > until:
            raise serializers.ValidationError({"until": ["Must not be before since."]})
        return attrs


class SourceOutput(serializers.Serializer):
    message_id = serializers.IntegerField(allow_null=True)
    external_id = serializers.CharField()
    said_at = serializers.DateTimeField(allow_null=True)
    conversation_id = serializers.IntegerField(allow_null=True)


class MemoryOutput(serializers.Serializer):
    id = serializers.IntegerField()
    text = serializers.CharField()
    kind = serializers.CharField()
    source = serializers.CharField()
    domains = serializers.ListField(child=serializers.CharField())
    language = serializers.CharField()
    created_at = serializers.DateTimeField()
    valid_from = serializers.DateTimeField()
    valid_to = serializers.DateTimeField(allow_null=True)
    event_time = serializers.DateTimeField(allow_null=True)
    importance = serializers.FloatField()
    strength = serializers.FloatField()
    recall_count = serializers.IntegerField()
    pinned = serializers.BooleanField()
    privacy = serializers.CharField()
    policy = serializers.DictField()
    locked = serializers.BooleanField()  # needs a step-up: text and sources are withheld
    # With `q`: above the relevance floor (relevant ones come first), and the words of the
    # text that hold a query term. Without `q` every memory is relevant and nothing matched.
    relevant = serializers.BooleanField()
    matched_terms = serializers.ListField(child=serializers.CharField())


class MemoryDetailOutput(MemoryOutput):
    sources = SourceOutput(many=True)


class MemoryCreateInput(StrictSerializer):
    # No max_length: the service answers an over-long text with 413, not 400.
    text = serializers.CharField()
    privacy = choice(Memory.Privacy.choices, required=False)  # absent: the domains' default
    pinned = serializers.BooleanField(required=False, default=False)


class MemoryUpdateInput(StrictSerializer):
    text = serializers.CharField(required=False)
    pinned = serializers.BooleanField(required=False)
    privacy = choice(Memory.Privacy.choices, required=False)
    policy = serializers.DictField(required=False)  # rules are checked by the service
    domains = serializers.ListField(
        child=choice(DOMAINS), required=False, allow_empty=True, max_length=len(DOMAINS)
    )


class ForgetInput(StrictSerializer):
    ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID),
        allow_empty=False,
        max_length=MAX_BULK_IDS,
    )


class ForgetOutput(serializers.Serializer):
    forgotten = serializers.IntegerField()  # moved to the trash (restorable for trash_days)
    trash_days = serializers.IntegerField()


class RestoreInput(ForgetInput):
    pass


class RestoreOutput(serializers.Serializer):
    restored = serializers.ListField(child=serializers.IntegerField())


class TrashedOutput(serializers.Serializer):
    id = serializers.IntegerField(source="memory.id")
    text = serializers.CharField(source="memory.text")
    kind = serializers.CharField(source="memory.kind")
    locked = serializers.BooleanField(source="memory.locked")
    forgotten_at = serializers.DateTimeField(source="memory.forgotten_at")
    erase_at = serializers.DateTimeField()
    days_left = serializers.IntegerField()


class FeedbackInput(StrictSerializer):
    signal = choice(list(FEEDBACK_REWARDS))


class FeedbackOutput(serializers.Serializer):
    id = serializers.IntegerField()
    memory_id = serializers.IntegerField()
    signal = serializers.CharField()
    reward = serializers.FloatField()
    created_at = serializers.DateTimeField()


class SearchInput(StrictSerializer):
    query = serializers.CharField(max_length=MAX_QUERY_CHARS)
    k = serializers.IntegerField(required=False, default=10, min_value=1, max_value=MAX_K)
    budget = serializers.IntegerField(
        required=False, default=800, allow_null=True, min_value=1, max_value=MAX_BUDGET
    )
    domains = serializers.ListField(
        child=choice(DOMAINS), required=False, allow_empty=True, max_length=len(DOMAINS)
    )


class SearchHitOutput(serializers.Serializer):
    id = serializers.IntegerField()
    text = serializers.CharField()
    score = serializers.FloatField()
    kind = serializers.CharField()
    domains = serializers.ListField(child=serializers.CharField())
    event = serializers.CharField(allow_null=True, help_text="The event's date, e.g. 7 May 2024")
    external_ids = serializers.ListField(child=serializers.CharField())
    said_at = serializers.DateTimeField(help_text="When the person said it")


class SearchOutput(serializers.Serializer):
    time_range = serializers.CharField(allow_null=True)
    results = SearchHitOutput(many=True)
