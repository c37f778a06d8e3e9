"""Development default: DEBUG on, console e-mail, embedded Postgres when DATABASE_URL is unset."""

from .base import *  # noqa: F403
