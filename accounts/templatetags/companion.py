"""`{% home_companion user as card %}`: the person's companion for the home page, localised."""

from django import template

from accounts import onboarding as quiz
from accounts.onboarding_views import chat_url
from accounts.selectors import companion_for, companion_view

register = template.Library()


@register.simple_tag
def home_companion(user) -> dict:
    language = quiz.language_of(getattr(user, "preferred_language", "en"))
    companion = companion_for(user=user) if user.is_authenticated else None
    if companion is None:
        return {"companion": None, "t": quiz.ui_strings(language, name="")}
    return {
        "companion": companion_view(companion, answers={}, language=language),
        "t": quiz.ui_strings(language, name=companion.name),
        "chat_url": chat_url(),
    }
