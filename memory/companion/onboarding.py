"""Finishing onboarding, memory's part: the first memories and the first conversation.

Registered with `accounts.hooks` from `MemoryConfig.ready` (accounts never imports memory):
`accounts.services.onboarding_complete` validates, creates the companion and records the gift
in one transaction, then, after it has committed, calls `welcome_install`.
"""

from django.db import transaction
from django.utils import timezone

from accounts import onboarding as quiz
from accounts.hooks import Welcome
from macaron.i18n import _
from memory.ingest.store import messages_store
from memory.ingest.write import (
    MessageIn,
    conversation_create,
    person_write_lock,
    stated_embed,
    stated_write,
)
from memory.models import Memory, Message

CONVERSATION_TITLE = _("Hello from {name}")
# The external id of the companion's opening message (and of the first memories' sources):
# how a second call finds that the welcome is already there.
WELCOME_ID = "onboarding-welcome"


def welcome_conversation_id(*, user) -> int | None:
    """The conversation the companion opened when the person finished onboarding, if any."""
    return (
        Message.objects.filter(user=user, external_id=WELCOME_ID)
        .values_list("conversation_id", flat=True)
        .first()
    )


def welcome_install(welcome: Welcome) -> int:
    """Remember the answers and interests, and let the companion open the first conversation;
    returns that conversation's id.

    Run with no transaction open: the memories are embedded in one batch first, then written
    with the conversation in one short transaction under the person's write lock. Idempotent:
    when the welcome is already there (a retry, a double submit, a concurrent call that won
    the lock), nothing is added and its conversation is returned."""
    user, onboarding, companion, language = (
        welcome.user,
        welcome.onboarding,
        welcome.companion,
        welcome.language,
    )
    existing = welcome_conversation_id(user=user)
    if existing is not None:
        return existing
    answers = [
        quiz.answer_memory(question_id, option_id, language)
        for question_id, option_id in quiz.clean_answers(onboarding.answers).items()
    ]
    embedded = stated_embed(  # one batched embedding call for all of them
        user=user,
        texts=[*answers, quiz.interests_memory(onboarding.interests, language)],
        external_id=WELCOME_ID,
    )
    opening = quiz.opening_message(
        companion_name=companion.name,
        person_name=user.name,
        interests=onboarding.interests,
        gift=welcome.gift,
        language=language,
    )
    with transaction.atomic():
        person_write_lock(user.id)
        existing = welcome_conversation_id(user=user)
        if existing is not None:
            return existing
        stated_write(user=user, embedded=embedded, source=Memory.Source.MANUAL)
        conversation = conversation_create(
            user=user, title=CONVERSATION_TITLE[language].format(name=companion.name)
        )
        messages_store(
            user=user,
            conversation=conversation,
            messages=[
                MessageIn(
                    text=opening,
                    sent_at=welcome.now or timezone.now(),
                    role=Message.Role.COMPANION,
                    external_id=WELCOME_ID,
                )
            ],
            enqueue=False,  # the companion's words are stored processed: nothing to process
        )
    return conversation.id
