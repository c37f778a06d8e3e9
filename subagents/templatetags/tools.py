from django import template

from subagents.reminders import tool_reminder_count as _count

register = template.Library()


@register.simple_tag
def tool_reminder_count(user) -> int:
    """Raised, not dismissed reminders of the person's tools (for the nav badge)."""
    if not getattr(user, "is_authenticated", False):
        return 0
    return _count(user=user)
