"""Registries a higher app fills from its `AppConfig.ready`, so accounts never imports it.

- The welcome installer: finishing onboarding hands the person's first memories and the
  companion's opening conversation to memory (`memory.companion.onboarding.welcome_install`).
- Erasers: every app that keeps rows about a person registers one; erasure
  (`memory.privacy.erasure.user_erase`) runs them all, in registration order, inside its
  transaction, before the account row is deleted.
- The account eraser: memory registers `user_erase`, so the erasure workflow of accounts
  (`accounts.erasure`) executes a request without importing memory.
- Publication counters: community says how many sub-agents a person has published, so the
  deletion page can offer to keep them for the community.
- Transfers: every app that keeps a person's data registers an exporter and a restorer;
  export and import (`memory.transfer.jobs`) run them all.
- Security recorders: sign-ins, failures, tokens and password changes are handed to them
  (memory records them in the audit log).
- Purgers and step-up guards: apps whose items carry a privacy policy (sub-agent entries) say
  how their expired items are purged (memory's beat task runs them) and which items need a
  step-up before an export.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from accounts.models import Companion, Onboarding, User


@dataclass(frozen=True)
class Welcome:
    """What finishing onboarding gives the installer: everything is already validated."""

    user: User
    onboarding: Onboarding
    companion: Companion
    gift: list[str]
    language: str
    now: datetime | None = None  # when it happens (None: now; the demo account's past)


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


@dataclass(frozen=True)
class ErasureOptions:
    """What the person (or staff on their behalf) chose: keep_published keeps their public
    sub-agents in the community, anonymised; otherwise they become anonymised tombstones."""

    keep_published: bool = False


# Erases (or anonymises) what one app keeps about the person; returns counts for the report.
Eraser = Callable[[User, ErasureOptions], dict[str, int]]

_erasers: dict[str, Eraser] = {}


def eraser_register(name: str, eraser: Eraser) -> None:
    _erasers[name] = eraser


def registered_erasers() -> list[str]:
    return list(_erasers)


def erasers_run(user: User, options: ErasureOptions) -> dict[str, int]:
    """Run every registered eraser for the person; counts keyed "<eraser>.<what>"."""
    counts: dict[str, int] = {}
    for name, eraser in list(_erasers.items()):
        for what, n in eraser(user, options).items():
            counts[f"{name}.{what}"] = n
    return counts


class AccountEraser(Protocol):
    def __call__(
        self, *, user: User, actor: User | None, reason: str, options: ErasureOptions
    ) -> dict[str, int]: ...


_account_erasers: list[AccountEraser] = []


def account_eraser_register(eraser: AccountEraser) -> None:
    _account_erasers[:] = [eraser]


def account_erase(
    *, user: User, actor: User | None, reason: str, options: ErasureOptions
) -> dict[str, int]:
    """Erase the account through the registered eraser (memory's crypto-shredding erasure)."""
    if not _account_erasers:
        raise RuntimeError("No account eraser is registered (is the memory app installed?).")
    return _account_erasers[0](user=user, actor=actor, reason=reason, options=options)


# How many sub-agents the person has published that others can see.
PublicationCounter = Callable[[User], int]

_publication_counters: list[PublicationCounter] = []


def publication_counter_register(counter: PublicationCounter) -> None:
    if counter not in _publication_counters:
        _publication_counters.append(counter)


def publications_count(user: User) -> int:
    return sum(counter(user) for counter in list(_publication_counters))


# Export and import (memory.transfer.jobs): every app that keeps a person's data registers
# what it writes into the archive and how it restores it. Archive rows refer to each other by
# archive references (`ExportContext.ref`), numbered in the order they are first met, never by
# database ids, so the same data always exports the same way.


@dataclass
class ExportContext:
    user: User
    files: dict[str, bytes] = field(default_factory=dict)  # extra files (photos), by path
    _refs: dict[str, dict[int, int]] = field(default_factory=dict)

    def ref(self, kind: str, db_id: int | None) -> int | None:
        """The archive reference of a row of `kind` ("memory", "entry", ...)."""
        if db_id is None:
            return None
        refs = self._refs.setdefault(kind, {})
        return refs.setdefault(db_id, len(refs) + 1)

    def file_add(self, folder: str, data: bytes, extension: str) -> str:
        name = f"{folder}/{len(self.files) + 1}.{extension}"
        self.files[name] = data
        return name


@dataclass
class ImportContext:
    user: User
    sections: dict[str, Any]
    files: dict[str, bytes]
    # archive reference -> new database id, per kind (filled by the importers as they restore)
    ids: dict[str, dict[int, int]] = field(default_factory=dict)
    prepared: dict[str, Any] = field(default_factory=dict)  # what prepare steps computed
    finishers: list[Callable[[], None]] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    def section(self, name: str, kind: type = list) -> Any:
        value = self.sections.get(name, kind())
        if not isinstance(value, kind):
            raise ValueError(f"The {name} section has the wrong shape.")
        return value

    def new_id(self, kind: str, ref: Any) -> int | None:
        if ref is None:
            return None
        return self.ids.get(kind, {}).get(ref)

    def remember(self, kind: str, ref: Any, db_id: int) -> None:
        if not isinstance(ref, int) or isinstance(ref, bool):
            raise ValueError(f"A {kind} reference must be an integer.")
        self.ids.setdefault(kind, {})[ref] = db_id


Exporter = Callable[[ExportContext], dict[str, Any]]  # section name -> JSON-ready value
Restorer = Callable[[ImportContext], None]  # runs inside the import's one transaction
Preparer = Callable[[ImportContext, Callable[[float], None]], None]  # slow work, no transaction


@dataclass(frozen=True)
class Transfer:
    export: Exporter
    restore: Restorer
    prepare: Preparer | None = None
    # sections this app exports but does not restore (kept for the record; see README)
    not_restored: tuple[str, ...] = ()


_transfers: dict[str, Transfer] = {}


def transfer_register(name: str, transfer: Transfer) -> None:
    _transfers[name] = transfer


def registered_transfers() -> list[tuple[str, Transfer]]:
    """In registration order (the apps' order), which is the order restores run in."""
    return list(_transfers.items())


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


# Items with a privacy policy kept outside memory (sub-agent entries): memory's beat purge runs
# every registered purger, and an export asks every guard for the items that need a step-up.
Purger = Callable[[Any], int]  # (now) -> how many expired items were deleted
StepUpGuard = Callable[[User], list]  # the person's items whose policy asks for a step-up

_purgers: dict[str, Purger] = {}
_step_up_guards: dict[str, StepUpGuard] = {}


def purger_register(name: str, purger: Purger) -> None:
    _purgers[name] = purger


def purgers_run(now: Any) -> dict[str, int]:
    return {name: purger(now) for name, purger in list(_purgers.items())}


def step_up_guard_register(name: str, guard: StepUpGuard) -> None:
    _step_up_guards[name] = guard


def step_up_guarded(user: User) -> dict[str, list]:
    """Per registered kind ("entry", ...), the person's items that need a step-up."""
    return {name: guard(user) for name, guard in list(_step_up_guards.items())}
