"""Notifications and upcoming reminders over REST. A notification is a raised reminder; someone
else's reminder id is a 404."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from macaron.api import PAGE_PARAMETERS, Pagination
from memory.companion.reminders import (
    notifications_for,
    reminder_dismiss,
    upcoming_reminders_for,
)


class ReminderOutput(serializers.Serializer):
    id = serializers.IntegerField()
    memory_id = serializers.IntegerField()
    state = serializers.CharField()
    text = serializers.CharField(help_text="What the companion says")
    memory_text = serializers.CharField(help_text="What the person said")
    when = serializers.CharField(help_text="The date of the event, in the person's language")
    due_at = serializers.DateTimeField()
    raised_at = serializers.DateTimeField(allow_null=True)


class DismissOutput(serializers.Serializer):
    id = serializers.IntegerField()
    state = serializers.CharField()
    dismissed_at = serializers.DateTimeField()


def _paginated(view, request, items):
    paginator = Pagination()
    page = paginator.paginate_queryset(items, request, view=view)
    return paginator.get_paginated_response(ReminderOutput(page, many=True).data)


class NotificationListApi(APIView):
    pagination_class = Pagination  # the schema shows the paginated shape

    @extend_schema(parameters=PAGE_PARAMETERS, responses=ReminderOutput(many=True))
    def get(self, request, *args, **kwargs):
        return _paginated(self, request, notifications_for(user=request.user))


class NotificationDismissApi(APIView):
    @extend_schema(request=None, responses=DismissOutput)
    def post(self, request, reminder_id: int, *args, **kwargs):
        reminder = reminder_dismiss(user=request.user, reminder_id=reminder_id)
        return Response(DismissOutput(reminder).data)


class ReminderListApi(APIView):
    """Upcoming (scheduled) reminders, soonest first."""

    pagination_class = Pagination  # the schema shows the paginated shape

    @extend_schema(parameters=PAGE_PARAMETERS, responses=ReminderOutput(many=True))
    def get(self, request, *args, **kwargs):
        return _paginated(self, request, upcoming_reminders_for(user=request.user))
