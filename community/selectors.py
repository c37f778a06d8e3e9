"""Reads of the community, always for a viewer (`user` may be anonymous): private blueprints
are visible to their author (and moderators) only, unlisted ones by link only, hidden or
removed ones never listed."""

from dataclasses import dataclass
from datetime import date, timedelta

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.db.models import Avg, Count, F, Func, Q, QuerySet, TextField, Value
from django.utils import timezone
from django.utils.translation import gettext
from pgvector.django import CosineDistance

from community.models import ActiveDay, Blueprint, BlueprintVersion, Import, Rating, Report, Score
from community.permissions import can_view, is_moderator
from community.ranking import spec_diff
from community.services import blueprint_latest_version
from macaron.errors import NotFound, PermissionDenied
from macaron.sealed import sealed_preload
from macaron.vault import ciphers_for

SORTS = ("trending", "top", "rising", "new")
RRF_K = 60
SEARCH_DEPTH = 50
LINEAGE_MAX_NODES = 2000


def _viewer_id(user) -> int | None:
    return user.id if user is not None and user.is_authenticated else None


def blueprints_listed() -> QuerySet[Blueprint]:
    """What any visitor may find in lists and search."""
    return Blueprint.objects.filter(
        visibility=Blueprint.Visibility.PUBLIC,
        status=Blueprint.Status.ACTIVE,
        hidden=False,
    )


def blueprint_for_viewer(*, user, slug: str) -> Blueprint:
    """One blueprint by its link; someone else's private (or hidden) one is "not found"."""
    blueprint = Blueprint.objects.select_related("author", "parent").filter(slug=slug).first()
    if blueprint is None or not blueprint_viewable(user=user, blueprint=blueprint):
        raise NotFound(gettext("No such blueprint."))
    return blueprint


def blueprint_viewable(*, user, blueprint: Blueprint) -> bool:
    return can_view(user, blueprint)


def blueprints_for_author(*, user) -> QuerySet[Blueprint]:
    return Blueprint.objects.filter(author=user).order_by("-published_at")


def _latest_day() -> date | None:
    return Score.objects.order_by("-day").values_list("day", flat=True).first()


def blueprints_ranked(
    *, sort: str = "trending", category: str = "", tag: str = "", limit: int = 50
) -> list[Blueprint]:
    """Listed blueprints by the latest stored scores (trending page order for "trending":
    exploration slots included), or newest first for "new"."""
    if sort not in SORTS:
        raise NotFound(
            gettext("Unknown order; use one of %(orders)s.") % {"orders": ", ".join(SORTS)}
        )
    listed = blueprints_listed().select_related("author")
    if category:
        listed = listed.filter(category=category.lower())
    if tag:
        listed = listed.filter(tags__contains=[tag.lower()])
    if sort == "new":
        return list(listed.order_by("-published_at", "-id")[:limit])
    day = _latest_day()
    if day is None:
        return list(listed.order_by("-published_at", "-id")[:limit])
    scores = Score.objects.filter(day=day, blueprint__in=listed)
    if sort == "trending":
        page = sorted(
            (s for s in scores if s.components.get("page_position") is not None),
            key=lambda s: s.components["page_position"],
        )
        shown = {s.blueprint_id for s in page}
        rest = scores.exclude(blueprint_id__in=shown).order_by("-trending", "blueprint_id")
        ordered = [s.blueprint_id for s in page] + [s.blueprint_id for s in rest]
    else:
        ordered = list(
            scores.order_by(f"-{sort}", "blueprint_id").values_list("blueprint_id", flat=True)
        )
    ordered = ordered[:limit]
    found = listed.in_bulk(ordered)
    return [found[bp_id] for bp_id in ordered if bp_id in found]


def blueprints_search(*, q: str, limit: int = 20) -> list[Blueprint]:
    """Full-text (title, description, tags) and semantic (multilingual embedding) search over
    listed blueprints, merged by reciprocal-rank fusion."""
    from macaron.embeddings import get_embedder

    q = (q or "").strip()
    if not q:
        return []
    listed = blueprints_listed()
    document = (
        SearchVector("title", weight="A", config="simple")
        + SearchVector("description", weight="B", config="simple")
        + SearchVector(
            Func(F("tags"), Value(" "), function="array_to_string", output_field=TextField()),
            weight="A",
            config="simple",
        )
    )
    query = SearchQuery(q, config="simple", search_type="websearch")
    text_ids = list(
        listed.annotate(rank=SearchRank(document, query))
        .filter(rank__gt=0)
        .order_by("-rank", "id")
        .values_list("id", flat=True)[:SEARCH_DEPTH]
    )
    vector = get_embedder().embed_query(q).tolist()
    semantic_ids = list(
        listed.filter(embedding__isnull=False)
        .order_by(CosineDistance("embedding", vector), "id")
        .values_list("id", flat=True)[:SEARCH_DEPTH]
    )
    fused: dict[int, float] = {}
    for ranked in (text_ids, semantic_ids):
        for position, bp_id in enumerate(ranked):
            fused[bp_id] = fused.get(bp_id, 0.0) + 1.0 / (RRF_K + position + 1)
    ordered = sorted(fused, key=lambda bp_id: (-fused[bp_id], bp_id))[:limit]
    found = listed.select_related("author").in_bulk(ordered)
    return [found[bp_id] for bp_id in ordered if bp_id in found]


def blueprints_recommend(*, sentence: str, limit: int = 10) -> list[Blueprint]:
    """Blueprints for a wish in a sentence ("I want to be someone who stays in bed all day"):
    nearest by meaning, ties broken by the stored trending score."""
    from macaron.embeddings import get_embedder

    sentence = (sentence or "").strip()
    if not sentence:
        return []
    vector = get_embedder().embed_query(sentence).tolist()
    return list(
        blueprints_listed()
        .filter(embedding__isnull=False)
        .select_related("author")
        .order_by(CosineDistance("embedding", vector), "id")[:limit]
    )


MEMORY_SAMPLE = 300


def blueprints_for_person(*, user, limit: int = 10) -> list[Blueprint]:
    """Recommendations from the person's memory domains: listed blueprints working with the
    domains their recent memories are about (most memories first), best trending first;
    their own blueprints and what they already installed are left out."""
    from memory.selectors import memories_for_user

    weights: dict[str, int] = {}
    for memory in memories_for_user(user=user)[:MEMORY_SAMPLE]:
        for domain in memory.domains:
            weights[domain] = weights.get(domain, 0) + 1
    if not weights:
        return []
    installed = Import.objects.filter(user=user, uninstalled_at__isnull=True).values("blueprint_id")
    candidates = list(
        blueprints_listed()
        .filter(domains__overlap=list(weights))
        .exclude(author=user)
        .exclude(id__in=installed)
        .select_related("author")[:500]
    )
    day = _latest_day()
    trending = (
        dict(
            Score.objects.filter(day=day, blueprint__in=candidates).values_list(
                "blueprint_id", "trending"
            )
        )
        if day
        else {}
    )

    def key(blueprint: Blueprint):
        fit = sum(weights.get(domain, 0) for domain in blueprint.domains)
        return (-fit, -trending.get(blueprint.id, 0.0), blueprint.id)

    return sorted(candidates, key=key)[:limit]


@dataclass(frozen=True)
class BlueprintStats:
    imports: int
    active_users_7d: int
    rating: float | None
    ratings: int
    forks: int


def _stats_for(blueprint_ids: list[int], *, today: date | None = None) -> dict[int, BlueprintStats]:
    today = today or timezone.now().date()
    imports = dict(
        Import.objects.filter(blueprint_id__in=blueprint_ids, counts=True)
        .values("blueprint_id")
        .annotate(n=Count("id"))
        .values_list("blueprint_id", "n")
    )
    active = dict(
        ActiveDay.objects.filter(blueprint_id__in=blueprint_ids, day__gt=today - timedelta(days=7))
        .exclude(user_id=F("blueprint__author_id"))
        .values("blueprint_id")
        .annotate(n=Count("user_id", distinct=True))
        .values_list("blueprint_id", "n")
    )
    ratings = {
        row["blueprint_id"]: row
        for row in Rating.objects.filter(blueprint_id__in=blueprint_ids, counts=True)
        .values("blueprint_id")
        .annotate(avg=Avg("value"), n=Count("id"))
    }
    forks = dict(
        Blueprint.objects.filter(parent_id__in=blueprint_ids)
        .values("parent_id")
        .annotate(n=Count("id"))
        .values_list("parent_id", "n")
    )
    return {
        bp_id: BlueprintStats(
            imports=imports.get(bp_id, 0),
            active_users_7d=active.get(bp_id, 0),
            rating=round(ratings[bp_id]["avg"], 2) if bp_id in ratings else None,
            ratings=ratings[bp_id]["n"] if bp_id in ratings else 0,
            forks=forks.get(bp_id, 0),
        )
        for bp_id in blueprint_ids
    }


def blueprint_stats(*, blueprint: Blueprint) -> BlueprintStats:
    return _stats_for([blueprint.id])[blueprint.id]


def blueprints_stats(*, blueprints: list[Blueprint]) -> dict[int, BlueprintStats]:
    """Stats for a whole listing in a fixed number of queries (no N+1)."""
    return _stats_for([blueprint.id for blueprint in blueprints])


def blueprint_explanation(*, blueprint: Blueprint) -> dict | None:
    """The numbers behind the blueprint's latest rank ("why is this here")."""
    score = Score.objects.filter(blueprint=blueprint).order_by("-day").first()
    if score is None:
        return None
    return {
        "day": score.day.isoformat(),
        "trending": round(score.trending, 4),
        "top": round(score.top, 4),
        "rising": round(score.rising, 4),
        "components": score.components,
    }


def blueprint_versions(*, blueprint: Blueprint) -> QuerySet[BlueprintVersion]:
    return blueprint.versions.order_by("-major", "-minor", "-patch")


def blueprint_version(*, blueprint: Blueprint, version: str) -> BlueprintVersion:
    found = blueprint.versions.filter(version=version).first()
    if found is None:
        raise NotFound(gettext("No such version."))
    return found


def blueprint_parent_diff(*, blueprint: Blueprint) -> dict | None:
    """What the fork changed relative to its parent's latest version (leaf paths)."""
    parent = blueprint.parent
    if parent is None:
        return None
    return spec_diff(
        blueprint_latest_version(blueprint=parent).spec,
        blueprint_latest_version(blueprint=blueprint).spec,
    )


def blueprint_lineage(*, user, blueprint: Blueprint) -> dict:
    """The whole lineage tree of `blueprint` as nodes and edges. Nodes the viewer may not see
    (someone else's private or hidden one) keep their place with no title or link; removed
    nodes stay as "removed"."""
    root_id = blueprint.root_id or blueprint.id
    nodes = list(
        Blueprint.objects.filter(Q(root_id=root_id) | Q(id=root_id))
        .select_related("author")
        .order_by("depth", "id")[:LINEAGE_MAX_NODES]
    )
    stats = _stats_for([node.id for node in nodes])
    sealed_preload(node.author for node in nodes)  # their names, one query
    out = []
    for node in nodes:
        visible = blueprint_viewable(user=user, blueprint=node)
        status = "removed" if node.is_removed else ("active" if visible else "private")
        item = {
            "id": node.id,
            "parent": node.parent_id,
            "depth": node.depth,
            "status": status,
            "current": node.id == blueprint.id,
            "slug": node.slug if visible and not node.is_removed else None,
            "title": node.title if visible and not node.is_removed else None,
            "author": node.author.name if visible and node.author and not node.is_removed else None,
            "active_users_7d": stats[node.id].active_users_7d,
            "imports": stats[node.id].imports,
            "rating": stats[node.id].rating if visible else None,
            "ratings": stats[node.id].ratings if visible else 0,
            "forks": stats[node.id].forks,
        }
        out.append(item)
    return {
        "root": root_id,
        "current": blueprint.id,
        "nodes": out,
        "truncated": len(nodes) >= LINEAGE_MAX_NODES,
    }


@dataclass(frozen=True)
class RatingView:
    value: int
    comment: str
    author: str
    updated_at: object


def ratings_for_blueprint(*, blueprint: Blueprint, limit: int = 20) -> list[RatingView]:
    """The latest ratings that count (the author's own is left out), comments decrypted."""
    rows = list(
        Rating.objects.filter(blueprint=blueprint, counts=True)
        .select_related("user")
        .order_by("-updated_at", "-id")[:limit]
    )
    ciphers = ciphers_for(row.user_id for row in rows)  # one query for every comment's key
    sealed_preload(row.user for row in rows)  # and one for their names
    return [
        RatingView(
            value=row.value,
            comment=ciphers[row.user_id].decrypt(row.comment_ct) if row.comment_ct else "",
            author=row.user.name,
            updated_at=row.updated_at,
        )
        for row in rows
    ]


def rating_for(*, user, blueprint: Blueprint) -> Rating | None:
    if _viewer_id(user) is None:
        return None
    return Rating.objects.filter(user=user, blueprint=blueprint).first()


def reports_open(*, moderator) -> QuerySet[Report]:
    """The moderators' queue, oldest first."""
    if not is_moderator(moderator):
        raise PermissionDenied(gettext("Only moderators can see reports."))
    return (
        Report.objects.filter(state=Report.State.OPEN)
        .select_related("blueprint")
        .order_by("created_at", "id")
    )


def report_for_moderator(*, moderator, report_id: int) -> Report:
    if not is_moderator(moderator):
        raise PermissionDenied(gettext("Only moderators can act on reports."))
    report = Report.objects.select_related("blueprint__author").filter(pk=report_id).first()
    if report is None:
        raise NotFound(gettext("No such report."))
    return report


def imports_for_user(*, user) -> QuerySet[Import]:
    return (
        Import.objects.filter(user=user, uninstalled_at__isnull=True)
        .select_related("blueprint", "version")
        .order_by("-created_at")
    )


def blueprint_parent_changes(*, blueprint: Blueprint) -> list[dict] | None:
    """The fork's readable changes from its parent's latest version (subagents' spec_diff)."""
    from subagents.services import spec_diff as readable_diff

    parent = blueprint.parent
    if parent is None:
        return None
    return readable_diff(
        blueprint_latest_version(blueprint=parent).spec,
        blueprint_latest_version(blueprint=blueprint).spec,
    )


@dataclass(frozen=True)
class ToolCommunityState:
    """What a tool page shows about its community origin."""

    record: Import | None
    latest: BlueprintVersion | None
    changes: list[dict]
    can_rollback: bool

    @property
    def update_available(self) -> bool:
        return (
            self.record is not None
            and self.latest is not None
            and self.record.version_id != self.latest.pk
        )


def tool_community_state(*, user, installation) -> ToolCommunityState:
    """For one of the person's tools: the import it came from (if any), whether its blueprint
    has a newer version and the readable diff to it."""
    from subagents.services import spec_diff as readable_diff

    record = (
        Import.objects.select_related("blueprint", "version")
        .filter(user=user, installation_id=installation.id, uninstalled_at__isnull=True)
        .first()
    )
    if record is None or record.blueprint.is_removed:
        return ToolCommunityState(record, None, [], bool(installation.previous_spec_ct))
    latest = blueprint_latest_version(blueprint=record.blueprint)
    changes = (
        readable_diff(record.version.spec, latest.spec) if latest.pk != record.version_id else []
    )
    return ToolCommunityState(record, latest, changes, bool(installation.previous_spec_ct))


def collaborators_for(*, user, blueprint: Blueprint):
    from community.models import Collaborator
    from community.permissions import require_owner

    require_owner(user, blueprint)
    collaborators = list(Collaborator.objects.filter(blueprint=blueprint).select_related("user"))
    sealed_preload(c.user for c in collaborators)  # their names, one query
    return collaborators


def blueprints_editable(*, user) -> QuerySet[Blueprint]:
    """What the person may edit: their own and those they collaborate on."""
    from community.models import Collaborator

    shared = Collaborator.objects.filter(user=user).values("blueprint_id")
    return Blueprint.objects.filter(Q(author=user) | Q(id__in=shared)).order_by("-published_at")


def listing_facets(*, limit: int = 12) -> dict[str, list[str]]:
    """The categories and the most used tags among listed blueprints, for the filters."""
    listed = blueprints_listed()
    categories = list(
        listed.exclude(category="")
        .values("category")
        .annotate(n=Count("id"))
        .order_by("-n", "category")
        .values_list("category", flat=True)[:limit]
    )
    tags = list(
        listed.annotate(tag=Func(F("tags"), function="unnest"))
        .values("tag")
        .annotate(n=Count("id"))
        .order_by("-n", "tag")
        .values_list("tag", flat=True)[:limit]
    )
    return {"categories": categories, "tags": tags}


def report_note(*, report: Report) -> str:
    """A report's note, decrypted for the moderators' queue."""
    from macaron.vault import cipher_for

    if not report.note_ct or report.reporter_id is None:
        return ""
    return cipher_for(report.reporter_id).decrypt(report.note_ct)
