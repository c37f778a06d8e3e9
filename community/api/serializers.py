"""Small input/output serializers for the community API; input serializers refuse unknown
fields."""

from rest_framework import serializers

from community.models import DESCRIPTION_MAX, TAG_MAX, TAGS_MAX, TITLE_MAX, Blueprint, Report
from community.selectors import SORTS
from macaron.api import JsonObjectField, StrictSerializer


class ListingInput(StrictSerializer):
    # Lengths are checked by the service (one place, with TooLarge for oversized text); the
    # caps here only bound what is parsed at all.
    title = serializers.CharField(max_length=TITLE_MAX * 4)
    description = serializers.CharField(
        max_length=DESCRIPTION_MAX * 4, required=False, allow_blank=True
    )
    tags = serializers.ListField(
        child=serializers.CharField(max_length=TAG_MAX * 4), max_length=TAGS_MAX * 4, required=False
    )
    language = serializers.CharField(max_length=8, required=False)
    category = serializers.CharField(max_length=40, required=False, allow_blank=True)
    cover_color = serializers.RegexField(r"^#[0-9a-fA-F]{6}$", max_length=7, required=False)
    cover_icon = serializers.CharField(max_length=8, required=False, allow_blank=True)
    visibility = serializers.ChoiceField(choices=Blueprint.Visibility.values, required=False)


class PublishInput(ListingInput):
    spec = JsonObjectField()
    version = serializers.CharField(max_length=32, required=False)
    changelog = serializers.CharField(max_length=2000, required=False, allow_blank=True)
    confirmed = serializers.BooleanField(required=False, default=False)


class ForkInput(StrictSerializer):
    spec = JsonObjectField(required=False)
    title = serializers.CharField(max_length=TITLE_MAX * 4, required=False)
    description = serializers.CharField(
        max_length=DESCRIPTION_MAX * 4, required=False, allow_blank=True
    )
    visibility = serializers.ChoiceField(choices=Blueprint.Visibility.values, required=False)
    confirmed = serializers.BooleanField(required=False, default=False)


class VersionInput(StrictSerializer):
    version = serializers.CharField(max_length=32)
    spec = JsonObjectField()
    changelog = serializers.CharField(max_length=2000, required=False, allow_blank=True)
    confirmed = serializers.BooleanField(required=False, default=False)


class ImportInput(StrictSerializer):
    version = serializers.CharField(max_length=32, required=False)
    # Consent per memory domain the spec reads; omitted: every domain it asks for.
    allowed_domains = serializers.ListField(
        child=serializers.CharField(max_length=20), max_length=9, required=False
    )


class RatingInput(StrictSerializer):
    value = serializers.IntegerField(min_value=1, max_value=5)
    comment = serializers.CharField(max_length=1000, required=False, allow_blank=True)


class ReportInput(StrictSerializer):
    reason = serializers.ChoiceField(choices=Report.Reason.values)
    note = serializers.CharField(max_length=1000, required=False, allow_blank=True)


class ListQuery(StrictSerializer):
    sort = serializers.ChoiceField(choices=SORTS, required=False, default="trending")
    q = serializers.CharField(max_length=300, required=False, allow_blank=True)
    category = serializers.CharField(max_length=40, required=False, allow_blank=True)
    tag = serializers.CharField(max_length=30, required=False, allow_blank=True)


class RecommendQuery(StrictSerializer):
    sentence = serializers.CharField(max_length=300)


class BlueprintOutput(serializers.Serializer):
    slug = serializers.CharField()
    title = serializers.CharField()
    description = serializers.CharField()
    tags = serializers.ListField(child=serializers.CharField())
    language = serializers.CharField()
    category = serializers.CharField()
    cover_color = serializers.CharField()
    cover_icon = serializers.CharField()
    visibility = serializers.CharField()
    status = serializers.SerializerMethodField()
    author = serializers.SerializerMethodField()
    parent = serializers.SerializerMethodField()
    depth = serializers.IntegerField()
    published_at = serializers.DateTimeField()

    def get_status(self, obj) -> str:
        return "removed" if obj.is_removed else "active"

    def get_author(self, obj) -> str | None:
        return obj.author.name if obj.author_id else None

    def get_parent(self, obj) -> str | None:
        parent = obj.parent
        if parent is None or parent.visibility == Blueprint.Visibility.PRIVATE or parent.hidden:
            return None
        return parent.slug


class VersionOutput(serializers.Serializer):
    version = serializers.CharField()
    changelog = serializers.CharField()
    created_at = serializers.DateTimeField()
    spec = JsonObjectField()


class StatsOutput(serializers.Serializer):
    imports = serializers.IntegerField()
    active_users_7d = serializers.IntegerField()
    rating = serializers.FloatField(allow_null=True)
    ratings = serializers.IntegerField()
    forks = serializers.IntegerField()


class ImportOutput(serializers.Serializer):
    blueprint = serializers.CharField(source="blueprint.slug")
    version = serializers.CharField(source="version.version")
    consented_domains = serializers.ListField(child=serializers.CharField())
    created_at = serializers.DateTimeField()


class RatingOutput(serializers.Serializer):
    value = serializers.IntegerField()
    updated_at = serializers.DateTimeField()


class ReportOutput(serializers.Serializer):
    id = serializers.IntegerField()
    reason = serializers.CharField()
    state = serializers.CharField()


class ReportQueueOutput(serializers.Serializer):
    id = serializers.IntegerField()
    blueprint = serializers.CharField(source="blueprint.slug")
    reason = serializers.CharField()
    state = serializers.CharField()
    created_at = serializers.DateTimeField()


class ResolveInput(StrictSerializer):
    resolution = serializers.ChoiceField(choices=["dismissed", "hidden", "suspended"])


class HideInput(StrictSerializer):
    hidden = serializers.BooleanField(default=True)
