"""Completing onboarding: the welcome gift, the first memories and the first conversation.

This is the one place where accounts calls memory (dependencies otherwise point
memory → accounts): it only calls `memory.services`, and nothing in accounts' models, services
or selectors imports this module, so no import circle can form.
"""

from django.db import transaction
from django.utils import timezone

from accounts import onboarding as quiz
from accounts.models import Onboarding, User
from accounts.services import companion_create, onboarding_lock
from macaron.errors import DomainError
from memory.models import Memory, Message
from memory.services import MessageIn, conversation_create, memory_create, messages_ingest

CONVERSATION_TITLE = {"en": "Hello from {name}", "ja": "{name}からのあいさつ"}


def onboarding_complete(*, user: User) -> Onboarding:
    """Record the gift, remember the answers and interests, and let the companion open the
    first conversation. Safe to call twice: the second call changes nothing."""
    with transaction.atomic():
        onboarding = onboarding_lock(user=user)
        if onboarding.completed_at is not None:
            return onboarding
        if quiz.next_question(onboarding.answers) is not None:
            raise DomainError(
                f"Answer all {quiz.QUESTION_COUNT} questions first.", code="unanswered"
            )
        if not onboarding.interests:
            raise DomainError(
                "Pick at least one interest first.",
                code="no_interests",
                fields={"interests": ["Pick at least one."]},
            )
        companion = companion_create(user=user)
        language = quiz.language_of(user.preferred_language)
        gift = quiz.gift_for(onboarding.interests)

        for question_id, option_id in quiz.clean_answers(onboarding.answers).items():
            memory_create(
                user=user,
                text=quiz.answer_memory(question_id, option_id, language),
                source=Memory.Source.MANUAL,
            )
        memory_create(
            user=user,
            text=quiz.interests_memory(onboarding.interests, language),
            source=Memory.Source.MANUAL,
        )

        conversation = conversation_create(
            user=user, title=CONVERSATION_TITLE[language].format(name=companion.name)
        )
        opening = quiz.opening_message(
            companion_name=companion.name,
            person_name=user.name,
            interests=onboarding.interests,
            gift=gift,
            language=language,
        )
        messages_ingest(
            user=user,
            conversation=conversation,
            messages=[MessageIn(text=opening, sent_at=timezone.now(), role=Message.Role.COMPANION)],
        )

        onboarding.welcome_gift = gift
        onboarding.first_conversation_id = conversation.id
        onboarding.completed_at = timezone.now()
        onboarding.save(
            update_fields=["welcome_gift", "first_conversation_id", "completed_at", "updated_at"]
        )
    return onboarding
