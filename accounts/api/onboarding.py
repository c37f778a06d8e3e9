"""Onboarding over HTTP: the personality test, interests, completion and the companion's name.

Every endpoint acts on the authenticated person's own onboarding; there are no ids to guess.
"""

from dataclasses import asdict

from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import onboarding as quiz
from accounts.selectors import companion_view, onboarding_state
from accounts.services import (
    COMPANION_NAME_MAX,
    companion_get,
    companion_rename,
    onboarding_answer,
    onboarding_choose_interests,
    onboarding_complete,
)
from macaron.api import StrictSerializer


class OptionOutput(serializers.Serializer):
    id = serializers.CharField()
    emoji = serializers.CharField()
    text = serializers.CharField()


class QuestionOutput(serializers.Serializer):
    id = serializers.CharField()
    number = serializers.IntegerField()
    text = serializers.CharField()
    options = OptionOutput(many=True)
    answer = serializers.CharField(allow_null=True)


class CompanionOutput(serializers.Serializer):
    name = serializers.CharField()
    colour = serializers.CharField()
    traits = serializers.ListField(child=serializers.CharField())
    trait_labels = serializers.ListField(child=serializers.CharField())
    personality_code = serializers.CharField()
    name_suggestions = serializers.ListField(child=serializers.CharField())


class GiftOutput(serializers.Serializer):
    slug = serializers.CharField()
    emoji = serializers.CharField()
    label = serializers.CharField()
    blurb = serializers.CharField()


class ProgressOutput(serializers.Serializer):
    answered = serializers.IntegerField()
    total = serializers.IntegerField()


class OnboardingOutput(serializers.Serializer):
    language = serializers.CharField()
    progress = ProgressOutput()
    next_question = QuestionOutput(allow_null=True)
    answers = serializers.DictField(child=serializers.CharField())
    companion = CompanionOutput(allow_null=True)
    interests = serializers.ListField(child=serializers.CharField())
    available_interests = serializers.ListField(child=serializers.CharField())
    welcome_gift = GiftOutput(many=True)
    skipped = serializers.BooleanField()
    completed = serializers.BooleanField()
    first_conversation_id = serializers.IntegerField(allow_null=True)


def state_body(user) -> dict:
    state = onboarding_state(user=user)
    body = {
        "language": state.language,
        "progress": {"answered": state.answered, "total": state.total},
        "next_question": asdict(state.next_question) if state.next_question else None,
        "answers": state.answers,
        "companion": asdict(state.companion) if state.companion else None,
        "interests": state.interests,
        "available_interests": [i.slug for i in quiz.INTERESTS],
        "welcome_gift": [asdict(g) for g in state.gift],
        "skipped": state.skipped,
        "completed": state.completed,
        "first_conversation_id": state.first_conversation_id,
    }
    return OnboardingOutput(body).data


class OnboardingApi(APIView):
    @extend_schema(responses=OnboardingOutput)
    def get(self, request, *args, **kwargs):
        return Response(state_body(request.user))


# The service refuses what is not in the quiz, with its own messages; the schema lists it.
QUESTION_IDS = [q.id for q in quiz.QUESTIONS]
OPTION_IDS = list(dict.fromkeys(o.id for q in quiz.QUESTIONS for o in q.options))
INTEREST_SLUGS = [i.slug for i in quiz.INTERESTS]


@extend_schema_field({"type": "string", "enum": QUESTION_IDS})
class QuestionField(serializers.CharField):
    pass


@extend_schema_field({"type": "string", "enum": OPTION_IDS})
class OptionField(serializers.CharField):
    pass


@extend_schema_field(
    {
        "type": "array",
        "items": {"type": "string", "enum": INTEREST_SLUGS},
        "minItems": 1,
        "maxItems": 5,
    }
)
class InterestsField(serializers.ListField):
    pass


class AnswerInput(StrictSerializer):
    question = QuestionField(max_length=40)
    option = OptionField(max_length=40, help_text="One of the question's own options.")


class OnboardingAnswerApi(APIView):
    @extend_schema(request=AnswerInput, responses=OnboardingOutput)
    def post(self, request, *args, **kwargs):
        data = AnswerInput(data=request.data)
        data.is_valid(raise_exception=True)
        onboarding_answer(
            user=request.user,
            question_id=data.validated_data["question"],
            option_id=data.validated_data["option"],
        )
        return Response(state_body(request.user))


class InterestsInput(StrictSerializer):
    interests = InterestsField(
        child=serializers.CharField(max_length=24),
        allow_empty=True,
        max_length=5,  # sent, duplicates included: the schema's maxItems
        error_messages={"max_length": "Pick between 1 and 5 interests."},
    )


class OnboardingInterestsApi(APIView):
    @extend_schema(request=InterestsInput, responses=OnboardingOutput)
    def post(self, request, *args, **kwargs):
        data = InterestsInput(data=request.data)
        data.is_valid(raise_exception=True)
        onboarding_choose_interests(user=request.user, interests=data.validated_data["interests"])
        return Response(state_body(request.user))


class OnboardingCompleteApi(APIView):
    @extend_schema(request=None, responses=OnboardingOutput)
    def post(self, request, *args, **kwargs):
        onboarding_complete(user=request.user)
        return Response(state_body(request.user))


class CompanionInput(StrictSerializer):
    """A partial update: without a name, nothing changes."""

    name = serializers.CharField(
        max_length=COMPANION_NAME_MAX,
        required=False,
        allow_blank=True,
        error_messages={"max_length": f"A name has at most {COMPANION_NAME_MAX} letters."},
    )


class CompanionApi(APIView):
    @extend_schema(request=CompanionInput, responses=CompanionOutput)
    def patch(self, request, *args, **kwargs):
        data = CompanionInput(data=request.data)
        data.is_valid(raise_exception=True)
        if "name" in data.validated_data:
            companion = companion_rename(user=request.user, name=data.validated_data["name"])
        else:
            companion = companion_get(user=request.user)
        state = onboarding_state(user=request.user)
        view = companion_view(companion, answers=state.answers, language=state.language)
        return Response(CompanionOutput(asdict(view)).data)
