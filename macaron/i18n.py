"""The one translation system is gettext (locale/<lang>/LC_MESSAGES/django.po). This module
only adapts it to data that is shown in a language other than the active one (the person's
preferred language, chosen per call rather than per request).

`_("English text")` marks the string for `makemessages` (xgettext knows `_`) and returns a
`Translated`: `text["ja"]` (or "ko") is the catalogue's translation, `text["en"]` the English source.
"""

from collections.abc import Iterator, Mapping

from django.conf import settings
from django.utils import translation

LANGUAGES = tuple(code for code, _name in settings.LANGUAGES)


def active_language() -> str:
    """The request's active language as a bare code ("ja" for "ja-JP"), "en" when none."""
    return (translation.get_language() or "en").split("-")[0]


def in_language(message: str, language: str, *, context: str | None = None) -> str:
    """`message` translated into `language` (gettext; English when there is no translation)."""
    with translation.override(language if language in LANGUAGES else "en"):
        if context:
            return translation.pgettext(context, message)
        return translation.gettext(message)


class Translated(Mapping[str, str]):
    """An English text and, through gettext, its other languages: `text[language]` for each of
    LANGUAGES (a read-only mapping, like the hand-written {"en": …, "ja": …} it replaces)."""

    __slots__ = ("context", "message")

    def __init__(self, message: str, context: str | None = None) -> None:
        self.message = message
        self.context = context

    def __getitem__(self, language: str) -> str:
        if language not in LANGUAGES:
            raise KeyError(language)
        return in_language(self.message, language, context=self.context)

    def __iter__(self) -> Iterator[str]:
        return iter(LANGUAGES)

    def __len__(self) -> int:
        return len(LANGUAGES)

    def __hash__(self) -> int:
        return hash((self.message, self.context))

    def __repr__(self) -> str:
        return f"Translated({self.message!r})"

    def __str__(self) -> str:
        return self.message


def _(message: str) -> Translated:
    """Mark `message` for the catalogue; its translations are looked up when it is shown."""
    return Translated(message)
