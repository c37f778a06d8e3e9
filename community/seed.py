"""Demo data for the community (`manage.py community_seed`, and `make run`'s demo set-up): about
twenty demo authors publish catalogue blueprints, fork each other several levels deep with small
spec changes, and demo users import, rate and use them over the past six weeks; the demo person
(when there is one) imports a favourite and publishes a fork others use; then the real
aggregation and scoring jobs run. Everything goes through the services, on their `now` clock.

Idempotent: the demo people are found by their e-mails and nothing is published twice (a
second run only re-runs the jobs)."""

import copy
import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from accounts.selectors import demo_user
from community import services
from community.models import Blueprint, UsageEvent
from subagents.selectors import catalogue_blueprints

AUTHORS = [
    "Aiko", "Ben", "Chen", "Dana", "Emre", "Fatima", "Goro", "Hana", "Ivan", "Jun",
    "Kim", "Lea", "Mateo", "Nora", "Omar", "Priya", "Quinn", "Rin", "Sara", "Tomo",
]  # fmt: skip
USERS = 36
ROOTS = 24
FORKS = 30
DAYS = 42
SCORED_DAYS = 7  # the last week (the listing reads the latest day)
EMAIL = "community-{kind}-{n}@demo.macaron.local"
DEMO_FORK_DAYS = 13  # the demo person forked a tool this many days ago
DEMO_FORK_USERS = 4
COMMENTS = [
    "Exactly what I needed.", "Simple and it sticks.", "Would love a weekly chart.",
    "My whole family uses it.", "Good, but too many reminders.", "続けやすい！",
]  # fmt: skip


@dataclass(frozen=True)
class SeedResult:
    created: int
    blueprints: int
    scored_days: int


def _people(kind: str, names: list[str]):
    User = get_user_model()
    people = []
    for n, name in enumerate(names):
        user, created = User.objects.get_or_create(email=EMAIL.format(kind=kind, n=n))
        if created:  # the name is encrypted under the person's key, which needs their id
            user.display_name = name
            user.set_unusable_password()
            user.save(update_fields=["password", "display_name_ct"])
        people.append(user)
    return people


def _forked(spec: dict, rng: random.Random, level: int, author: str) -> dict:
    """A typical forker's small edit: a new name and persona, a changed goal, an extra field."""
    spec = copy.deepcopy(spec)
    spec.pop("translations", None)
    spec["name"] = f"{spec['name']} · {author}"[:80]
    spec["persona"] = rng.choice(
        ["A calm friend.", "A strict coach who counts.", "A playful buddy.", "A quiet notebook."]
    )
    if spec["goals"] and rng.random() < 0.7:
        goal = spec["goals"][0]
        goal["target"] = max(1, round(goal["target"] * rng.choice([0.5, 0.8, 1.25, 1.5]), 2))
    keys = {field["key"] for field in spec["fields"]}
    extra = f"mood_{level}" if f"mood_{level}" not in keys else f"note_{level}"
    if len(spec["fields"]) < 20 and rng.random() < 0.8:
        spec["fields"].append({"key": extra, "label": f"Mood {level}", "type": "rating"})
    return spec


def _listing(spec: dict, *, title: str, tags: list[str], category: str) -> services.Listing:
    return services.Listing(
        title=title[:80],
        description=spec.get("description", "")[:2000],
        tags=tuple(tags[:5]),
        language=spec.get("language", "en")[:8],
        category=category,
        cover_color=spec.get("color", "#6b7280"),
        cover_icon=spec.get("icon", "")[:8],
    )


def community_seed(*, seed: int = 7, now: datetime | None = None) -> SeedResult:
    now = now or timezone.now()
    rng = random.Random(seed)
    authors = _people("author", AUTHORS)
    users = _people("user", [f"Demo user {n + 1}" for n in range(USERS)])
    created = 0
    if not Blueprint.objects.filter(author__in=authors).exists():
        created = _publish_and_use(rng=rng, authors=authors, users=users, now=now)
    person = demo_user()
    if person is not None and not Blueprint.objects.filter(author=person).exists():
        _demo_person(person=person, rng=rng, authors=authors, users=users, now=now)
    services.usage_aggregate_pending(today=now.date())
    days = [now.date() - timedelta(days=back) for back in range(SCORED_DAYS - 1, -1, -1)]
    for day in days:
        services.scores_compute(day=day, seed=seed)
    return SeedResult(
        created=created,
        blueprints=Blueprint.objects.filter(author__in=authors).count(),
        scored_days=len(days),
    )


def _publish_and_use(*, rng: random.Random, authors, users, now: datetime) -> int:
    start = now - timedelta(days=DAYS)
    catalogue = list(catalogue_blueprints())
    rng.shuffle(catalogue)
    published: list[tuple[Blueprint, datetime]] = []
    with transaction.atomic():
        for index, item in enumerate(catalogue[:ROOTS]):
            author = authors[index % len(authors)]
            at = start + timedelta(days=rng.uniform(0, 20), hours=index)
            spec = copy.deepcopy(item.spec)
            blueprint = services.blueprint_publish(
                user=author,
                spec=spec,
                listing=_listing(
                    spec,
                    title=spec["name"],
                    tags=list(spec.get("tags") or item.keywords[:3]),
                    category=item.group,
                ),
                confirmed=True,
                now=at,
            )
            published.append((blueprint, at))
        for index in range(FORKS):
            # prefer recent forks as parents so lineages grow several levels deep
            pool = published[-12:] if rng.random() < 0.6 else published
            parent, parent_at = rng.choice(pool)
            author = rng.choice([a for a in authors if a.pk != parent.author_id])
            at = min(now - timedelta(days=1), parent_at + timedelta(days=rng.uniform(1, 6)))
            fork, spec = _seed_fork(author=author, parent=parent, rng=rng, at=at)
            published.append((fork, at))
            if index % 7 == 0:
                services.blueprint_version_publish(
                    user=author,
                    blueprint=fork,
                    version="1.1.0",
                    spec=spec | {"description": spec["description"] + " (tuned)"},
                    changelog="Gentler goal after a week of use.",
                    confirmed=True,
                    now=at + timedelta(days=1),
                )
        _imports_and_use(rng=rng, users=users, published=published, now=now)
    return len(published)


def _imports_and_use(*, rng: random.Random, users, published, now: datetime) -> None:
    # a few blueprints are much loved, most have a handful of users
    weights = [rng.paretovariate(1.3) for _ in published]
    events = []
    for user in users:
        chosen = {
            rng.choices(range(len(published)), weights=weights)[0] for _ in range(rng.randint(1, 4))
        }
        for position in chosen:
            blueprint, at = published[position]
            if blueprint.author_id == user.id:
                continue
            imported = at + timedelta(days=rng.uniform(0.2, max(0.3, (now - at).days - 0.5)))
            imported = min(imported, now - timedelta(hours=2))
            services.blueprint_import(user=user, blueprint=blueprint, now=imported)
            keeps = rng.random() < 0.35 + 0.5 * (weights[position] / max(weights))
            active_days = (now - imported).days if keeps else rng.randint(1, 6)
            day = imported
            while day < now and day < imported + timedelta(days=active_days):
                if rng.random() < 0.75:
                    for kind, count in (("open", 1), ("entry", rng.randint(1, 4))):
                        events.append(
                            UsageEvent(
                                user=user, blueprint=blueprint, kind=kind, count=count, at=day
                            )
                        )
                day += timedelta(days=1)
            if rng.random() < 0.6:
                value = min(5, max(1, round(rng.gauss(3.6 + (1 if keeps else -0.8), 0.8))))
                services.rating_set(
                    user=user,
                    blueprint=blueprint,
                    value=value,
                    comment=rng.choice(COMMENTS) if rng.random() < 0.4 else "",
                    now=min(now, imported + timedelta(days=3)),
                )
    UsageEvent.objects.bulk_create(events, batch_size=2000)


def _seed_fork(*, author, parent: Blueprint, rng: random.Random, at: datetime):
    """`author` forks `parent` with a tweak of their own at `at`; returns the fork and its spec."""
    spec = _forked(
        services.blueprint_latest_version(blueprint=parent).spec,
        rng,
        parent.depth + 1,
        author.display_name,
    )
    fork = services.blueprint_fork(
        user=author,
        blueprint=parent,
        spec=spec,
        listing=_listing(
            spec, title=spec["name"], tags=list(parent.tags), category=parent.category
        ),
        confirmed=True,
        now=at,
    )
    return fork, spec


def _demo_person(*, person, rng: random.Random, authors, users, now: datetime) -> None:
    """The demo person's place in the community: two weeks ago Alex imported the community's
    most imported tool and forked a fitness or health tool with their own tweak; since then a
    few demo users imported Alex's fork, used it daily and rated it."""
    community = Blueprint.objects.filter(author__in=authors).annotate(n=Count("imports"))
    favourite = community.order_by("-n", "id").first()
    parent = (
        community.filter(category__in=("fitness", "health")).order_by("depth", "-n", "id").first()
        or favourite
    )
    if favourite is None or parent is None:
        return
    forked_at = now - timedelta(days=DEMO_FORK_DAYS)
    with transaction.atomic():
        services.blueprint_import(
            user=person, blueprint=favourite, now=forked_at - timedelta(days=1)
        )
        fork, _ = _seed_fork(author=person, parent=parent, rng=rng, at=forked_at)
        events = []
        for n, user in enumerate(users[:DEMO_FORK_USERS]):
            imported = forked_at + timedelta(days=1 + n, hours=n)
            services.blueprint_import(user=user, blueprint=fork, now=imported)
            day = imported
            while day < now:
                events.append(UsageEvent(user=user, blueprint=fork, kind="open", count=1, at=day))
                day += timedelta(days=1)
            services.rating_set(
                user=user,
                blueprint=fork,
                value=5 - n % 2,
                comment=COMMENTS[n % len(COMMENTS)],
                now=imported + timedelta(days=2),
            )
        UsageEvent.objects.bulk_create(events)


def community_seed_lines() -> list[str]:
    """`make run`'s start-up preparer: seed once (idempotent) and say what is there."""
    result = community_seed()
    return [f"Demo community: {result.blueprints} blueprints ({result.created} new)."]
