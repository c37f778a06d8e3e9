"""The onboarding welcome gift, sub-agents' part: the three gifts become real installed tools.

Registered with `accounts.hooks` from `SubagentsConfig.ready` (accounts never imports
sub-agents). The onboarding quiz names each gift by its own slug (`accounts.onboarding.GIFTS`);
`GIFT_BLUEPRINTS` maps it to the catalogue blueprint that is installed, in the person's
language. Idempotent: each gift installs with the client token `welcome-<gift>`, so a repeated
call returns the same installations.
"""

from accounts.hooks import Welcome
from subagents.models import Installation
from subagents.services import catalogue_install

# Gift slug → catalogue blueprint slug (a language gift depends on the person's language).
GIFT_BLUEPRINTS = {
    "meal-planner": "meal-planner",
    "recipe-box": "recipes",
    "workout-log": "strength-training",
    "step-streak": "steps",
    "hydration-log": "hydration",
    "medicine-reminder": "medication",
    "sleep-diary": "sleep",
    "wind-down": "meditation",
    "mood-journal": "mood",
    "gratitude-list": "gratitude",
    "study-timer": "focus-sessions",
    "flashcards": "flashcards",
    "trip-planner": "trip-budget",
    "packing-list": "travel-packing",
    "expense-tracker": "expenses",
    "savings-jar": "savings-goal",
    "habit-tracker": "habits",
    "project-board": "goals",
    "practice-log": "music-practice",
    "playlist-notes": "journal",
    "reading-list": "reading-list",
    "book-notes": "journal",
}
LANGUAGE_GIFTS = {"word-of-the-day", "phrasebook"}
PRACTICE_FOR = {"en": "japanese-practice", "ja": "english-practice", "ko": "english-practice"}


def gift_blueprint(gift: str, language: str) -> str | None:
    """The catalogue slug a gift installs (None for an unknown gift)."""
    if gift in LANGUAGE_GIFTS:
        return PRACTICE_FOR.get(language, "japanese-practice")
    return GIFT_BLUEPRINTS.get(gift)


def welcome_gift_install(welcome: Welcome) -> None:
    """Install each gift's blueprint once (a gift whose blueprint is already installed by an
    earlier gift is not installed twice); opens no conversation."""
    installed: set[str] = set()
    for gift in welcome.gift:
        slug = gift_blueprint(gift, welcome.language)
        if slug is None or slug in installed:
            continue
        installed.add(slug)
        catalogue_install(
            user=welcome.user,
            slug=slug,
            language=welcome.language,
            client_token=f"welcome-{slug}",
            now=welcome.now,
        )
    return None


def welcome_installations(*, user) -> list[Installation]:
    """The tools the welcome gift installed for the person (oldest first)."""
    return list(
        Installation.objects.filter(user=user, client_token__startswith="welcome-").order_by("id")
    )
