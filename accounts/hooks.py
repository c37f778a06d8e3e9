"""Registries a higher app fills from its `AppConfig.ready`, so accounts never imports it.

- The welcome installer: finishing onboarding hands the person's first memories and the
  companion's opening conversation to memory (`memory.companion.onboarding.welcome_install`).
- Erasers: every app that keeps rows about a person registers one; erasure
  (`memory.privacy.erasure.user_erase`) runs them all, in registration order, inside its
  transaction, before the account row is deleted.
- Security recorders: sign-ins, failures, tokens and password changes are handed to them
  (memory records them in the audit log).
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


# Erases (or anonymises) what one app keeps about the person; returns counts for the report.
Eraser = Callable[[User], dict[str, int]]

_erasers: dict[str, Eraser] = {}


def eraser_register(name: str, eraser: Eraser) -> None:
    _erasers[name] = eraser


def registered_erasers() -> list[str]:
    return list(_erasers)


def erasers_run(user: User) -> dict[str, int]:
    """Run every registered eraser for the person; counts keyed "<eraser>.<what>"."""
    counts: dict[str, int] = {}
    for name, eraser in list(_erasers.items()):
        for what, n in eraser(user).items():
            counts[f"{name}.{what}"] = n
    return counts


# Security events (sign-ins, failures, sign-outs, tokens, password changes): accounts says what
# happened, with ids only; memory's audit log records it (`memory.privacy.security`).
class SecurityKind:
    LOGIN = "login"
    LOGIN_FAILED = "login_failed"
    LOGOUT = "logout"
    LOGOUT_EVERYWHERE = "logout_everywhere"
    PASSWORD_CHANGE = "password_change"
    TOKEN_CREATE = "token_create"
    TOKEN_USE = "token_use"
    TOKEN_REVOKE = "token_revoke"


@dataclass(frozen=True)
class SecurityEvent:
    kind: str
    user_id: int | None  # whose account it concerns; None for an unknown account
    actor_id: int | None = None  # who did it, when someone signed in did
    detail: dict | None = None  # ids and counts, never what was typed


SecurityRecorder = Callable[[SecurityEvent], None]

_security_recorders: list[SecurityRecorder] = []


def security_recorder_register(recorder: SecurityRecorder) -> None:
    if recorder not in _security_recorders:
        _security_recorders.append(recorder)


def security_event(
    kind: str, *, user_id: int | None, actor_id: int | None = None, detail: dict | None = None
) -> None:
    """Hand a security event to every recorder (inside the caller's transaction)."""
    event = SecurityEvent(kind=kind, user_id=user_id, actor_id=actor_id, detail=detail)
    for recorder in list(_security_recorders):
        recorder(event)
