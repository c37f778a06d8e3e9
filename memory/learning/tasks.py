"""Thin, idempotent Celery tasks of the learning loop: ids in, a service call."""

from celery import shared_task

from memory.learning.gate import people_fade
from memory.learning.log import retrieval_logs_prune
from memory.learning.person import people_with_new_rewards, person_policy_fit


@shared_task(name="memory.learning_fit_person", acks_late=True)
def fit_person_policy(user_id: int) -> int:
    return person_policy_fit(user_id=user_id).events


@shared_task(name="memory.learning_fit_people", acks_late=True)
def fit_person_policies() -> int:
    """Beat: refit everyone with reward events newer than their last fit."""
    people = people_with_new_rewards()
    for user_id in people:
        person_policy_fit(user_id=user_id)
    return len(people)


@shared_task(name="memory.learning_prune_logs", acks_late=True, time_limit=1800)
def prune_retrieval_logs() -> int:
    return retrieval_logs_prune()


@shared_task(name="memory.learning_fade", acks_late=True, time_limit=1800)
def fade_memories() -> int:
    """Beat: let memories the forget gate does not expect to help fade (never pinned or
    important ones)."""
    return people_fade()
