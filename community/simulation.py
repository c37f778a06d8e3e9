"""Replay a community scenario through the real models, services and aggregation jobs on a
simulated clock, inside a transaction that is always rolled back (nothing is left behind).

Scenario format: ../shared/data/README.md ("community-dev"). The output is
`{"days": [{"day", "ranking", "scores", "shown"}]}` with the scenario's own ids.
"""

import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta

from django.contrib.auth import get_user_model
from django.db import transaction

from community import services
from community.models import Blueprint, UsageEvent
from community.sample_specs import fork_edit, sample_spec
from macaron.errors import DomainError

SIM_START = datetime(2026, 1, 5, tzinfo=UTC)


class _Rollback(Exception):
    pass


def _spec_for(entry: dict, specs: dict[str, dict]) -> dict:
    if entry.get("spec_from"):
        return sample_spec(str(entry["spec_from"]))
    parent = entry.get("parent")
    if parent and parent in specs:
        return fork_edit(specs[parent], label=str(entry["id"]))
    return sample_spec(f"tracker {entry['id']}")


def scenario_run(*, scenario: dict, seed: int = 0) -> tuple[dict, Counter]:
    """Run `scenario` and return (output, counts of what happened/was refused)."""
    result: dict = {}
    stats: Counter = Counter()
    try:
        with transaction.atomic():
            result = _run(scenario=scenario, seed=seed, stats=stats)
            raise _Rollback
    except _Rollback:
        pass
    return result, stats


def _run(*, scenario: dict, seed: int, stats: Counter) -> dict:
    User = get_user_model()
    tag = uuid.uuid4().hex[:10]
    users = {}
    for index in range(int(scenario["users"])):
        user = User(email=f"sim-{tag}-u{index}@simulate.invalid", display_name="")
        user.set_unusable_password()
        users[f"u{index}"] = user
    User.objects.bulk_create(users.values())
    users = {key: User.objects.get(email=user.email) for key, user in users.items()}

    by_day_bp: dict[int, list[dict]] = {}
    for entry in scenario["blueprints"]:
        by_day_bp.setdefault(int(entry.get("day", 0)), []).append(entry)
    by_day_ev: dict[int, list[dict]] = {}
    for event in scenario["events"]:
        by_day_ev.setdefault(int(event["day"]), []).append(event)

    blueprints: dict[str, Blueprint] = {}
    specs: dict[str, dict] = {}
    ids: dict[int, str] = {}
    days = []
    for day in range(int(scenario["days"])):
        morning = SIM_START + timedelta(days=day, hours=8)
        for entry in by_day_bp.get(day, []):
            spec = _spec_for(entry, specs)
            author = users[entry["author"]]
            parent = blueprints.get(entry.get("parent")) if entry.get("parent") else None
            listing = services.Listing(
                title=f"Blueprint {entry['id']}", description=spec["description"]
            )
            publish = dict(user=author, spec=spec, listing=listing, now=morning)
            try:
                if parent is not None:
                    bp = services.blueprint_fork(
                        user=author, blueprint=parent, spec=spec, listing=listing, now=morning
                    )
                else:
                    bp = services.blueprint_publish(**publish)
            except services.PrivacyConfirmationRequired:
                stats["privacy_confirmed"] += 1
                if parent is not None:
                    bp = services.blueprint_fork(
                        user=author,
                        blueprint=parent,
                        spec=spec,
                        listing=listing,
                        now=morning,
                        confirmed=True,
                    )
                else:
                    bp = services.blueprint_publish(**publish, confirmed=True)
            blueprints[entry["id"]] = bp
            specs[entry["id"]] = spec
            ids[bp.id] = entry["id"]
            stats["published"] += 1
        clock = morning + timedelta(hours=1)
        for event in by_day_ev.get(day, []):
            clock += timedelta(milliseconds=50)
            _apply(event, users=users, blueprints=blueprints, now=clock, stats=stats)
        date = (SIM_START + timedelta(days=day)).date()
        services.usage_aggregate_pending(today=date)
        rows = services.scores_compute(
            day=date, seed=seed, now=SIM_START + timedelta(days=day, hours=23)
        )
        listed = [row for row in rows if row.components.get("rank") is not None]
        listed.sort(key=lambda row: row.components["rank"])
        shown = sorted(
            (row for row in rows if row.components.get("page_position") is not None),
            key=lambda row: row.components["page_position"],
        )
        days.append(
            {
                "day": day,
                "ranking": [ids[row.blueprint_id] for row in listed],
                "scores": {ids[row.blueprint_id]: round(row.trending, 6) for row in listed},
                "shown": [ids[row.blueprint_id] for row in shown],
                "components": {ids[row.blueprint_id]: row.components for row in listed},
            }
        )
    return {"scenario": scenario.get("name"), "seed": seed, "days": days}


def _apply(event: dict, *, users, blueprints, now: datetime, stats: Counter) -> None:
    user = users.get(event["user"])
    blueprint = blueprints.get(event["blueprint"])
    action = event["action"]
    if user is None or blueprint is None:
        stats[f"skipped_{action}"] += 1
        return
    try:
        if action == "import":
            services.blueprint_import(user=user, blueprint=blueprint, now=now)
        elif action in ("open", "entry"):
            kind = UsageEvent.Kind.OPEN if action == "open" else UsageEvent.Kind.ENTRY
            services.usage_record(
                user_id=user.id,
                blueprint_id=blueprint.id,
                kind=kind,
                count=int(event.get("count") or 1),
                at=now,
            )
        elif action == "rating":
            services.rating_set(user=user, blueprint=blueprint, value=int(event["value"]), now=now)
        elif action == "uninstall":
            services.import_uninstall(user=user, blueprint=blueprint, now=now)
        elif action == "report":
            services.report_create(user=user, blueprint=blueprint, reason="other", now=now)
        else:
            stats[f"unknown_{action}"] += 1
            return
        stats[action] += 1
    except DomainError as error:
        stats[f"refused_{action}:{error.code}"] += 1
