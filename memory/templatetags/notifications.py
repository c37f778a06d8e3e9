"""`{% notification_count user as count %}`: the person's raised, not dismissed reminders (the
nav bell). Anonymous visitors cost no query."""

from django import template

from memory.companion.reminders import notification_count as count_for

register = template.Library()


@register.simple_tag
def notification_count(user) -> int:
    if not getattr(user, "is_authenticated", False):
        return 0
    return count_for(user=user)
