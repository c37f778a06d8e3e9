from django.urls import path

from subagents.api import views

urlpatterns = [
    path("build", views.SpecBuildApi.as_view(), name="subagent-build"),
    path("revise", views.SpecReviseApi.as_view(), name="subagent-revise"),
]
