from django.urls import path

from subagents import builder_views, views

urlpatterns = [
    path("", views.tool_list, name="tools"),
    path("install/", views.tool_install, name="tool-install"),
    path("new/", builder_views.tool_new, name="tool-new"),
    path(
        "catalogue/<slug:slug>/install/",
        builder_views.tool_catalogue_install,
        name="tool-catalogue-install",
    ),
    path("<int:installation_id>/", views.tool_page, name="tool"),
    path("<int:installation_id>/quick-log/", views.tool_quick_log, name="tool-quick-log"),
    path("<int:installation_id>/settings/", views.tool_settings, name="tool-settings"),
    path("<int:installation_id>/uninstall/", views.tool_uninstall, name="tool-uninstall"),
    path(
        "<int:installation_id>/delete-entries/",
        views.tool_entries_delete,
        name="tool-entries-delete",
    ),
    path(
        "reminders/<int:fire_id>/dismiss/",
        views.tool_reminder_dismiss,
        name="tool-reminder-dismiss",
    ),
    path("<int:installation_id>/chat/", views.tool_chat, name="tool-chat"),
    path("chat/<int:message_id>/undo/", views.tool_chat_undo_view, name="tool-chat-undo"),
    path("entries/<int:entry_id>/edit/", views.entry_edit, name="tool-entry-edit"),
    path("entries/<int:entry_id>/privacy/", views.entry_privacy, name="tool-entry-privacy"),
    path("entries/<int:entry_id>/delete/", views.entry_remove, name="tool-entry-delete"),
]
