from django.urls import path

from subagents.api import builder

urlpatterns = [
    path("build", builder.SpecBuildApi.as_view(), name="subagent-build"),
    path("revise", builder.SpecReviseApi.as_view(), name="subagent-revise"),
]
