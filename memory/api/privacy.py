"""The person's own access log over REST (`GET /api/v1/me/access-log/`), newest first."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.views import APIView

from macaron.api import PAGE_PARAMETERS, Pagination
from macaron.i18n import active_language
from memory.privacy.access_log import access_events, access_items
from memory.privacy.audit import Actor, AuditAction


class AccessLogOutput(serializers.Serializer):
    id = serializers.IntegerField()
    at = serializers.DateTimeField()
    day = serializers.DateField(allow_null=True, help_text="The day of a daily total of reads.")
    actor_type = serializers.ChoiceField(choices=Actor.choices)
    actor = serializers.CharField(help_text="Who, in words: 'Your companion', a tool's name…")
    action = serializers.ChoiceField(choices=AuditAction.choices)
    action_label = serializers.CharField()
    memory_ids = serializers.ListField(child=serializers.IntegerField())
    memory_count = serializers.IntegerField()
    reads = serializers.IntegerField(help_text="Reads this row stands for (a daily total: many).")
    purpose = serializers.CharField()


class AccessLogPage(serializers.Serializer):
    """The paginated answer, described as it is sent."""

    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = AccessLogOutput(many=True)


class AccessLogApi(APIView):
    """Who read the person's memories and what happened to their account: ids, never content."""

    @extend_schema(
        parameters=PAGE_PARAMETERS,
        responses=AccessLogPage,
    )
    def get(self, request, *args, **kwargs):
        paginator = Pagination()
        page = paginator.paginate_queryset(access_events(user=request.user), request, view=self)
        items = access_items(user=request.user, events=list(page or []), language=active_language())
        return paginator.get_paginated_response(AccessLogOutput(items, many=True).data)
