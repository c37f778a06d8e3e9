"""Included at /api/v1/subagents/ (macaron/urls.py)."""

from django.urls import path

from subagents.api import builder, views

urlpatterns = [
    path("build", builder.SpecBuildApi.as_view(), name="subagent-build"),
    path("revise", builder.SpecReviseApi.as_view(), name="subagent-revise"),
    path("installations/", views.InstallationListApi.as_view(), name="installation-list"),
    path(
        "installations/<int:installation_id>/",
        views.InstallationDetailApi.as_view(),
        name="installation-detail",
    ),
    path(
        "installations/<int:installation_id>/settings/",
        views.InstallationSettingsApi.as_view(),
        name="installation-settings",
    ),
    path(
        "installations/<int:installation_id>/uninstall/",
        views.InstallationUninstallApi.as_view(),
        name="installation-uninstall",
    ),
    path(
        "installations/<int:installation_id>/views/",
        views.InstallationViewsApi.as_view(),
        name="installation-views",
    ),
    path(
        "installations/<int:installation_id>/entries/",
        views.EntryListApi.as_view(),
        name="entry-list",
    ),
    path(
        "installations/<int:installation_id>/chat/",
        views.ChatApi.as_view(),
        name="tool-chat",
    ),
    path("chat/<int:message_id>/undo/", views.ChatUndoApi.as_view(), name="tool-chat-undo"),
    path("reminders/", views.ReminderListApi.as_view(), name="tool-reminder-list"),
    path(
        "reminders/<int:fire_id>/dismiss/",
        views.ReminderDismissApi.as_view(),
        name="tool-reminder-dismiss",
    ),
    path("entries/<int:entry_id>/", views.EntryDetailApi.as_view(), name="entry-detail"),
]
