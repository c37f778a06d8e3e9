"""`{% notification_count user as count %}`: the person's raised, not dismissed reminders (the
nav bell). Anonymous visitors cost no query."""

from django import template

from memory.companion.reminders import notification_count as count_for
from memory.companion.reminders import upcoming_reminders_for as upcoming_for

register = template.Library()


@register.simple_tag
def notification_count(user) -> int:
    if not getattr(user, "is_authenticated", False):
        return 0
    return count_for(user=user)


@register.simple_tag
def upcoming_reminders(user, limit: int = 3) -> list:
    """`{% upcoming_reminders user as upcoming %}`: the next few reminders (the home page)."""
    if not getattr(user, "is_authenticated", False):
        return []
    return upcoming_for(user=user, limit=limit)
