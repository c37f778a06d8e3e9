from django.urls import path

from community.api import views

urlpatterns = [
    path("community/blueprints/", views.BlueprintListApi.as_view(), name="blueprint-list"),
    path(
        "community/recommendations/",
        views.BlueprintRecommendApi.as_view(),
        name="blueprint-recommend",
    ),
    path(
        "community/blueprints/<slug:slug>/",
        views.BlueprintDetailApi.as_view(),
        name="blueprint-detail",
    ),
    path(
        "community/blueprints/<slug:slug>/lineage/",
        views.BlueprintLineageApi.as_view(),
        name="blueprint-lineage",
    ),
    path(
        "community/blueprints/<slug:slug>/versions/",
        views.BlueprintVersionsApi.as_view(),
        name="blueprint-versions",
    ),
    path(
        "community/blueprints/<slug:slug>/fork/",
        views.BlueprintForkApi.as_view(),
        name="blueprint-fork",
    ),
    path(
        "community/blueprints/<slug:slug>/import/",
        views.BlueprintImportApi.as_view(),
        name="blueprint-import",
    ),
    path(
        "community/blueprints/<slug:slug>/rating/",
        views.BlueprintRatingApi.as_view(),
        name="blueprint-rating",
    ),
    path(
        "community/blueprints/<slug:slug>/reports/",
        views.BlueprintReportApi.as_view(),
        name="blueprint-report",
    ),
    path(
        "community/blueprints/<slug:slug>/hide/",
        views.BlueprintHideApi.as_view(),
        name="blueprint-hide",
    ),
    path(
        "community/recommendations/for-me/",
        views.RecommendForMeApi.as_view(),
        name="blueprint-recommend-for-me",
    ),
    path("community/reports/", views.ReportQueueApi.as_view(), name="report-queue"),
    path(
        "community/tools/<int:installation_id>/upgrade/",
        views.ToolUpgradeApi.as_view(),
        name="tool-upgrade",
    ),
    path(
        "community/tools/<int:installation_id>/rollback/",
        views.ToolRollbackApi.as_view(),
        name="tool-rollback",
    ),
    path(
        "community/reports/<int:report_id>/resolve/",
        views.ReportResolveApi.as_view(),
        name="report-resolve",
    ),
]
