"""Usage events of installed sub-agents, for apps above this one (community counts how much a
shared blueprint is really used). Subagents never imports those apps: they register a listener
from their AppConfig.ready, and the runtime calls `usage_emit` explicitly where usage happens
(a tool page opened, an entry logged, a reminder acted on). Listeners get ids and counts only,
never what the person typed."""

from collections.abc import Callable
from typing import Literal

UsageKind = Literal["open", "entry", "reminder_acted", "uninstall"]
USAGE_KINDS = ("open", "entry", "reminder_acted", "uninstall")
UsageListener = Callable[..., None]

usage_listeners: list[UsageListener] = []


def usage_listener_register(listener: UsageListener) -> None:
    """Add a listener called as listener(installation=..., kind=..., count=...); once only."""
    if listener not in usage_listeners:
        usage_listeners.append(listener)


def usage_listener_unregister(listener: UsageListener) -> None:
    if listener in usage_listeners:
        usage_listeners.remove(listener)


def usage_emit(*, installation, kind: UsageKind, count: int = 1) -> None:
    if kind not in USAGE_KINDS:
        raise ValueError(f"Unknown usage kind {kind!r}.")
    for listener in list(usage_listeners):
        listener(installation=installation, kind=kind, count=count)
