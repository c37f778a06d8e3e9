"""The person's memories over REST: thin views that validate, call a selector or service, and
answer with a small output serializer. Someone else's memory id is always a 404."""

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from macaron.api import PAGE_PARAMETERS, Pagination
from memory.api.serializers import (
    FeedbackInput,
    FeedbackOutput,
    ForgetInput,
    ForgetOutput,
    MemoryCreateInput,
    MemoryDetailOutput,
    MemoryListQuery,
    MemoryOutput,
    MemoryUpdateInput,
    RestoreInput,
    RestoreOutput,
    SearchInput,
    SearchOutput,
    TrashedOutput,
)
from memory.privacy.readers import person_reader
from memory.retrieval.search import Filters, retrieve
from memory.selectors import memories_for_user, memories_trashed, memory_detail, memory_ids_owned
from memory.services import (
    memories_restore,
    memories_trash,
    memory_create,
    memory_feedback,
    memory_get,
    memory_update,
    trash_days,
)


class MemoryListApi(APIView):
    pagination_class = Pagination  # the schema shows the paginated shape

    @extend_schema(
        parameters=[
            MemoryListQuery,
            *PAGE_PARAMETERS,
        ],
        responses=MemoryOutput(many=True),
    )
    def get(self, request, *args, **kwargs):
        query = MemoryListQuery(data=request.query_params.dict())
        query.is_valid(raise_exception=True)
        memories = memories_for_user(
            user=request.user, reader=person_reader(request), **query.validated_data
        )
        paginator = Pagination()
        page = paginator.paginate_queryset(memories, request, view=self)
        return paginator.get_paginated_response(MemoryOutput(page, many=True).data)

    @extend_schema(request=MemoryCreateInput, responses={201: MemoryDetailOutput})
    def post(self, request, *args, **kwargs):
        data = MemoryCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        memory = memory_create(user=request.user, **data.validated_data)
        view = memory_detail(
            user=request.user,
            memory_id=memory.id,
            reader=person_reader(request),
            refuse_locked=False,
        )
        body = MemoryDetailOutput(view).data
        return Response(body, status=status.HTTP_201_CREATED)


class MemoryDetailApi(APIView):
    @extend_schema(responses=MemoryDetailOutput)
    def get(self, request, memory_id: int, *args, **kwargs):
        view = memory_detail(user=request.user, memory_id=memory_id, reader=person_reader(request))
        return Response(MemoryDetailOutput(view).data)

    @extend_schema(request=MemoryUpdateInput, responses=MemoryDetailOutput)
    def patch(self, request, memory_id: int, *args, **kwargs):
        data = MemoryUpdateInput(data=request.data)
        data.is_valid(raise_exception=True)
        reader = person_reader(request)
        # changing a locked item (even lowering its protection) needs the step-up first
        memory_detail(user=request.user, memory_id=memory_id, reader=reader)
        memory_update(user=request.user, memory_id=memory_id, **data.validated_data)
        view = memory_detail(
            user=request.user, memory_id=memory_id, reader=reader, refuse_locked=False
        )
        return Response(MemoryDetailOutput(view).data)

    @extend_schema(responses={204: None})
    def delete(self, request, memory_id: int, *args, **kwargs):
        """Forget it: it moves to the trash (restorable for `trash_days`, then erased)."""
        memory_get(user=request.user, memory_id=memory_id)  # someone else's id: 404
        memories_trash(user=request.user, memory_ids=[memory_id])
        return Response(status=status.HTTP_204_NO_CONTENT)


class MemoryForgetApi(APIView):
    """Forget several memories at once (to the trash); ids not the caller's are left alone."""

    @extend_schema(request=ForgetInput, responses=ForgetOutput)
    def post(self, request, *args, **kwargs):
        data = ForgetInput(data=request.data)
        data.is_valid(raise_exception=True)
        owned = memory_ids_owned(user=request.user, memory_ids=data.validated_data["ids"])
        moved = memories_trash(user=request.user, memory_ids=owned) if owned else []
        return Response(ForgetOutput({"forgotten": len(moved), "trash_days": trash_days()}).data)


class MemoryTrashApi(APIView):
    """The caller's trash: forgotten memories still restorable, with the time left."""

    @extend_schema(responses=TrashedOutput(many=True))
    def get(self, request, *args, **kwargs):
        trashed = memories_trashed(user=request.user, reader=person_reader(request))
        return Response(TrashedOutput(trashed, many=True).data)


class MemoryRestoreApi(APIView):
    """Take memories back out of the trash; ids not the caller's (or not restorable) are
    left alone and not listed."""

    @extend_schema(request=RestoreInput, responses=RestoreOutput)
    def post(self, request, *args, **kwargs):
        data = RestoreInput(data=request.data)
        data.is_valid(raise_exception=True)
        restored = memories_restore(user=request.user, memory_ids=data.validated_data["ids"])
        return Response(RestoreOutput({"restored": restored}).data)


class MemoryFeedbackApi(APIView):
    @extend_schema(request=FeedbackInput, responses={201: FeedbackOutput})
    def post(self, request, memory_id: int, *args, **kwargs):
        data = FeedbackInput(data=request.data)
        data.is_valid(raise_exception=True)
        event = memory_feedback(
            user=request.user, memory_id=memory_id, signal=data.validated_data["signal"]
        )
        return Response(FeedbackOutput(event).data, status=status.HTTP_201_CREATED)


class MemorySearchApi(APIView):
    """The same hybrid retrieval the companion uses, ranked best first within a token budget."""

    @extend_schema(request=SearchInput, responses=SearchOutput)
    def post(self, request, *args, **kwargs):
        data = SearchInput(data=request.data)
        data.is_valid(raise_exception=True)
        params = data.validated_data
        result = retrieve(
            user=request.user,
            query=params["query"],
            k=params["k"],
            budget=params["budget"],
            filters=Filters(
                domains=params.get("domains") or None,
                reauthenticated=person_reader(request).stepped_up,
            ),
            purpose="api",
        )
        body = {
            "time_range": result.time_range.label() if result.time_range else None,
            "results": [
                {
                    "id": item.id,
                    "text": item.text,
                    "score": item.score,
                    "kind": item.kind,
                    "domains": item.domains,
                    "event": item.event.label() if item.event else None,
                    "external_ids": item.external_ids,
                    "said_at": item.valid_from,
                }
                for item in result.items
            ],
        }
        return Response(SearchOutput(body).data)
