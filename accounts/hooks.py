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
"""

from collections.abc import Callable
from dataclasses import dataclass, field
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
