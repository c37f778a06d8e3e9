"""Sub-agents over REST, owner-only: thin views that validate, call a service or selector and
answer with an output serializer. Someone else's installation or entry id is always a 404."""

from dataclasses import asdict

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from macaron.api import PAGE, pages_of, results_of
from macaron.errors import DomainError
from memory.privacy.readers import person_reader
from subagents.api.serializers import (
    EntryCreateInput,
    EntryOutput,
    EntryUpdateInput,
    InstallationCreateInput,
    InstallationDetailOutput,
    InstallationOutput,
    ToolChatInput,
    ToolChatLineOutput,
    ToolReminderDismissInput,
    ToolReminderOutput,
    ToolSettingsInput,
)
from subagents.chat import tool_chat_history, tool_chat_send, tool_chat_undo
from subagents.reminders import reminder_dismiss
from subagents.selectors import (
    entries_for_installation,
    entry_detail,
    installation_detail,
    installation_get,
    installation_spec,
    installation_views_data,
    installations_for_user,
    reminder_notifications_for,
)
from subagents.services import (
    entry_change,
    entry_create,
    entry_delete,
    installation_create,
    installation_settings_update,
    installation_uninstall,
    tool_opened,
)


def _detail(user, installation_id: int) -> dict:
    item = installation_detail(user=user, installation_id=installation_id)
    installation = installation_get(user=user, installation_id=installation_id)
    body = asdict(item)
    body["spec"] = installation_spec(installation)
    body["settings"] = installation.settings
    return InstallationDetailOutput(body).data


def _page_number(request) -> int:
    value = request.query_params.get("page", "1")
    if not (value.isascii() and value.isdigit()) or int(value) < 1:
        raise DomainError("page must be a positive number.", fields={"page": ["Invalid."]})
    return int(value)


class InstallationListQuery(serializers.Serializer):
    include_uninstalled = serializers.BooleanField(required=False, default=False)


class InstallationListApi(APIView):
    @extend_schema(
        operation_id="v1_subagents_installations_list",
        parameters=[InstallationListQuery],
        responses=results_of(InstallationOutput),
    )
    def get(self, request, *args, **kwargs):
        query = InstallationListQuery(data=request.query_params.dict())
        query.is_valid(raise_exception=True)
        items = installations_for_user(
            user=request.user, include_uninstalled=query.validated_data["include_uninstalled"]
        )
        return Response({"results": InstallationOutput(items, many=True).data})

    @extend_schema(request=InstallationCreateInput, responses={201: InstallationDetailOutput})
    def post(self, request, *args, **kwargs):
        data = InstallationCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        installation = installation_create(user=request.user, **data.validated_data)
        return Response(_detail(request.user, installation.id), status=status.HTTP_201_CREATED)


class InstallationDetailApi(APIView):
    @extend_schema(responses=InstallationDetailOutput)
    def get(self, request, installation_id: int, *args, **kwargs):
        tool_opened(user=request.user, installation_id=installation_id)
        return Response(_detail(request.user, installation_id))


class InstallationSettingsApi(APIView):
    @extend_schema(request=ToolSettingsInput, responses=InstallationDetailOutput)
    def patch(self, request, installation_id: int, *args, **kwargs):
        data = ToolSettingsInput(data=request.data)
        data.is_valid(raise_exception=True)
        installation_settings_update(
            user=request.user, installation_id=installation_id, **data.validated_data
        )
        return Response(_detail(request.user, installation_id))


class InstallationUninstallApi(APIView):
    @extend_schema(request=None, responses=InstallationDetailOutput)
    def post(self, request, installation_id: int, *args, **kwargs):
        installation_uninstall(user=request.user, installation_id=installation_id)
        return Response(_detail(request.user, installation_id))


class InstallationViewsApi(APIView):
    @extend_schema(responses=dict)
    def get(self, request, installation_id: int, *args, **kwargs):
        data = installation_views_data(
            user=request.user, installation_id=installation_id, reader=person_reader(request)
        )
        return Response(data)


class EntryListApi(APIView):
    @extend_schema(parameters=[PAGE], responses=pages_of(EntryOutput))
    def get(self, request, installation_id: int, *args, **kwargs):
        page = entries_for_installation(
            user=request.user,
            installation_id=installation_id,
            page=_page_number(request),
            reader=person_reader(request),
        )
        return Response(
            {
                "count": page.total,
                "page": page.page,
                "pages": page.pages,
                "results": EntryOutput(page.items, many=True).data,
            }
        )

    @extend_schema(request=EntryCreateInput, responses={201: EntryOutput})
    def post(self, request, installation_id: int, *args, **kwargs):
        data = EntryCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        entry = entry_create(
            user=request.user, installation_id=installation_id, **data.validated_data
        )
        item = entry_detail(
            user=request.user,
            entry_id=entry.id,
            reader=person_reader(request),
            refuse_locked=False,
        )
        return Response(EntryOutput(item).data, status=status.HTTP_201_CREATED)


class EntryDetailApi(APIView):
    @extend_schema(responses=EntryOutput)
    def get(self, request, entry_id: int, *args, **kwargs):
        item = entry_detail(user=request.user, entry_id=entry_id, reader=person_reader(request))
        return Response(EntryOutput(item).data)

    @extend_schema(request=EntryUpdateInput, responses=EntryOutput)
    def patch(self, request, entry_id: int, *args, **kwargs):
        data = EntryUpdateInput(data=request.data)
        data.is_valid(raise_exception=True)
        reader = person_reader(request)
        # changing a locked entry (even lowering its protection) needs the step-up first
        entry_detail(user=request.user, entry_id=entry_id, reader=reader)
        if data.validated_data:
            entry_change(user=request.user, entry_id=entry_id, **data.validated_data)
        item = entry_detail(
            user=request.user, entry_id=entry_id, reader=reader, refuse_locked=False
        )
        return Response(EntryOutput(item).data)

    @extend_schema(responses={204: None})
    def delete(self, request, entry_id: int, *args, **kwargs):
        entry_delete(user=request.user, entry_id=entry_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ReminderListApi(APIView):
    @extend_schema(responses=results_of(ToolReminderOutput))
    def get(self, request, *args, **kwargs):
        items = reminder_notifications_for(user=request.user)
        return Response({"results": ToolReminderOutput(items, many=True).data})


class ReminderDismissApi(APIView):
    @extend_schema(request=ToolReminderDismissInput, responses={204: None})
    def post(self, request, fire_id: int, *args, **kwargs):
        data = ToolReminderDismissInput(data=request.data)
        data.is_valid(raise_exception=True)
        reminder_dismiss(user=request.user, fire_id=fire_id, acted=data.validated_data["acted"])
        return Response(status=status.HTTP_204_NO_CONTENT)


class ChatApi(APIView):
    @extend_schema(responses=results_of(ToolChatLineOutput))
    def get(self, request, installation_id: int, *args, **kwargs):
        lines = tool_chat_history(
            user=request.user, installation_id=installation_id, reader=person_reader(request)
        )
        return Response({"results": ToolChatLineOutput(lines, many=True).data})

    @extend_schema(request=ToolChatInput, responses={201: ToolChatLineOutput})
    def post(self, request, installation_id: int, *args, **kwargs):
        data = ToolChatInput(data=request.data)
        data.is_valid(raise_exception=True)
        sent = tool_chat_send(
            user=request.user, installation_id=installation_id, text=data.validated_data["text"]
        )
        return Response(ToolChatLineOutput(sent.reply).data, status=status.HTTP_201_CREATED)


class ChatUndoApi(APIView):
    @extend_schema(request=None, responses={200: ToolChatLineOutput})
    def post(self, request, message_id: int, *args, **kwargs):
        return Response(
            ToolChatLineOutput(tool_chat_undo(user=request.user, message_id=message_id)).data
        )
