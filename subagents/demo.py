"""The demo person's tools, sub-agents' part of `make run`'s living demo account.

Onboarding gave Alex a workout log, a hydration log and a mood journal five weeks ago; when
they started training for a 10k (four weeks ago) they installed the running log. Each tool has
weeks of entries logged through `entry_create` (values checked against the spec, encrypted, the
spec's memory hooks run), each on the day and hour it happened in the person's time zone.

Idempotent: when the person has any entry, nothing is added.
"""

import random
from datetime import datetime, time, timedelta

from django.utils import timezone

from accounts.selectors import demo_user
from macaron.timezones import user_zone
from subagents.models import Entry, Installation
from subagents.services import catalogue_install, entry_create

RUNNING_SINCE_DAYS = 27  # the day Alex told the companion about the 10k
HISTORY_DAYS = 33


def _at(day, hour: int, minute: int, zone) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=zone)


def _entries(slug: str, day, days_ago: int, rng: random.Random, zone) -> list[tuple]:
    """(moment, values) logged in the tool `slug` on `day` (the person's local day)."""
    if slug == "hydration":
        glasses = [rng.randint(2, 4), rng.randint(2, 4), rng.randint(1, 3)]
        hours = (9, 13, 18)
        return [
            (_at(day, hour, rng.randint(0, 59), zone), {"amount": n, "drink": "water"})
            for hour, n in zip(hours, glasses, strict=True)
        ]
    if slug == "mood":
        activities = rng.sample(["work", "exercise", "friends", "family", "outdoors", "rest"], 2)
        return [
            (_at(day, 21, 30, zone), {"mood": rng.choice([3, 4, 4, 5]), "activities": activities})
        ]
    if slug == "running" and days_ago <= RUNNING_SINCE_DAYS and days_ago % 3 == 2:
        # a plan that builds from 4 km to the 8 km long run said in the chat five days ago
        distance = round(4 + 4 * (RUNNING_SINCE_DAYS - days_ago) / (RUNNING_SINCE_DAYS - 5), 1)
        distance = min(distance, 8.0)
        return [
            (
                _at(day, 7, 10, zone),
                {
                    "distance": distance,
                    "time": round(distance * rng.uniform(5.9, 6.6)),
                    "feel": rng.choice(["great", "good", "good", "ok"]),
                    "type": "long" if distance >= 7 else rng.choice(["easy", "tempo"]),
                },
            )
        ]
    if slug == "strength-training" and day.weekday() in (0, 3):
        return [
            (
                _at(day, 18, 30 + n * 5, zone),
                {"exercise": exercise, "sets": 3, "reps": 8, "weight": weight},
            )
            for n, (exercise, weight) in enumerate((("squat", 50), ("row", 35), ("pull-up", 0)))
        ]
    return []


def demo_tools_seed(*, user, now: datetime | None = None, seed: int = 11) -> int:
    """Install the running log (dated) and log the weeks of entries once; returns the count."""
    if Entry.objects.filter(user=user).exists():
        return 0
    now = now or timezone.now()
    zone = user_zone(user)
    today = now.astimezone(zone).date()
    catalogue_install(
        user=user,
        slug="running",
        client_token="demo-running",
        now=_at(today - timedelta(days=RUNNING_SINCE_DAYS), 7, 0, zone),
    )
    tools = {
        installation.source.removeprefix("catalogue:"): installation
        for installation in Installation.objects.filter(
            user=user, uninstalled_at__isnull=True, source__startswith="catalogue:"
        )
    }
    rng = random.Random(seed)
    added = 0
    for days_ago in range(HISTORY_DAYS, -1, -1):
        day = today - timedelta(days=days_ago)
        for slug, installation in sorted(tools.items()):
            for moment, values in _entries(slug, day, days_ago, rng, zone):
                if moment > now or moment < installation.installed_at:
                    continue
                entry_create(
                    user=user,
                    installation_id=installation.id,
                    values=values,
                    occurred_at=moment,
                    now=moment,
                )
                added += 1
    return added


def demo_tools_lines() -> list[str]:
    """`make run`'s start-up preparer (after accounts created the demo person)."""
    user = demo_user()
    if user is None:
        return []
    added = demo_tools_seed(user=user)
    return [f"Demo tools: {added} entries added."] if added else []
