"""Registries a higher app fills from its `AppConfig.ready`, so accounts never imports it.

- The welcome installer: finishing onboarding hands the person's first memories and the
  companion's opening conversation to memory (`memory.companion.onboarding.welcome_install`).
"""

from collections.abc import Callable
from dataclasses import dataclass

from accounts.models import Companion, Onboarding, User


@dataclass(frozen=True)
class Welcome:
    """What finishing onboarding gives the installer: everything is already validated."""

    user: User
    onboarding: Onboarding
    companion: Companion
    gift: list[str]
    language: str


# Returns the id of the first conversation it opened (None when it opened none).
WelcomeInstaller = Callable[[Welcome], int | None]

_welcome_installers: list[WelcomeInstaller] = []


def welcome_installer_register(installer: WelcomeInstaller) -> None:
    if installer not in _welcome_installers:
        _welcome_installers.append(installer)


def welcome_install(welcome: Welcome) -> int | None:
    """Run every registered installer in order; the first conversation id any of them opened."""
    first: int | None = None
    for installer in list(_welcome_installers):
        opened = installer(welcome)
        if first is None:
            first = opened
    return first
