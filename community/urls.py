from django.urls import path

from community import views

urlpatterns = [
    path("", views.community_home, name="community"),
    path("moderation/", views.moderation_queue, name="community-moderation"),
    path("share/<int:installation_id>/", views.tool_publish, name="community-publish"),
    path("tools/<int:installation_id>/upgrade/", views.tool_upgrade, name="community-upgrade"),
    path("tools/<int:installation_id>/rollback/", views.tool_rollback, name="community-rollback"),
    path("b/<slug:slug>/", views.blueprint_page, name="community-blueprint"),
    path("b/<slug:slug>/tree/", views.blueprint_tree, name="community-tree"),
    path("b/<slug:slug>/import/", views.blueprint_import, name="community-import"),
    path("b/<slug:slug>/fork/", views.blueprint_fork, name="community-fork"),
    path("b/<slug:slug>/edit/", views.blueprint_edit, name="community-edit"),
    path("b/<slug:slug>/versions/new/", views.blueprint_version_new, name="community-version-new"),
    path("b/<slug:slug>/rate/", views.blueprint_rate, name="community-rate"),
    path("b/<slug:slug>/report/", views.blueprint_report, name="community-report"),
    path("b/<slug:slug>/hide/", views.blueprint_hide, name="community-hide"),
    path("b/<slug:slug>/unpublish/", views.blueprint_unpublish, name="community-unpublish"),
    path(
        "b/<slug:slug>/collaborators/",
        views.blueprint_collaborators,
        name="community-collaborators",
    ),
]
