from django.urls import path

from community import staff_views

urlpatterns = [path("", staff_views.moderation, name="staff-moderation")]
