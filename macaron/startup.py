"""What `manage.py runstack` prepares before it starts the processes, filled by higher apps
from their `AppConfig.ready` (macaron never imports them).

A preparer runs after migrations and returns lines to print (for example the demo login).
"""

from collections.abc import Callable

StartupPreparer = Callable[[], list[str]]

_preparers: list[StartupPreparer] = []


def startup_preparer_register(preparer: StartupPreparer) -> None:
    if preparer not in _preparers:
        _preparers.append(preparer)


def startup_prepare() -> list[str]:
    """Run every registered preparer in order; the lines they want shown."""
    lines: list[str] = []
    for preparer in list(_preparers):
        lines.extend(preparer())
    return lines
