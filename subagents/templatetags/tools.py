from django import template

from macaron.i18n import active_language
from subagents.reminders import tool_reminder_count as _count

register = template.Library()


@register.simple_tag
def tool_reminder_count(user) -> int:
    """Raised, not dismissed reminders of the person's tools (for the nav badge)."""
    if not getattr(user, "is_authenticated", False):
        return 0
    return _count(user=user)


@register.simple_tag
def tools_today(user) -> list:
    """The home page's "Today" cards: the person's tools with progress, next reminder and a
    one-tap log (empty for anonymous visitors)."""

    from subagents.selectors import tools_today as _today

    if not getattr(user, "is_authenticated", False):
        return []
    return _today(user=user, language=active_language())
