"""Reads of the sub-agent runtime, every one scoped to the acting person.

Entries are encrypted, so views' data (series, totals, goal progress, streaks, heat-maps, pies)
decrypt one installation's entries and aggregate them in Python, in the person's time zone. A
person's entries for one tool are small (thousands at most); the cap below bounds the work.
"""

import json
import math
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext

from macaron.errors import NotFound
from macaron.timezones import user_zone
from macaron.vault import cipher_for
from memory.privacy.policies import (
    PolicyFacts,
    Reader,
    ReaderKind,
    StepUpRequired,
    may_read,
    readable,
)
from subagents.models import CatalogueBlueprint, Entry, Installation, ReminderFire
from subagents.spec import NUMERIC_TYPES
from subagents.values import value_display

MAX_ENTRIES_AGGREGATED = 20_000
SERIES_BUCKETS = {"day": 14, "week": 12, "month": 12, "year": 5}
HEATMAP_DAYS = 7 * 26
ENTRIES_PAGE_SIZE = 50
OWNER = Reader(kind=ReaderKind.PERSON)  # the person, not stepped up


# Installations -----------------------------------------------------------------------------


def installation_get(*, user, installation_id: int, include_uninstalled: bool = True):
    """The person's installation; someone else's id (or a missing one) is NotFound."""
    rows = Installation.objects.filter(user=user, pk=installation_id)
    if not include_uninstalled:
        rows = rows.filter(uninstalled_at__isnull=True)
    installation = rows.first()
    if installation is None:
        raise NotFound(gettext("No such tool."))
    return installation


def installation_for_token(*, user, client_token: str) -> Installation | None:
    """The person's installation made with this client token (a repeated submit), if any."""
    if not client_token:
        return None
    return Installation.objects.filter(user=user, client_token=client_token).first()


def installation_spec(installation: Installation, cipher=None) -> dict:
    """The installed spec, decrypted once per instance (pass the person's cipher in loops)."""
    cached = getattr(installation, "_spec", None)
    if cached is None:
        cipher = cipher or cipher_for(installation.user_id)
        text = cipher.decrypt(installation.spec_ct)
        cached = json.loads(text)
        installation._spec = cached  # type: ignore[attr-defined]
    return cached


def spec_localised(spec: dict, language: str | None) -> dict:
    """The spec with names, labels and messages in `language` when it has a translation.
    Choice values stay canonical (they are what entries store); translated choices come as
    `choice_labels` beside them."""
    localised = json.loads(json.dumps(spec))
    for item in localised["fields"]:
        if "choices" in item:
            item["choice_labels"] = list(item["choices"])
    base = (language or "").split("-")[0]
    if not base or base == spec["language"].split("-")[0]:
        return localised
    translation = next(
        (value for tag, value in spec.get("translations", {}).items() if tag.split("-")[0] == base),
        None,
    )
    if translation is None:
        return localised
    for key in ("name", "description", "persona"):
        if translation.get(key):
            localised[key] = translation[key]
    labels = translation.get("labels", {})
    choices = translation.get("choices", {})
    for item in localised["fields"]:
        item["label"] = labels.get(item["key"], item["label"])
        translated = choices.get(item["key"])
        if "choices" in item and translated and len(translated) == len(item["choices"]):
            item["choice_labels"] = list(translated)
    for index, message in enumerate(translation.get("reminders", [])):
        if index < len(localised["reminders"]):
            localised["reminders"][index]["message"] = message
    return localised


def installation_names(user, installation_ids: list[int], language: str) -> dict[int, str]:
    """The person's installations' names (in `language` when translated), by id; the access log
    names the tools that read memories with it. Someone else's ids are left out."""
    installations = Installation.objects.filter(user=user, pk__in=installation_ids)
    cipher = cipher_for(user.id)
    return {
        i.pk: str(spec_localised(installation_spec(i, cipher), language)["name"])
        for i in installations
    }


def goals_effective(installation: Installation, spec: dict) -> list[dict]:
    """The spec's goals with the person's own targets from the settings."""
    overrides = (installation.settings or {}).get("goals", {})
    goals = []
    for index, goal in enumerate(spec["goals"]):
        goal = dict(goal, index=index)
        if str(index) in overrides:
            goal["target"] = overrides[str(index)]
        goals.append(goal)
    return goals


def reminders_effective(installation: Installation, spec: dict) -> list[dict]:
    """The spec's reminders with the person's own times from the settings."""
    overrides = (installation.settings or {}).get("reminders", {})
    reminders = []
    for index, reminder in enumerate(spec["reminders"]):
        schedule = dict(reminder["schedule"])
        if str(index) in overrides:
            schedule["times"] = overrides[str(index)]
        reminders.append(dict(reminder, schedule=schedule, index=index))
    return reminders


@dataclass(frozen=True)
class InstallationItem:
    id: int
    name: str
    description: str
    icon: str
    color: str
    source: str
    spec_version: int
    paused: bool
    installed_at: datetime
    uninstalled_at: datetime | None
    entry_count: int
    spec: dict  # localised

    @property
    def uninstalled(self) -> bool:
        return self.uninstalled_at is not None


def _item(
    installation: Installation, language: str | None, entry_count: int, cipher=None
) -> InstallationItem:
    spec = spec_localised(installation_spec(installation, cipher), language)
    return InstallationItem(
        id=installation.id,
        name=spec["name"],
        description=spec["description"],
        icon=spec["icon"],
        color=spec["color"],
        source=installation.source,
        spec_version=installation.spec_version,
        paused=installation.paused,
        installed_at=installation.installed_at,
        uninstalled_at=installation.uninstalled_at,
        entry_count=entry_count,
        spec=spec,
    )


def installations_for_user(
    *, user, include_uninstalled: bool = False, language: str | None = None
) -> list[InstallationItem]:
    """The person's tools, oldest install first (uninstalled ones only when asked, last)."""
    from django.db.models import Count

    rows = Installation.objects.filter(user=user).annotate(entry_total=Count("entries"))
    if not include_uninstalled:
        rows = rows.filter(uninstalled_at__isnull=True)
    rows = rows.order_by("uninstalled_at", "installed_at", "id")
    language = language or getattr(user, "preferred_language", None)
    listed = list(rows)
    cipher = cipher_for(user.id) if listed else None
    return [_item(row, language, row.entry_total, cipher) for row in listed]


def installation_detail(*, user, installation_id: int, language: str | None = None):
    installation = installation_get(user=user, installation_id=installation_id)
    count = Entry.objects.filter(installation=installation).count()
    return _item(installation, language or getattr(user, "preferred_language", None), count)


# Entries -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class EntryItem:
    id: int
    occurred_at: datetime  # in the person's time zone
    values: dict
    shown: list[tuple[str, str, str]] = field(default_factory=list)  # (key, label, text)
    privacy: str = "normal"
    policy: dict = field(default_factory=dict)
    locked: bool = False  # needs a step-up (or expired): the values are withheld

    @property
    def photos(self) -> list[str]:
        return [value for value in self.values.values() if str(value).startswith("data:image/")]


def _entry_item(entry: Entry, cipher, zone, fields: list[dict], *, locked=False) -> EntryItem:
    values = {} if locked else json.loads(cipher.decrypt(entry.values_ct))
    shown = [
        (item["key"], item["label"], _display(values.get(item["key"]), item))
        for item in fields
        if item["key"] in values and item["type"] != "photo"
    ]
    return EntryItem(
        id=entry.id,
        occurred_at=entry.occurred_at.astimezone(zone),
        values=values,
        shown=shown,
        privacy=entry.privacy,
        policy=dict(entry.policy),
        locked=locked,
    )


def entry_facts(entry: Entry) -> PolicyFacts:
    """What memory.privacy.policies.may_read judges an entry by."""
    return PolicyFacts(
        id=entry.id, privacy=entry.privacy, policy=dict(entry.policy), created_at=entry.created_at
    )


def _display(value: Any, item: dict) -> str:
    if item.get("choice_labels") and item["type"] in {"choice", "multichoice"}:
        names = dict(zip(item["choices"], item["choice_labels"], strict=False))
        chosen = value if isinstance(value, list) else [value]
        text = ", ".join(str(names.get(choice, choice)) for choice in chosen)
    else:
        text = value_display(value, item)
    unit = item.get("unit")
    return f"{text} {unit}" if unit and item["type"] in NUMERIC_TYPES else text


@dataclass(frozen=True)
class EntryPage:
    items: list[EntryItem]
    page: int
    pages: int
    total: int


def entry_get(*, user, entry_id: int) -> Entry:
    entry = Entry.objects.filter(user=user, pk=entry_id).select_related("installation").first()
    if entry is None:
        raise NotFound(gettext("No such entry."))
    return entry


def entry_detail(
    *,
    user,
    entry_id: int,
    language: str | None = None,
    reader: Reader = OWNER,
    refuse_locked: bool = True,
) -> EntryItem:
    """One of the person's entries, judged by may_read like a memory: one that needs a step-up
    is refused (audited) with code "step_up_required", or shown locked if not `refuse_locked`;
    an expired one is not found."""
    entry = entry_get(user=user, entry_id=entry_id)
    spec = spec_localised(installation_spec(entry.installation), language)
    decision = may_read(entry_facts(entry), reader)
    if not decision:
        readable([entry_facts(entry)], reader, subject_user_id=user.id, kind="entry")
        if not decision.locked:
            raise NotFound(gettext("No such entry."))
        if refuse_locked:
            raise StepUpRequired(
                gettext("This entry needs you to confirm your password first."),
                code="step_up_required",
            )
    return _entry_item(
        entry, cipher_for(user.id), user_zone(user), spec["fields"], locked=not decision
    )


def entries_for_installation(
    *,
    user,
    installation_id: int,
    page: int = 1,
    page_size: int = ENTRIES_PAGE_SIZE,
    language: str | None = None,
    reader: Reader = OWNER,
) -> EntryPage:
    """The installation's entries, newest first, one page at a time; what the reader may not
    read is shown locked (no values), and audited."""
    installation = installation_get(user=user, installation_id=installation_id)
    spec = spec_localised(installation_spec(installation), language or user.preferred_language)
    rows = Entry.objects.filter(user=user, installation=installation)
    total = rows.count()
    pages = max(1, math.ceil(total / page_size))
    page = min(max(1, page), pages)
    chunk = list(rows.order_by("-occurred_at", "-id")[(page - 1) * page_size : page * page_size])
    cipher, zone = cipher_for(user.id), user_zone(user)
    facts = [entry_facts(entry) for entry in chunk]
    _, denied = readable(facts, reader, subject_user_id=user.id, kind="entry")
    locked = {item.id for item in denied}
    items = [
        _entry_item(entry, cipher, zone, spec["fields"], locked=entry.id in locked)
        for entry in chunk
    ]
    return EntryPage(items=items, page=page, pages=pages, total=total)


def entries_decoded(
    installation: Installation, zone, cipher=None, *, reader: Reader | None = None
) -> list[tuple[datetime, dict]]:
    """Every entry of the installation the reader may read as (local time, values), oldest
    first. The reader is the tool itself (a sub-agent) unless the person's page says so; what
    may_read refuses (expired, shared with no sub-agent, needing a step-up) is left out."""
    cipher = cipher or cipher_for(installation.user_id)
    reader = reader or Reader(kind=ReaderKind.SUBAGENT, subagent_id=installation.id)
    now = timezone.now()
    rows = (
        Entry.objects.filter(installation=installation)
        .order_by("occurred_at", "id")
        .values_list("id", "privacy", "policy", "created_at", "occurred_at", "values_ct")[
            :MAX_ENTRIES_AGGREGATED
        ]
    )
    return [
        (moment.astimezone(zone), json.loads(cipher.decrypt(blob)))
        for pk, privacy, policy, created, moment, blob in rows
        if may_read(PolicyFacts(pk, privacy, policy, created), reader, now=now)
    ]


# Periods and aggregates --------------------------------------------------------------------


def period_start(day: date, period: str) -> date:
    if period == "week":
        return day - timedelta(days=day.weekday())
    if period == "month":
        return day.replace(day=1)
    if period == "year":
        return day.replace(month=1, day=1)
    return day


def period_previous(start: date, period: str) -> date:
    if period == "week":
        return start - timedelta(days=7)
    if period == "month":
        return (start - timedelta(days=1)).replace(day=1)
    if period == "year":
        return start.replace(year=start.year - 1)
    return start - timedelta(days=1)


def aggregate(values: list[Any], how: str) -> float | None:
    """sum/count/average/min/max/last of the values in time order (None when there are none)."""
    if how == "count":
        return float(len(values))
    numbers = [float(value) for value in values if isinstance(value, int | float)]
    if how == "sum":
        return float(sum(numbers))
    if not numbers:
        return None
    if how == "average":
        return sum(numbers) / len(numbers)
    if how == "min":
        return min(numbers)
    if how == "max":
        return max(numbers)
    return numbers[-1]  # last


def _bucketed(entries, key: str | None, period: str) -> dict[date, list[Any]]:
    buckets: dict[date, list[Any]] = {}
    for moment, values in entries:
        if key is None or key in values:
            bucket = buckets.setdefault(period_start(moment.date(), period), [])
            bucket.append(values.get(key, 1) if key else 1)
    return buckets


def goal_value(entries, goal: dict, start: date) -> float | None:
    values = _bucketed(entries, goal["field"], goal["period"]).get(start, [])
    return aggregate(values, goal["aggregate"])


def goal_met(value: float | None, goal: dict) -> bool:
    if value is None:
        return False
    return value >= goal["target"] if goal["direction"] == "at_least" else value <= goal["target"]


def goals_status(*, installation: Installation, spec: dict, now: datetime | None = None) -> dict:
    """{goal index: met in its current period} — what `goal_met` memory hooks compare."""
    zone = user_zone(installation.user)
    today = (now or timezone.now()).astimezone(zone).date()
    entries = entries_decoded(installation, zone)
    return {
        goal["index"]: goal_met(
            goal_value(entries, goal, period_start(today, goal["period"])), goal
        )
        for goal in goals_effective(installation, spec)
    }


# Views' data -------------------------------------------------------------------------------


def _field(spec: dict, key: str | None) -> dict | None:
    return next((item for item in spec["fields"] if item["key"] == key), None)


def _first_numeric(spec: dict) -> dict | None:
    return next((item for item in spec["fields"] if item["type"] in NUMERIC_TYPES), None)


def _goal_for(goals: list[dict], key: str | None) -> dict | None:
    return next((goal for goal in goals if goal["field"] == key), None) or (
        goals[0] if goals and key is None else None
    )


def _how(item: dict | None, goal: dict | None) -> str:
    if goal is not None:
        return goal["aggregate"]
    return "sum" if item is not None and item["type"] in NUMERIC_TYPES else "count"


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def _series(entries, spec, goals, view, today: date) -> dict:
    item = _field(spec, view.get("field")) or _first_numeric(spec)
    key = item["key"] if item else None
    goal = _goal_for(goals, key)
    period = view.get("period") or (goal["period"] if goal else "day")
    how = _how(item, goal)
    buckets = _bucketed(entries, key, period)
    starts = [period_start(today, period)]
    for _index in range(SERIES_BUCKETS[period] - 1):
        starts.append(period_previous(starts[-1], period))
    starts.reverse()
    values = [aggregate(buckets.get(start, []), how) for start in starts]
    if how not in {"sum", "count"}:
        values = [_rounded(value) for value in values]
    target = goal["target"] if goal and goal["period"] == period else None
    return {
        "field": key,
        "label": item["label"] if item else "",
        "unit": (item or {}).get("unit", ""),
        "period": period,
        "aggregate": how,
        "labels": [start.isoformat() for start in starts],
        "values": [_rounded(value) for value in values],
        "target": target,
    }


def _total(entries, spec, goals, view, today: date) -> dict:
    item = _field(spec, view.get("field")) or _first_numeric(spec)
    key = item["key"] if item else None
    goal = _goal_for(goals, key)
    how = _how(item, goal) if goal is None or goal["aggregate"] in {"sum", "count"} else "sum"
    period = view.get("period") or (goal["period"] if goal else "month")
    all_values = [
        values.get(key, 1) if key else 1 for _m, values in entries if not key or key in values
    ]
    current = _bucketed(entries, key, period).get(period_start(today, period), [])
    return {
        "field": key,
        "label": item["label"] if item else "",
        "unit": (item or {}).get("unit", ""),
        "aggregate": how,
        "period": period,
        "all_time": _rounded(aggregate(all_values, how)),
        "current": _rounded(aggregate(current, how)),
        "entries": len(entries),
    }


def _progress(entries, spec, goals, view, today: date) -> dict:
    key = view.get("field")
    chosen = [goal for goal in goals if key is None or goal["field"] == key] or goals
    rings = []
    for goal in chosen:
        item = _field(spec, goal["field"]) or {}
        value = goal_value(entries, goal, period_start(today, goal["period"]))
        shown = value or 0.0
        rings.append(
            {
                "goal": goal["index"],
                "field": goal["field"],
                "label": item.get("label", goal["field"]),
                "unit": goal.get("unit") or item.get("unit", ""),
                "aggregate": goal["aggregate"],
                "period": goal["period"],
                "direction": goal["direction"],
                "target": goal["target"],
                "value": _rounded(value),
                "ratio": round(min(shown / goal["target"], 1.0), 4),
                "met": goal_met(value, goal),
            }
        )
    return {"goals": rings}


def _streak(entries, spec, goals, view, today: date, installed: date) -> dict:
    key = view.get("field")
    goal = _goal_for(goals, key) if goals else None
    period = goal["period"] if goal else view.get("period") or "day"
    if goal is not None:
        buckets = _bucketed(entries, goal["field"], period)

        def ok(start: date) -> bool:
            return goal_met(aggregate(buckets.get(start, []), goal["aggregate"]), goal)
    else:
        buckets = _bucketed(entries, None, period)

        def ok(start: date) -> bool:
            return bool(buckets.get(start))

    first = period_start(min([installed] + [m.date() for m, _v in entries[:1]]), period)
    current_start = period_start(today, period)
    starts = [current_start]
    while starts[-1] > first:
        starts.append(period_previous(starts[-1], period))
    flags = [ok(start) for start in starts]  # newest first
    # The current period still counts as "on track" until it ends: the streak runs from the
    # last period that met it.
    current = 0
    for index, flag in enumerate(flags):
        if flag:
            current += 1
        elif index > 0:
            break
    best = run = 0
    for flag in reversed(flags):
        run = run + 1 if flag else 0
        best = max(best, run)
    return {
        "period": period,
        "current": current,
        "best": best,
        "by": "goal" if goal else "entries",
        "today_done": flags[0],
    }


def _days(entries, spec, view, start: date, end: date) -> dict:
    item = _field(spec, view.get("field"))
    numeric = item is not None and item["type"] in NUMERIC_TYPES
    key = item["key"] if item else None
    per_day: dict[date, float] = {}
    for moment, values in entries:
        day = moment.date()
        if start <= day <= end and (key is None or key in values):
            amount = float(values[key]) if numeric else 1.0
            per_day[day] = per_day.get(day, 0.0) + amount
    highest = max(per_day.values(), default=0.0)
    days = []
    day = start
    while day <= end:
        value = per_day.get(day, 0.0)
        level = 0 if not value or not highest else min(4, 1 + int(3 * value / highest))
        days.append({"date": day.isoformat(), "value": _rounded(value), "level": level})
        day += timedelta(days=1)
    return {
        "field": key,
        "label": item["label"] if item else "",
        "measure": "sum" if numeric else "count",
        "first_weekday": start.weekday(),
        "days": days,
        "max": _rounded(highest),
    }


def _pie(entries, spec, view) -> dict:
    item = _field(spec, view.get("field"))
    if item is None or item["type"] not in {"choice", "multichoice"}:
        by = next((f for f in spec["fields"] if f["type"] in {"choice", "multichoice"}), None)
        measure = item if item is not None and item["type"] in NUMERIC_TYPES else None
    else:
        by, measure = item, None
    if by is None:
        return {"field": None, "labels": [], "values": []}
    totals = dict.fromkeys(by["choices"], 0.0)
    for _moment, values in entries:
        chosen = values.get(by["key"])
        for choice in chosen if isinstance(chosen, list) else [chosen]:
            if choice in totals:
                amount = values.get(measure["key"]) if measure else 1
                totals[choice] += float(amount) if isinstance(amount, int | float) else 0.0
    names = dict(zip(by["choices"], by.get("choice_labels", by["choices"]), strict=False))
    return {
        "field": by["key"],
        "label": by["label"],
        "measure": measure["key"] if measure else "count",
        "labels": [names[choice] for choice in totals],
        "values": [_rounded(value) for value in totals.values()],
    }


def spec_views_data(
    *, spec: dict, goals: list[dict], entries: list, today: date, installed: date
) -> list[dict]:
    """The views' data of a (localised) spec over decoded entries; the builder's preview calls
    it with no entries, so the preview is drawn by the tool page's own templates."""
    views = []
    for index, view in enumerate(spec["views"]):
        kind = view["type"]
        if kind in {"line", "bar"}:
            data = _series(entries, spec, goals, view, today)
        elif kind == "total":
            data = _total(entries, spec, goals, view, today)
        elif kind == "progress":
            data = _progress(entries, spec, goals, view, today)
        elif kind == "streak":
            data = _streak(entries, spec, goals, view, today, installed)
        elif kind == "heatmap":
            end = today
            start = period_start(end - timedelta(days=HEATMAP_DAYS - 1), "week")
            data = _days(entries, spec, view, start, end)
        elif kind == "calendar":
            start = today.replace(day=1)
            end = (start + timedelta(days=32)).replace(day=1) - timedelta(days=1)
            data = _days(entries, spec, view, start, end)
        elif kind == "pie":
            data = _pie(entries, spec, view)
        else:
            data = {}
        views.append({"index": index, "type": kind, "title": view.get("title", ""), "data": data})
    return views


def installation_views_data(
    *,
    user,
    installation_id: int,
    now: datetime | None = None,
    language: str | None = None,
    reader: Reader = OWNER,
) -> dict:
    """Everything the tool page draws: one item per view of the spec, in order.

    `line`/`bar`: a series over the last periods (day/week/month/year buckets in the person's
    time zone) with the goal's target when the goal is per the same period; `total`; `progress`
    (each goal in its current period); `streak` (consecutive periods meeting the goal, or with
    entries); `heatmap` (per-day values, 26 weeks); `calendar` (this month); `pie` (by choice);
    `log` (the page shows the entries).
    """
    installation = installation_get(user=user, installation_id=installation_id)
    spec = spec_localised(installation_spec(installation), language or user.preferred_language)
    zone = user_zone(user)
    today = (now or timezone.now()).astimezone(zone).date()
    views = spec_views_data(
        spec=spec,
        goals=goals_effective(installation, spec),
        entries=entries_decoded(installation, zone, reader=reader),
        today=today,
        installed=installation.installed_at.astimezone(zone).date(),
    )
    return {
        "installation": installation.id,
        "today": today.isoformat(),
        "time_zone": str(zone),
        "views": views,
    }


# Reminder notifications --------------------------------------------------------------------


def reminder_notifications_for(*, user, language: str | None = None) -> list[dict]:
    """Raised, not dismissed reminders of the person's installed tools, newest first."""
    fires = (
        ReminderFire.objects.filter(
            user=user, dismissed_at__isnull=True, installation__uninstalled_at__isnull=True
        )
        .select_related("installation")
        .order_by("-slot_at", "-id")[:50]
    )
    items = []
    zone = user_zone(user)
    raised = list(fires)
    cipher = cipher_for(user.id) if raised else None
    for fire in raised:
        spec = spec_localised(installation_spec(fire.installation, cipher), language)
        reminders = spec["reminders"]
        message = (
            reminders[fire.reminder_index]["message"]
            if fire.reminder_index < len(reminders)
            else ""
        )
        items.append(
            {
                "id": fire.id,
                "installation": fire.installation_id,
                "name": spec["name"],
                "icon": spec["icon"],
                "message": message,
                "slot_at": fire.slot_at.astimezone(zone),
            }
        )
    return items


# Catalogue ---------------------------------------------------------------------------------


def catalogue_blueprints() -> QuerySet[CatalogueBlueprint]:
    """The curated catalogue (public data: no owner), by slug."""
    return CatalogueBlueprint.objects.order_by("slug")


def catalogue_blueprint_get(*, slug: str) -> CatalogueBlueprint:
    blueprint = CatalogueBlueprint.objects.filter(slug=slug).first()
    if blueprint is None:
        raise NotFound(f"No catalogue blueprint {slug!r}.")
    return blueprint


# Routed requests ---------------------------------------------------------------------------


def routed_request_text(*, user, routed_id: int) -> str:
    """The words of a request the companion routed here (the owner's only; NotFound else)."""
    from subagents.models import RoutedRequest

    routed = RoutedRequest.objects.filter(user=user, pk=routed_id).first()
    if routed is None:
        raise NotFound(gettext("No such request."))
    return cipher_for(user.id).decrypt(routed.text_ct)


# Today's tools (the home page) -------------------------------------------------------------


@dataclass(frozen=True)
class ToolToday:
    id: int
    name: str
    icon: str
    color: str
    goals: list[dict]  # each goal in its current period: label, value, target, unit, ratio, met
    next_reminder_at: datetime | None
    quick_field: dict | None  # the main numeric field and the value one tap logs
    paused: bool


def quick_log_field(spec: dict) -> dict | None:
    """The field one tap logs and its value: the first goal's numeric field (else the first
    numeric field) with its default, else 1 (or its min when that is higher)."""
    goal_keys = [goal["field"] for goal in spec["goals"]]
    numeric = [f for f in spec["fields"] if f["type"] in NUMERIC_TYPES and f["type"] != "duration"]
    chosen = next((f for f in numeric if f["key"] in goal_keys), numeric[0] if numeric else None)
    if chosen is None:
        return None
    value = chosen.get("default")
    if not isinstance(value, int | float) or isinstance(value, bool):
        value = max(1, chosen.get("min") or 1)
    return {
        "key": chosen["key"],
        "label": chosen["label"],
        "unit": chosen.get("unit", ""),
        "value": value,
    }


def tools_today(
    *, user, language: str | None = None, now: datetime | None = None
) -> list[ToolToday]:
    """The person's installed tools with today's progress toward each goal, the next reminder
    and what one tap would log (owner only; oldest install first)."""
    rows = list(
        Installation.objects.filter(user=user, uninstalled_at__isnull=True).order_by(
            "installed_at", "id"
        )
    )
    if not rows:
        return []
    zone = user_zone(user)
    today = (now or timezone.now()).astimezone(zone).date()
    cipher = cipher_for(user.id)
    language = language or getattr(user, "preferred_language", None)
    tools = []
    for row in rows:
        spec = spec_localised(installation_spec(row, cipher), language)
        goals = goals_effective(row, spec)
        rings = (
            _progress(entries_decoded(row, zone, cipher, reader=OWNER), spec, goals, {}, today)[
                "goals"
            ]
            if goals
            else []
        )
        tools.append(
            ToolToday(
                id=row.id,
                name=spec["name"],
                icon=spec["icon"],
                color=spec["color"],
                goals=rings,
                next_reminder_at=row.next_reminder_at.astimezone(zone)
                if row.next_reminder_at and not row.paused
                else None,
                quick_field=quick_log_field(spec),
                paused=row.paused,
            )
        )
    return tools
