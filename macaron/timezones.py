"""The one time-zone helper: a person's zone, and a moment in it.

Every path that turns "tomorrow" into a date asks here, so an unknown or empty zone falls back
to UTC the same way everywhere.
"""

import zoneinfo
from datetime import UTC, datetime, tzinfo

from django.utils import timezone

AVAILABLE_TIME_ZONES = sorted(zoneinfo.available_timezones())
# The short list sign-up offers (west to east), with "other" for the rest of AVAILABLE_TIME_ZONES.
COMMON_TIME_ZONES = (
    "Pacific/Honolulu",
    "America/Los_Angeles",
    "America/Denver",
    "America/Chicago",
    "America/New_York",
    "America/Sao_Paulo",
    "UTC",
    "Europe/London",
    "Europe/Paris",
    "Europe/Berlin",
    "Africa/Lagos",
    "Europe/Istanbul",
    "Africa/Johannesburg",
    "Asia/Dubai",
    "Asia/Kolkata",
    "Asia/Bangkok",
    "Asia/Shanghai",
    "Asia/Singapore",
    "Asia/Seoul",
    "Asia/Tokyo",
    "Australia/Sydney",
    "Pacific/Auckland",
)


def zone_label(name: str, *, now: datetime | None = None) -> str:
    """ "Tokyo (UTC+09:00)": the zone's city and its offset now, for a short list."""
    offset = (now or timezone.now()).astimezone(zone_named(name)).strftime("%z")
    city = name.rsplit("/", 1)[-1].replace("_", " ")
    return f"{city} (UTC{offset[:3]}:{offset[3:]})"


def zone_named(name: str | None) -> zoneinfo.ZoneInfo:
    """The zone called `name`; UTC when it is empty or unknown."""
    try:
        return zoneinfo.ZoneInfo(name or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def user_zone(user: object) -> zoneinfo.ZoneInfo:
    """The person's own time zone (their profile setting), UTC when unset or unknown."""
    return zone_named(getattr(user, "time_zone", "") or "UTC")


def zone_activate(*, user: object) -> None:
    """Read and show times in the person's own zone for the rest of this request (UTC when
    unset or unknown): the session middleware and API token authentication both call it."""
    timezone.activate(user_zone(user))


def aware(value: datetime) -> datetime:
    """A naive moment is taken as UTC."""
    return value if timezone.is_aware(value) else value.replace(tzinfo=UTC)


def local_time(value: datetime, user: object) -> datetime:
    """The moment in the person's own time zone: "tomorrow" means their tomorrow."""
    return aware(value).astimezone(user_zone(user))


def wall_clock(value: datetime, zone: tzinfo | str | None) -> datetime:
    """A moment as naive wall-clock time in `zone` (a zone or its name; UTC when unknown): an
    aware moment is converted into it, a naive one already is local time. Without a zone an
    aware moment keeps its own zone's wall clock."""
    if zone is None or value.tzinfo is None:
        return value.replace(tzinfo=None)
    return value.astimezone(zone if isinstance(zone, tzinfo) else zone_named(zone)).replace(
        tzinfo=None
    )
