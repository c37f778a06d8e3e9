"""Demo preparers `make run` calls after the demo account exists (registered by the apps from
their AppConfig.ready, so macaron never imports the apps above it). Each is idempotent."""

from collections.abc import Callable

demo_preparers: list[tuple[str, Callable[[], object]]] = []


def demo_preparer_register(name: str, prepare: Callable[[], object]) -> None:
    if all(existing != name for existing, _prepare in demo_preparers):
        demo_preparers.append((name, prepare))


def demo_prepare_all() -> list[tuple[str, object]]:
    return [(name, prepare()) for name, prepare in demo_preparers]
