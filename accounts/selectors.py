"""Reads for accounts: where a person is in onboarding, and their companion, localised."""

import os
from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils import timezone

from accounts import onboarding as quiz
from accounts.models import ApiToken, Companion, Onboarding, User


@dataclass(frozen=True)
class OptionView:
    id: str
    emoji: str
    text: str


@dataclass(frozen=True)
class QuestionView:
    id: str
    number: int  # 1-based
    text: str
    options: list[OptionView]
    answer: str | None  # the option id picked so far


@dataclass(frozen=True)
class CompanionView:
    name: str
    colour: str
    traits: list[str]  # trait ids
    trait_labels: list[str]
    personality_code: str
    name_suggestions: list[str]


@dataclass(frozen=True)
class ChoiceView:
    slug: str
    emoji: str
    label: str
    blurb: str = ""


@dataclass(frozen=True)
class OnboardingState:
    language: str
    answers: dict[str, str]
    answered: int
    total: int
    next_question: QuestionView | None
    companion: CompanionView | None
    interests: list[str]
    gift: list[
        ChoiceView
    ]  # the recorded gift once complete, else a preview (empty without interests)
    skipped: bool
    completed: bool
    first_conversation_id: int | None


def question_view(number: int, *, answers: dict, language: str) -> QuestionView | None:
    if not 1 <= number <= quiz.QUESTION_COUNT:
        return None
    question = quiz.QUESTIONS[number - 1]
    return QuestionView(
        id=question.id,
        number=number,
        text=question.text[language],
        options=[OptionView(o.id, o.emoji, o.text[language]) for o in question.options],
        answer=quiz.clean_answers(answers).get(question.id),
    )


def companion_view(companion: Companion, *, answers: dict, language: str) -> CompanionView:
    return CompanionView(
        name=companion.name,
        colour=companion.colour,
        traits=list(companion.traits),
        trait_labels=[
            quiz.TRAIT_LABELS[t][language] for t in companion.traits if t in quiz.TRAIT_LABELS
        ],
        personality_code=companion.personality_code,
        name_suggestions=quiz.personality_from_answers(answers).names if answers else [],
    )


def interest_choices(language: str) -> list[ChoiceView]:
    return [ChoiceView(i.slug, i.emoji, i.label[language]) for i in quiz.INTERESTS]


def gift_views(slugs: list[str], language: str) -> list[ChoiceView]:
    gifts = [quiz.GIFTS_BY_SLUG[s] for s in slugs if s in quiz.GIFTS_BY_SLUG]
    return [ChoiceView(g.slug, g.emoji, g.name[language], g.blurb[language]) for g in gifts]


def demo_email() -> str:
    return os.environ.get("DEMO_EMAIL", "demo@macaron.local")


def demo_user() -> User | None:
    """The demo person `make run` seeds (DEMO_EMAIL), if there is one."""
    return User.objects.filter(email=demo_email()).first()


def companion_for(*, user: User) -> Companion | None:
    return Companion.objects.filter(user=user).first()


def onboarding_state(*, user: User) -> OnboardingState:
    language = quiz.language_of(user.preferred_language)
    onboarding = Onboarding.objects.filter(user=user).first() or Onboarding(user=user)
    answers = quiz.clean_answers(onboarding.answers)
    upcoming = quiz.next_question(answers)
    companion = companion_for(user=user)
    if onboarding.completed_at:
        gift = list(onboarding.welcome_gift)
    else:
        gift = quiz.gift_for(onboarding.interests) if onboarding.interests else []
    return OnboardingState(
        language=language,
        answers=answers,
        answered=len(answers),
        total=quiz.QUESTION_COUNT,
        next_question=(
            question_view(quiz.QUESTIONS.index(upcoming) + 1, answers=answers, language=language)
            if upcoming
            else None
        ),
        companion=(
            companion_view(companion, answers=answers, language=language) if companion else None
        ),
        interests=list(onboarding.interests),
        gift=gift_views(gift, language),
        skipped=onboarding.skipped_at is not None,
        completed=onboarding.completed_at is not None,
        first_conversation_id=onboarding.first_conversation_id,
    )


def api_tokens_for_user(*, user: User) -> QuerySet[ApiToken]:
    """The person's live API tokens (neither revoked nor expired), newest first."""
    return ApiToken.objects.filter(
        user=user, revoked_at__isnull=True, expires_at__gt=timezone.now()
    ).order_by("-created_at", "-id")
