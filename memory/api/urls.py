from django.urls import path

from memory.api import chat, privacy, reminders, transfer, views

urlpatterns = [
    path("memories/", views.MemoryListApi.as_view(), name="memory-list"),
    path("memories/forget/", views.MemoryForgetApi.as_view(), name="memory-forget"),
    path("memories/search/", views.MemorySearchApi.as_view(), name="memory-search"),
    path("memories/trash/", views.MemoryTrashApi.as_view(), name="memory-trash"),
    path("memories/restore/", views.MemoryRestoreApi.as_view(), name="memory-restore"),
    path("memories/<int:memory_id>/", views.MemoryDetailApi.as_view(), name="memory-detail"),
    path(
        "memories/<int:memory_id>/feedback/",
        views.MemoryFeedbackApi.as_view(),
        name="memory-feedback",
    ),
    path("conversations/", chat.ConversationListApi.as_view(), name="conversation-list"),
    path(
        "conversations/<int:conversation_id>/",
        chat.ConversationDetailApi.as_view(),
        name="conversation-detail",
    ),
    path(
        "conversations/<int:conversation_id>/messages/",
        chat.ConversationMessagesApi.as_view(),
        name="conversation-messages",
    ),
    path("notifications/", reminders.NotificationListApi.as_view(), name="notification-list"),
    path(
        "notifications/<int:reminder_id>/dismiss/",
        reminders.NotificationDismissApi.as_view(),
        name="notification-dismiss",
    ),
    path("reminders/", reminders.ReminderListApi.as_view(), name="reminder-list"),
    path("me/export/", transfer.ExportApi.as_view(), name="me-export"),
    path("me/export/<uuid:job_id>/", transfer.ExportDetailApi.as_view(), name="me-export-detail"),
    path(
        "me/export/<uuid:job_id>/download/",
        transfer.ExportDownloadApi.as_view(),
        name="me-export-download",
    ),
    path("me/import/", transfer.ImportApi.as_view(), name="me-import"),
    path("me/import/<uuid:job_id>/", transfer.ImportDetailApi.as_view(), name="me-import-detail"),
    path("me/access-log/", privacy.AccessLogApi.as_view(), name="access-log"),
]
