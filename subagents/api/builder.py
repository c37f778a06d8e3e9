"""The builder over REST (preview only, nothing saved): thin views that validate, call the
service and answer."""

from django.conf import settings
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.throttling import UserRateThrottle
from rest_framework.views import APIView

from macaron.api import JsonObjectField, StrictSerializer
from subagents.services import spec_build, spec_revise

LANGUAGES = ["en", "ja", "ko"]


class BuildThrottle(UserRateThrottle):
    """Per person; the rate is read at request time (settings.SUBAGENT_BUILD_THROTTLE_RATE)."""

    scope = "subagent_build"

    def get_rate(self) -> str:
        return settings.SUBAGENT_BUILD_THROTTLE_RATE


class BuildInput(StrictSerializer):
    request = serializers.CharField(max_length=1000, allow_blank=True, trim_whitespace=False)
    language = serializers.ChoiceField(choices=LANGUAGES, required=False, allow_null=True)


class ChangeOutput(serializers.Serializer):
    path = serializers.CharField()
    change = serializers.ChoiceField(choices=["added", "removed", "changed"])
    text = serializers.CharField()
    old = serializers.JSONField(required=False)
    new = serializers.JSONField(required=False)


class BuildOutput(serializers.Serializer):
    spec = serializers.JSONField()
    source = serializers.CharField()
    language = serializers.CharField()
    personalised = serializers.ListField(child=serializers.CharField())
    diff = ChangeOutput(many=True, source="changes")


class ReviseInput(StrictSerializer):
    spec = JsonObjectField()
    instruction = serializers.CharField(max_length=500, allow_blank=True)
    language = serializers.ChoiceField(choices=LANGUAGES, required=False, allow_null=True)


class ReviseOutput(serializers.Serializer):
    spec = serializers.JSONField()
    source = serializers.CharField()
    changes = ChangeOutput(many=True)


class SpecBuildApi(APIView):
    """One or two sentences → a sub-agent spec to preview (nothing is saved)."""

    throttle_classes = [BuildThrottle]

    @extend_schema(request=BuildInput, responses=BuildOutput)
    def post(self, request, *args, **kwargs):
        data = BuildInput(data=request.data)
        data.is_valid(raise_exception=True)
        result = spec_build(
            request=data.validated_data["request"],
            language=data.validated_data.get("language"),
            user=request.user,
        )
        return Response(BuildOutput(result).data)


class SpecReviseApi(APIView):
    """A spec and a change in words → the revised spec and what changed (nothing is saved)."""

    throttle_classes = [BuildThrottle]

    @extend_schema(request=ReviseInput, responses=ReviseOutput)
    def post(self, request, *args, **kwargs):
        data = ReviseInput(data=request.data)
        data.is_valid(raise_exception=True)
        result = spec_revise(
            spec=data.validated_data["spec"],
            instruction=data.validated_data["instruction"],
            language=data.validated_data.get("language"),
            user=request.user,
        )
        return Response(ReviseOutput(result).data)
