"""The embedded Postgres (with pgvector) used when DATABASE_URL is unset.

The PyPI package `pgserver` ships Postgres 16 + pgvector in a wheel. Every process that calls
`embedded_database_url()` shares the one server under `var/pgdata`; pgserver stops it when the
last of those processes exits, and the data stays on disk for the next start.
"""

import logging
import os
import warnings
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
DEFAULT_PGDATA = BASE_DIR / "var" / "pgdata"

logger = logging.getLogger(__name__)
_server = None


def embedded_database_url() -> str:
    global _server
    if _server is None:
        pgdata = Path(os.environ.get("MACARON_PGDATA", DEFAULT_PGDATA)).resolve()
        pgdata.mkdir(parents=True, exist_ok=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # platformdirs warns about XDG_RUNTIME_DIR
            import pgserver

            _server = pgserver.get_server(pgdata)
        logger.info("embedded postgres running in %s", pgdata)
    return _server.get_uri()
