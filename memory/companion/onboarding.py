"""Finishing onboarding, memory's part: the first memories and the first conversation.

Registered with `accounts.hooks` from `MemoryConfig.ready` (accounts never imports memory):
`accounts.services.onboarding_complete` validates, creates the companion and records the gift,
then calls `welcome_install` inside its transaction.
"""

from django.utils import timezone

from accounts import onboarding as quiz
from accounts.hooks import Welcome
from macaron.i18n import _
from memory.ingest.store import messages_ingest
from memory.ingest.write import MessageIn, conversation_create, memories_create
from memory.models import Memory, Message

CONVERSATION_TITLE = _("Hello from {name}")


def welcome_install(welcome: Welcome) -> int:
    """Remember the answers and interests, and let the companion open the first conversation;
    returns that conversation's id."""
    user, onboarding, companion, language = (
        welcome.user,
        welcome.onboarding,
        welcome.companion,
        welcome.language,
    )
    answers = [
        quiz.answer_memory(question_id, option_id, language)
        for question_id, option_id in quiz.clean_answers(onboarding.answers).items()
    ]
    memories_create(  # one batched embedding call for all of them
        user=user,
        texts=[*answers, quiz.interests_memory(onboarding.interests, language)],
        source=Memory.Source.MANUAL,
    )
    conversation = conversation_create(
        user=user, title=CONVERSATION_TITLE[language].format(name=companion.name)
    )
    opening = quiz.opening_message(
        companion_name=companion.name,
        person_name=user.name,
        interests=onboarding.interests,
        gift=welcome.gift,
        language=language,
    )
    messages_ingest(
        user=user,
        conversation=conversation,
        messages=[MessageIn(text=opening, sent_at=timezone.now(), role=Message.Role.COMPANION)],
    )
    return conversation.id
