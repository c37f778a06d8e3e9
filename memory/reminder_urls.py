from django.urls import path

from memory import reminder_views

urlpatterns = [
    path("", reminder_views.notification_list, name="notifications"),
    path(
        "<int:reminder_id>/dismiss/",
        reminder_views.notification_dismiss,
        name="notification-dismiss",
    ),
]
