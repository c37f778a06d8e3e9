"""`{% home_companion user as card %}`: the person's companion for the home page, localised."""

from django import template

from accounts import onboarding as quiz
from accounts.avatar import companion_avatar_svg
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


@register.simple_tag
def companion_avatar(companion, size: int = 56):
    """`{% companion_avatar companion %}`: the companion's SVG picture (accounts.avatar)."""
    return companion_avatar_svg(
        colour=companion.colour, traits=list(companion.traits), label=companion.name, size=size
    )


@register.simple_tag
def personality_avatar(traits: str, colour: str = "", size: int = 56, label: str = ""):
    """An example picture for a personality ("cheerful-curious"), coloured by its first trait
    unless `colour` is given (the landing page's gallery)."""
    names = [t for t in traits.split("-") if t in quiz.TRAIT_COLOURS]
    colour = colour or (quiz.TRAIT_COLOURS[names[0]] if names else "")
    return companion_avatar_svg(colour=colour, traits=names, label=label, size=size)
