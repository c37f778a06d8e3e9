"""The community over REST: thin views that validate, call a selector or service, and answer
with a small output serializer. Reads are open to anonymous visitors (what they may see is
decided by the selectors); writes need a signed-in person."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.serializers import Serializer
from rest_framework.views import APIView

from community import selectors, services
from community.api import serializers as s
from community.models import Blueprint
from macaron.api import results_of
from macaron.sealed import sealed_preload


def _listing(data: dict, *, base: Blueprint | None = None) -> services.Listing:
    fallback = {
        "description": base.description if base else "",
        "tags": tuple(base.tags) if base else (),
        "language": base.language if base else "en",
        "category": base.category if base else "",
        "cover_color": base.cover_color if base else "#6b7280",
        "cover_icon": base.cover_icon if base else "",
        "visibility": Blueprint.Visibility.PUBLIC,
    }
    return services.Listing(
        title=data.get("title") or (f"{base.title} (fork)" if base else ""),
        description=data.get("description", fallback["description"]),
        tags=tuple(data.get("tags", fallback["tags"])),
        language=data.get("language", fallback["language"]),
        category=data.get("category", fallback["category"]),
        cover_color=data.get("cover_color", fallback["cover_color"]),
        cover_icon=data.get("cover_icon", fallback["cover_icon"]),
        visibility=data.get("visibility", fallback["visibility"]),
    )


def _detail(request, blueprint: Blueprint) -> dict:
    body = s.BlueprintOutput(blueprint).data
    body["stats"] = s.StatsOutput(selectors.blueprint_stats(blueprint=blueprint)).data
    body["latest_version"] = selectors.blueprint_versions(blueprint=blueprint).first().version
    body["why"] = selectors.blueprint_explanation(blueprint=blueprint)
    body["parent_diff"] = selectors.blueprint_parent_diff(blueprint=blueprint)
    return body


def _valid(serializer: type[Serializer], data) -> dict:
    """Validate `data` with `serializer` (a 400 in the API error shape when it does not pass)
    and return the validated values."""
    checked = serializer(data=data)
    checked.is_valid(raise_exception=True)
    return dict(checked.validated_data)


def _with_stats(blueprints: list[Blueprint]) -> list[dict]:
    stats = selectors.blueprints_stats(blueprints=blueprints)
    sealed_preload(blueprint.author for blueprint in blueprints)  # their names, one query
    rows = s.BlueprintOutput(blueprints, many=True).data
    for row, blueprint in zip(rows, blueprints, strict=True):
        row["stats"] = s.StatsOutput(stats[blueprint.id]).data
    return rows


class BlueprintListApi(APIView):
    def get_permissions(self):
        return [AllowAny()] if self.request.method == "GET" else [IsAuthenticated()]

    @extend_schema(
        operation_id="v1_community_blueprints_list",
        parameters=[s.ListQuery],
        responses=results_of(s.BlueprintOutput),
    )
    def get(self, request, *args, **kwargs):
        data = _valid(s.ListQuery, request.query_params.dict())
        if data.get("q"):
            found = selectors.blueprints_search(q=data["q"])
        else:
            found = selectors.blueprints_ranked(
                sort=data["sort"], category=data.get("category", ""), tag=data.get("tag", "")
            )
        return Response({"results": _with_stats(found)})

    @extend_schema(request=s.PublishInput, responses={201: s.BlueprintOutput})
    def post(self, request, *args, **kwargs):
        values = _valid(s.PublishInput, request.data)
        blueprint = services.blueprint_publish(
            user=request.user,
            spec=values["spec"],
            listing=_listing(values),
            version=values.get("version", "1.0.0"),
            changelog=values.get("changelog", ""),
            confirmed=values["confirmed"],
        )
        return Response(_detail(request, blueprint), status=status.HTTP_201_CREATED)


class BlueprintRecommendApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(parameters=[s.RecommendQuery], responses=results_of(s.BlueprintOutput))
    def get(self, request, *args, **kwargs):
        query = _valid(s.RecommendQuery, request.query_params.dict())
        found = selectors.blueprints_recommend(sentence=query["sentence"])
        return Response({"results": _with_stats(found)})


class BlueprintDetailApi(APIView):
    def get_permissions(self):
        return [AllowAny()] if self.request.method == "GET" else [IsAuthenticated()]

    @extend_schema(responses=s.BlueprintOutput)
    def get(self, request, slug: str, *args, **kwargs):
        blueprint = selectors.blueprint_for_viewer(user=request.user, slug=slug)
        return Response(_detail(request, blueprint))

    @extend_schema(responses={204: None})
    def delete(self, request, slug: str, *args, **kwargs):
        """Unpublish: the blueprint stays in its lineage as "removed"."""
        blueprint = selectors.blueprint_for_viewer(user=request.user, slug=slug)
        services.blueprint_unpublish(user=request.user, blueprint=blueprint)
        return Response(status=status.HTTP_204_NO_CONTENT)


class BlueprintLineageApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        responses=OpenApiTypes.OBJECT,
        description="The whole lineage tree: nodes with parent, active users, rating, status.",
    )
    def get(self, request, slug: str, *args, **kwargs):
        blueprint = selectors.blueprint_for_viewer(user=request.user, slug=slug)
        return Response(selectors.blueprint_lineage(user=request.user, blueprint=blueprint))


class BlueprintVersionsApi(APIView):
    def get_permissions(self):
        return [AllowAny()] if self.request.method == "GET" else [IsAuthenticated()]

    @extend_schema(responses=results_of(s.VersionOutput))
    def get(self, request, slug: str, *args, **kwargs):
        blueprint = selectors.blueprint_for_viewer(user=request.user, slug=slug)
        versions = selectors.blueprint_versions(blueprint=blueprint)
        return Response({"results": s.VersionOutput(versions, many=True).data})

    @extend_schema(request=s.VersionInput, responses={201: s.VersionOutput})
    def post(self, request, slug: str, *args, **kwargs):
        blueprint = selectors.blueprint_for_viewer(user=request.user, slug=slug)
        data = _valid(s.VersionInput, request.data)
        version = services.blueprint_version_publish(user=request.user, blueprint=blueprint, **data)
        return Response(s.VersionOutput(version).data, status=status.HTTP_201_CREATED)


class BlueprintForkApi(APIView):
    @extend_schema(request=s.ForkInput, responses={201: s.BlueprintOutput})
    def post(self, request, slug: str, *args, **kwargs):
        blueprint = selectors.blueprint_for_viewer(user=request.user, slug=slug)
        values = _valid(s.ForkInput, request.data)
        fork = services.blueprint_fork(
            user=request.user,
            blueprint=blueprint,
            spec=values.get("spec"),
            listing=_listing(values, base=blueprint),
            confirmed=values["confirmed"],
        )
        return Response(_detail(request, fork), status=status.HTTP_201_CREATED)


class BlueprintImportApi(APIView):
    @extend_schema(request=s.ImportInput, responses={201: s.ImportOutput})
    def post(self, request, slug: str, *args, **kwargs):
        blueprint = selectors.blueprint_for_viewer(user=request.user, slug=slug)
        data = _valid(s.ImportInput, request.data)
        version = None
        if data.get("version"):
            version = selectors.blueprint_version(blueprint=blueprint, version=data["version"])
        record = services.blueprint_import(
            user=request.user,
            blueprint=blueprint,
            version=version,
            allowed_domains=data.get("allowed_domains"),
        )
        return Response(s.ImportOutput(record).data, status=status.HTTP_201_CREATED)


class BlueprintRatingApi(APIView):
    @extend_schema(request=s.RatingInput, responses={200: s.RatingOutput})
    def put(self, request, slug: str, *args, **kwargs):
        blueprint = selectors.blueprint_for_viewer(user=request.user, slug=slug)
        data = _valid(s.RatingInput, request.data)
        rating = services.rating_set(user=request.user, blueprint=blueprint, **data)
        rating.refresh_from_db()
        return Response(s.RatingOutput(rating).data)


class BlueprintReportApi(APIView):
    @extend_schema(request=s.ReportInput, responses={201: s.ReportOutput})
    def post(self, request, slug: str, *args, **kwargs):
        blueprint = selectors.blueprint_for_viewer(user=request.user, slug=slug)
        data = _valid(s.ReportInput, request.data)
        report = services.report_create(user=request.user, blueprint=blueprint, **data)
        return Response(s.ReportOutput(report).data, status=status.HTTP_201_CREATED)


class ReportQueueApi(APIView):
    @extend_schema(responses=results_of(s.ReportQueueOutput))
    def get(self, request, *args, **kwargs):
        reports = selectors.reports_open(moderator=request.user)[:200]
        return Response({"results": s.ReportQueueOutput(reports, many=True).data})


class ReportResolveApi(APIView):
    @extend_schema(request=s.ResolveInput, responses=s.ReportOutput)
    def post(self, request, report_id: int, *args, **kwargs):
        report = selectors.report_for_moderator(moderator=request.user, report_id=report_id)
        resolution = _valid(s.ResolveInput, request.data)["resolution"]
        if resolution == "suspended" and report.blueprint.author is not None:
            services.author_suspend(moderator=request.user, author=report.blueprint.author)
        report = services.report_resolve(
            moderator=request.user, report=report, resolution=resolution
        )
        return Response(s.ReportOutput(report).data)


class BlueprintHideApi(APIView):
    @extend_schema(request=s.HideInput, responses=s.BlueprintOutput)
    def post(self, request, slug: str, *args, **kwargs):
        blueprint = selectors.blueprint_for_viewer(user=request.user, slug=slug)
        data = _valid(s.HideInput, request.data)
        services.listing_hide(moderator=request.user, blueprint=blueprint, hidden=data["hidden"])
        return Response(s.BlueprintOutput(blueprint).data)


class RecommendForMeApi(APIView):
    @extend_schema(responses=results_of(s.BlueprintOutput))
    def get(self, request, *args, **kwargs):
        found = selectors.blueprints_for_person(user=request.user)
        return Response({"results": _with_stats(found)})


class ToolUpgradeApi(APIView):
    """Move an imported tool to its blueprint's latest version (entries kept)."""

    @extend_schema(request=None, responses={200: s.ImportOutput})
    def post(self, request, installation_id: int, *args, **kwargs):
        record = services.import_upgrade(user=request.user, installation_id=installation_id)
        return Response(s.ImportOutput(record).data)


class ToolRollbackApi(APIView):
    """Back to the version the tool had before its last upgrade."""

    @extend_schema(request=None, responses={200: s.ImportOutput})
    def post(self, request, installation_id: int, *args, **kwargs):
        record = services.import_rollback(user=request.user, installation_id=installation_id)
        return Response(s.ImportOutput(record).data)
