"""The chat over REST: conversations (list, search, start, rename, delete) and their messages.

Sending a message answers with the companion's reply, whole (201) or streamed as server-sent
events (`stream: true`):

    event: message   data: {"message": {...}}            the person's message, stored (and
                     "conversation_title" when it just gave the conversation its title)
    event: memories  data: {"memories": [{"id", "text"}]} what the companion was reminded of
    event: chunk     data: {"text": "..."}               the reply, as it is written
    event: done      data: {"message": {...}, "memories": [...]}   the reply, stored; with
                     "routed": {"intent", "preferences"} when a sub-agent took the message
                     (its handler wrote the reply; the memories passed to it as preferences)
    event: error     data: {"code", "message", "status"} nothing stored for the companion

A repeated `client_id` replays the stored turn (200) instead of storing it twice. Someone
else's conversation is a 404 everywhere.
"""

import json
from collections.abc import Iterator

from django.core.serializers.json import DjangoJSONEncoder
from django.http import StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from macaron.api import PAGE_PARAMETERS, Pagination, StrictSerializer
from macaron.errors import DomainError
from memory.companion.chat import (
    PreparedTurn,
    chat_reply,
    chat_reply_stream,
    chat_turn_start,
    conversation_delete,
    conversation_detail,
    conversation_messages,
    conversation_rename,
    conversation_start,
    conversations_for_user,
    turn_prepare,
)

SERVER_ERROR = "Something went wrong on our side. Your message is saved; please try again."


class ConversationQuery(serializers.Serializer):
    search = serializers.CharField(required=False, allow_blank=True, max_length=200)


class ConversationCreateInput(StrictSerializer):
    title = serializers.CharField(required=False, allow_blank=True, default="")


class ConversationUpdateInput(StrictSerializer):
    """A partial update: without a title, nothing changes."""

    # An empty title is refused by the service.
    title = serializers.CharField(required=False, allow_blank=True)


class ConversationOutput(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    created_at = serializers.DateTimeField()
    last_message_at = serializers.DateTimeField(allow_null=True)
    preview = serializers.CharField(help_text="The start of the latest message")
    preview_role = serializers.CharField(allow_null=True)


class UsedMemoryOutput(serializers.Serializer):
    id = serializers.IntegerField()
    text = serializers.CharField()


class RouteLinkOutput(serializers.Serializer):
    label = serializers.CharField()
    url = serializers.CharField()
    method = serializers.ChoiceField(choices=["get", "post"])


class RoutedOutput(serializers.Serializer):
    intent = serializers.CharField(help_text="The sub-agent intent the message was routed to")
    preferences = UsedMemoryOutput(many=True, help_text="The memories passed along with it")
    links = RouteLinkOutput(
        many=True, help_text="Buttons under the reply: Undo, Open the builder, Install …"
    )


class WithoutRoutedWhenNone(serializers.Serializer):
    """`routed` appears only on what a sub-agent took, so other outputs keep their shape."""

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if data.get("routed") is None:
            data.pop("routed", None)
        return data


class MessageOutput(WithoutRoutedWhenNone):
    id = serializers.IntegerField()
    conversation_id = serializers.IntegerField()
    role = serializers.CharField()
    text = serializers.CharField()
    sent_at = serializers.DateTimeField()
    client_id = serializers.CharField(
        allow_null=True,
        help_text="The send's idempotency key, on a send's answer only: it is stored as a keyed "
        "hash, so the history shows null",
    )
    memories = UsedMemoryOutput(many=True, help_text="What the companion remembered (replies)")
    routed = RoutedOutput(required=False, help_text="Only on a reply that routed to a sub-agent")


class SendInput(StrictSerializer):
    # No max_length: the service answers an over-long message with 413, an empty one with 400.
    text = serializers.CharField(allow_blank=True, trim_whitespace=False)
    client_id = serializers.CharField(
        required=False,
        allow_null=True,
        allow_blank=True,
        default=None,
        help_text="An idempotency key (e.g. a UUID): a repeated send is stored once.",
    )
    stream = serializers.BooleanField(required=False, default=False)


class TurnOutput(WithoutRoutedWhenNone):
    message = MessageOutput()
    reply = MessageOutput()
    memories = UsedMemoryOutput(many=True)
    routed = RoutedOutput(required=False, help_text="Only when a sub-agent took the message")


def _event(name: str, data: dict) -> bytes:
    payload = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False)
    return f"event: {name}\ndata: {payload}\n\n".encode()


def turn_events(turn: PreparedTurn) -> Iterator[bytes]:
    """The server-sent events of one turn (see the module docstring)."""
    started = {"message": MessageOutput(turn.message).data}
    if turn.new_title:
        started["conversation_title"] = turn.new_title
    yield _event("message", started)  # stored: the send is acknowledged before any recall
    try:
        turn_prepare(turn)
        yield _event("memories", {"memories": UsedMemoryOutput(turn.memories, many=True).data})
        for chunk in chat_reply_stream(turn):
            yield _event("chunk", {"text": chunk})
    except DomainError as error:  # LLMError (502) and friends: a message safe to show
        yield _event(
            "error", {"code": error.code, "message": error.message, "status": error.status_code}
        )
        return
    except Exception:
        yield _event("error", {"code": "server_error", "message": SERVER_ERROR, "status": 500})
        raise
    reply = turn.reply
    done = {
        "message": MessageOutput(reply).data,
        "memories": UsedMemoryOutput(reply.memories, many=True).data,
    }
    if reply.routed is not None:
        done["routed"] = RoutedOutput(reply.routed).data
    yield _event("done", done)


def turn_stream_response(turn: PreparedTurn) -> StreamingHttpResponse:
    response = StreamingHttpResponse(turn_events(turn), content_type="text/event-stream")
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"  # nginx: pass each event on at once
    return response


class ConversationListApi(APIView):
    pagination_class = Pagination  # the schema shows the paginated shape

    @extend_schema(
        parameters=[
            ConversationQuery,
            *PAGE_PARAMETERS,
        ],
        responses=ConversationOutput(many=True),
    )
    def get(self, request, *args, **kwargs):
        query = ConversationQuery(data=request.query_params.dict())
        query.is_valid(raise_exception=True)
        conversations = conversations_for_user(
            user=request.user, search=query.validated_data.get("search")
        )
        paginator = Pagination()
        page = paginator.paginate_queryset(conversations, request, view=self)
        return paginator.get_paginated_response(ConversationOutput(page, many=True).data)

    @extend_schema(request=ConversationCreateInput, responses={201: ConversationOutput})
    def post(self, request, *args, **kwargs):
        data = ConversationCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        conversation = conversation_start(user=request.user, title=data.validated_data["title"])
        return Response(ConversationOutput(conversation).data, status=status.HTTP_201_CREATED)


class ConversationDetailApi(APIView):
    @extend_schema(responses=ConversationOutput)
    def get(self, request, conversation_id: int, *args, **kwargs):
        conversation = conversation_detail(user=request.user, conversation_id=conversation_id)
        return Response(ConversationOutput(conversation).data)

    @extend_schema(request=ConversationUpdateInput, responses=ConversationOutput)
    def patch(self, request, conversation_id: int, *args, **kwargs):
        data = ConversationUpdateInput(data=request.data)
        data.is_valid(raise_exception=True)
        if "title" in data.validated_data:
            conversation = conversation_rename(
                user=request.user, conversation_id=conversation_id, **data.validated_data
            )
        else:
            conversation = conversation_detail(user=request.user, conversation_id=conversation_id)
        return Response(ConversationOutput(conversation).data)

    @extend_schema(responses={204: None})
    def delete(self, request, conversation_id: int, *args, **kwargs):
        conversation_delete(user=request.user, conversation_id=conversation_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ConversationMessagesApi(APIView):
    pagination_class = Pagination  # the schema shows the paginated shape

    def perform_content_negotiation(self, request, force=False):
        # A streaming client asks for text/event-stream; refusals before the stream starts
        # (400, 404, 413) still answer in the JSON error shape rather than 406.
        return super().perform_content_negotiation(request, force=True)

    @extend_schema(
        parameters=PAGE_PARAMETERS,
        responses=MessageOutput(many=True),
    )
    def get(self, request, conversation_id: int, *args, **kwargs):
        messages = conversation_messages(user=request.user, conversation_id=conversation_id)
        paginator = Pagination()
        page = paginator.paginate_queryset(messages, request, view=self)
        return paginator.get_paginated_response(MessageOutput(page, many=True).data)

    @extend_schema(
        request=SendInput,
        responses={
            201: TurnOutput,
            200: OpenApiResponse(
                TurnOutput,
                description="A repeated client_id: the stored turn. With stream=true: "
                "server-sent events message, memories, chunk…, then done or error.",
            ),
            (200, "text/event-stream"): OpenApiResponse(OpenApiTypes.STR),
            502: OpenApiResponse(description="The model failed; the message stays stored."),
        },
    )
    def post(self, request, conversation_id: int, *args, **kwargs):
        """Send a message and get the companion's reply (whole, or streamed with stream=true).
        Retry a failed send with the same client_id: it is stored once and answered once."""
        data = SendInput(data=request.data)
        data.is_valid(raise_exception=True)
        params = data.validated_data
        turn = chat_turn_start(
            user=request.user,
            conversation_id=conversation_id,
            text=params["text"],
            client_id=params["client_id"],
        )
        if params["stream"]:
            return turn_stream_response(turn)
        replayed = turn.reply is not None
        reply = chat_reply(turn)  # LLMError: 502; the person's message stays stored
        body = {"message": turn.message, "reply": reply, "memories": reply.memories}
        if reply.routed is not None:
            body["routed"] = reply.routed
        return Response(
            TurnOutput(body).data,
            status=status.HTTP_200_OK if replayed else status.HTTP_201_CREATED,
        )
