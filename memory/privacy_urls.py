from django.urls import path

from memory import privacy_views

urlpatterns = [
    path("access/", privacy_views.access_log, name="access_log"),
]
