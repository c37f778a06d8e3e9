"""State changes of the community (keyword-only, typed). Every refusal is a DomainError raised
before anything is written; multi-row changes run in one transaction.

Services take an optional `now` so that `community_simulate` can replay weeks on a simulated
clock through exactly this code.
"""

import re
import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import cast

import numpy as np
from django.db import transaction
from django.db.models import Count, F, Max, Min, Q, Sum
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext

from accounts.hooks import ErasureOptions
from community import permissions, ranking
from community.install import install_version, spec_with_reads
from community.models import (
    DESCRIPTION_MAX,
    TAG_MAX,
    TAGS_MAX,
    TITLE_MAX,
    ActiveDay,
    Blueprint,
    BlueprintVersion,
    Collaborator,
    DailyUsage,
    Import,
    Rating,
    Report,
    Score,
    UsageEvent,
)
from community.permissions import MODERATE_PERMISSION, is_moderator  # noqa: F401 (re-exported)
from community.privacy import privacy_findings, spec_strip_personal
from macaron.errors import Conflict, DomainError, NotFound, PermissionDenied, RateLimited, TooLarge
from macaron.vault import cipher_for
from memory.services import AuditAction, audit_record
from subagents.spec import spec_validate
from subagents.usage import usage_listener_register

SEMVER_RE = re.compile(r"^(0|[1-9]\d{0,5})\.(0|[1-9]\d{0,5})\.(0|[1-9]\d{0,5})$")
COLOR_RE = re.compile(r"^#[0-9a-fA-F]{6}$")
COMMENT_MAX = 1000
NOTE_MAX = 1000
# (how many, per how long) per person
PUBLISH_LIMIT = (10, timedelta(days=1))
RATING_LIMIT = (30, timedelta(hours=1))
REPORT_LIMIT = (10, timedelta(days=1))
IMPORT_LIMIT = (30, timedelta(hours=1))


class PrivacyConfirmationRequired(Conflict):
    """The spec contains what looks like the publisher's personal data: shown to them, and
    publishing waits until they edit it out or confirm."""

    code = "privacy_confirmation_required"

    def __init__(self, findings: list):
        self.findings = findings
        super().__init__(
            f"The spec contains {len(findings)} item(s) that look personal; edit them or "
            "publish again with confirmed=true.",
            fields={"findings": [finding.as_dict() for finding in findings]},
        )


def _now(now: datetime | None) -> datetime:
    return now or timezone.now()


def _rate_limit(queryset, *, field: str, limit: tuple[int, timedelta], now: datetime, what: str):
    count, window = limit
    if queryset.filter(**{f"{field}__gt": now - window}).count() >= count:
        raise RateLimited(gettext("Too many %(what)s; please try again later.") % {"what": what})


def _parse_version(version: str) -> tuple[int, int, int]:
    match = SEMVER_RE.match(version or "")
    if not match:
        raise DomainError(
            gettext("A version is three numbers like 1.2.0."),
            fields={"version": [gettext("Not a semantic version.")]},
        )
    return int(match.group(1)), int(match.group(2)), int(match.group(3))


@dataclass(frozen=True)
class Listing:
    """The editable listing of a blueprint (everything but the spec)."""

    title: str
    description: str = ""
    tags: tuple[str, ...] = ()
    language: str = "en"
    category: str = ""
    cover_color: str = "#6b7280"
    cover_icon: str = ""
    visibility: str = Blueprint.Visibility.PUBLIC


def _clean_listing(listing: Listing) -> Listing:
    title = (listing.title or "").strip()
    if not title:
        raise DomainError(gettext("A title is required."), fields={"title": [gettext("Required.")]})
    if len(title) > TITLE_MAX:
        raise TooLarge(
            gettext("The title is longer than %(n)s characters.") % {"n": TITLE_MAX},
            fields={"title": [gettext("Too long.")]},
        )
    if len(listing.description or "") > DESCRIPTION_MAX:
        raise TooLarge(
            gettext("The description is longer than %(n)s characters.") % {"n": DESCRIPTION_MAX},
            fields={"description": [gettext("Too long.")]},
        )
    tags = tuple(dict.fromkeys(tag.strip().lower() for tag in listing.tags if tag and tag.strip()))
    if len(tags) > TAGS_MAX or any(len(tag) > TAG_MAX for tag in tags):
        raise DomainError(
            gettext("At most %(tags)s tags of at most %(chars)s characters.")
            % {"tags": TAGS_MAX, "chars": TAG_MAX},
            fields={"tags": [gettext("Invalid.")]},
        )
    if listing.visibility not in Blueprint.Visibility.values:
        raise DomainError(
            gettext("Visibility is private, unlisted or public."),
            fields={"visibility": [gettext("Invalid.")]},
        )
    if not COLOR_RE.match(listing.cover_color or ""):
        raise DomainError(
            gettext("The cover colour is like #3b82f6."),
            fields={"cover_color": [gettext("Invalid.")]},
        )
    if (
        len(listing.cover_icon or "") > 8
        or len(listing.category or "") > 40
        or len(listing.language or "") > 8
    ):
        raise DomainError(gettext("Icon, category or language too long."))
    return Listing(
        title=title,
        description=(listing.description or "").strip(),
        tags=tags,
        language=listing.language or "en",
        category=(listing.category or "").strip().lower(),
        cover_color=listing.cover_color,
        cover_icon=listing.cover_icon or "",
        visibility=listing.visibility,
    )


def _prepare_spec(*, user, spec: dict, confirmed: bool) -> dict:
    """Validate, strip personal reminder times, and refuse personal data unless confirmed."""
    if not isinstance(spec, dict):
        raise DomainError(
            gettext("The spec is a JSON object."), fields={"spec": [gettext("Not an object.")]}
        )
    spec = spec_validate(spec_strip_personal(spec))
    if not confirmed:
        findings = privacy_findings(user=user, spec=spec)
        if findings:
            raise PrivacyConfirmationRequired(findings)
    return spec


def _embed_text(blueprint: Blueprint) -> str:
    return " ".join([blueprint.title, blueprint.description, " ".join(blueprint.tags)]).strip()


def blueprint_embed(*, blueprint: Blueprint) -> None:
    from macaron.embeddings import get_embedder

    vector = get_embedder().embed_documents([_embed_text(blueprint)])[0]
    Blueprint.objects.filter(pk=blueprint.pk).update(embedding=vector.tolist())
    blueprint.embedding = vector


def _check_publish_rate(*, user, now: datetime) -> None:
    _rate_limit(
        BlueprintVersion.objects.filter(blueprint__author=user),
        field="created_at",
        limit=PUBLISH_LIMIT,
        now=now,
        what="publications",
    )


def _parse_release(*, version: str, changelog: str) -> tuple[int, int, int]:
    """The version's numbers, once the version and the changelog are checked."""
    numbers = _parse_version(version)
    if len(changelog or "") > 2000:
        raise TooLarge(
            gettext("The changelog is too long."), fields={"changelog": [gettext("Too long.")]}
        )
    return numbers


def _version_create(
    *,
    blueprint: Blueprint,
    version: str,
    numbers: tuple[int, int, int],
    spec: dict,
    changelog: str,
    now: datetime,
) -> BlueprintVersion:
    return BlueprintVersion.objects.create(
        blueprint=blueprint,
        version=version,
        major=numbers[0],
        minor=numbers[1],
        patch=numbers[2],
        spec=spec,
        changelog=changelog or "",
        created_at=now,
    )


def _slug(title: str) -> str:
    return f"{slugify(title)[:60] or 'blueprint'}-{secrets.token_hex(4)}"


def blueprint_publish(
    *,
    user,
    spec: dict,
    listing: Listing,
    version: str = "1.0.0",
    changelog: str = "",
    confirmed: bool = False,
    source=None,
    now: datetime | None = None,
    _parent: Blueprint | None = None,
) -> Blueprint:
    """Publish a sub-agent's spec as a new blueprint (version `version`).

    `source` is the sub-agent it comes from (anything with a `user_id`): someone else's is
    refused. Raises PrivacyConfirmationRequired (with the findings) until `confirmed=True`
    when the spec's text matches the author's own memories or personal data."""
    now = _now(now)
    if source is not None and getattr(source, "user_id", None) != user.id:
        raise PermissionDenied(gettext("You can only publish your own sub-agents."))
    listing = _clean_listing(listing)
    numbers = _parse_release(version=version, changelog=changelog)
    _check_publish_rate(user=user, now=now)
    spec = _prepare_spec(user=user, spec=spec, confirmed=confirmed)
    with transaction.atomic():
        parent = None
        if _parent is not None:
            parent = Blueprint.objects.select_for_update().get(pk=_parent.pk)
        blueprint = Blueprint.objects.create(
            author=user,
            slug=_slug(listing.title),
            title=listing.title,
            description=listing.description,
            tags=list(listing.tags),
            domains=list(spec.get("domains") or []),
            language=listing.language,
            category=listing.category,
            cover_color=listing.cover_color,
            cover_icon=listing.cover_icon,
            visibility=listing.visibility,
            parent=parent,
            depth=parent.depth + 1 if parent else 0,
            published_at=now,
        )
        blueprint.root_id = parent.root_id if parent else blueprint.id
        if parent is not None:
            parent_spec = blueprint_latest_version(blueprint=parent).spec
            blueprint.parent_diff = ranking.spec_diff_size(parent_spec, spec)
        blueprint.save(update_fields=["root", "parent_diff"])
        _version_create(
            blueprint=blueprint,
            version=version,
            numbers=numbers,
            spec=spec,
            changelog=changelog,
            now=now,
        )
    blueprint_embed(blueprint=blueprint)  # after commit: no embedding inside a transaction
    return blueprint


def blueprint_share(
    *, user, installation, spec: dict, listing: Listing, confirmed: bool = False
) -> Blueprint:
    """Publish one of the person's tools. A tool imported from the community is published as
    a fork of the blueprint it came from, so its lineage is kept."""
    if getattr(installation, "user_id", None) != user.id:
        raise PermissionDenied(gettext("You can only publish your own sub-agents."))
    origin = (
        Import.objects.select_related("blueprint")
        .filter(user=user, installation_id=installation.id)
        .first()
    )
    if origin is not None and not origin.blueprint.is_removed:
        return blueprint_fork(
            user=user, blueprint=origin.blueprint, spec=spec, listing=listing, confirmed=confirmed
        )
    return blueprint_publish(
        user=user, spec=spec, listing=listing, confirmed=confirmed, source=installation
    )


def blueprint_latest_version(*, blueprint: Blueprint) -> BlueprintVersion:
    version = blueprint.versions.order_by("-major", "-minor", "-patch").first()
    if version is None:
        raise NotFound(gettext("This blueprint has no version."))
    return version


def blueprint_version_publish(
    *,
    user,
    blueprint: Blueprint,
    version: str,
    spec: dict,
    changelog: str = "",
    confirmed: bool = False,
    now: datetime | None = None,
) -> BlueprintVersion:
    """A new version (by the author or a collaborator); it must be strictly greater than every
    earlier one."""
    now = _now(now)
    permissions.require_edit(user, blueprint)
    numbers = _parse_release(version=version, changelog=changelog)
    _check_publish_rate(user=user, now=now)
    spec = _prepare_spec(user=user, spec=spec, confirmed=confirmed)
    with transaction.atomic():
        locked = Blueprint.objects.select_for_update().get(pk=blueprint.pk)
        latest = blueprint_latest_version(blueprint=locked)
        if numbers <= (latest.major, latest.minor, latest.patch):
            raise DomainError(
                gettext("The new version must be greater than %(version)s.")
                % {"version": latest.version},
                code="version_not_increasing",
                fields={"version": [f"Must be greater than {latest.version}."]},
            )
        Blueprint.objects.filter(pk=locked.pk).update(domains=list(spec.get("domains") or []))
        return _version_create(
            blueprint=locked,
            version=version,
            numbers=numbers,
            spec=spec,
            changelog=changelog,
            now=now,
        )


def _viewable(*, user, blueprint: Blueprint) -> bool:
    return permissions.can_view(user, blueprint)


def blueprint_fork(
    *,
    user,
    blueprint: Blueprint,
    spec: dict | None = None,
    listing: Listing | None = None,
    confirmed: bool = False,
    now: datetime | None = None,
) -> Blueprint:
    """A new blueprint whose parent is `blueprint` (root: the lineage's root), starting from a
    copy of its latest spec or from `spec` (the forker's edit)."""
    if not _viewable(user=user, blueprint=blueprint):
        raise PermissionDenied(gettext("You cannot fork a private blueprint of someone else."))
    if blueprint.is_removed:
        raise Conflict(gettext("This blueprint was removed and cannot be forked."))
    latest = blueprint_latest_version(blueprint=blueprint)
    listing = listing or Listing(
        title=f"{blueprint.title} (fork)"[:TITLE_MAX],
        description=blueprint.description,
        tags=tuple(blueprint.tags),
        language=blueprint.language,
        category=blueprint.category,
        cover_color=blueprint.cover_color,
        cover_icon=blueprint.cover_icon,
    )
    return blueprint_publish(
        user=user,
        spec=spec if spec is not None else dict(latest.spec),
        listing=listing,
        confirmed=confirmed,
        now=now,
        _parent=blueprint,
    )


def blueprint_unpublish(*, user, blueprint: Blueprint) -> Blueprint:
    """The author takes a blueprint down; it stays in its lineage as "removed"."""
    permissions.require_owner(user, blueprint)
    Blueprint.objects.filter(pk=blueprint.pk).update(status=Blueprint.Status.REMOVED)
    blueprint.status = Blueprint.Status.REMOVED
    return blueprint


def blueprint_import(
    *,
    user,
    blueprint: Blueprint,
    version: BlueprintVersion | None = None,
    allowed_domains: list[str] | None = None,
    now: datetime | None = None,
) -> Import:
    """Install a copy pinned to `version` (default: the latest). The author's own import is
    recorded but never counts toward ranking.

    `allowed_domains` is the person's consent, per memory domain, to what the spec reads: the
    installed copy reads only those (None: every domain it asks for, as an API client that
    sends no consent list accepts the spec as shown)."""
    now = _now(now)
    if not _viewable(user=user, blueprint=blueprint) or blueprint.is_removed:
        raise NotFound(gettext("No such blueprint."))
    if version is None:
        version = blueprint_latest_version(blueprint=blueprint)
    elif version.blueprint_id != blueprint.id:
        raise DomainError(
            gettext("That version belongs to another blueprint."),
            fields={"version": [gettext("Wrong blueprint.")]},
        )
    _rate_limit(
        Import.objects.filter(user=user),
        field="created_at",
        limit=IMPORT_LIMIT,
        now=now,
        what="imports",
    )
    with transaction.atomic():
        if (
            Import.objects.select_for_update()
            .filter(user=user, blueprint=blueprint, uninstalled_at__isnull=True)
            .exists()
        ):
            raise Conflict(
                gettext("You already have this blueprint installed."), code="already_imported"
            )
        consented = _consent(version=version, allowed_domains=allowed_domains)
        installation = install_version(user=user, version=version, reads=consented)
        record = Import.objects.create(
            user=user,
            blueprint=blueprint,
            version=version,
            created_at=now,
            counts=blueprint.author_id != user.id,
            consented_domains=consented,
            installation=installation,
        )
    return record


def spec_reads(spec: dict) -> list[str]:
    """The memory domains a spec asks to read (what the import page asks consent for)."""
    return list((spec.get("memory") or {}).get("reads") or [])


def _consent(*, version: BlueprintVersion, allowed_domains: list[str] | None) -> list[str]:
    asked = spec_reads(version.spec)
    if allowed_domains is None:
        return asked
    unknown = sorted(set(allowed_domains) - set(asked))
    if unknown:
        raise DomainError(
            gettext("This sub-agent does not ask to read %(domains)s.")
            % {"domains": ", ".join(unknown)},
            fields={"allowed_domains": [gettext("Not asked for.")]},
        )
    return [domain for domain in asked if domain in allowed_domains]


def _import_of_installation(*, user, installation_id: int) -> Import:
    record = (
        Import.objects.select_related("blueprint", "version")
        .filter(user=user, installation_id=installation_id, uninstalled_at__isnull=True)
        .first()
    )
    if record is None:
        raise NotFound(gettext("This tool did not come from the community."))
    return record


def import_upgrade(*, user, installation_id: int, now: datetime | None = None) -> Import:
    """Move the person's imported tool to its blueprint's latest version, entries kept
    (subagents.services.installation_upgrade); it still reads only the consented domains."""
    from subagents.services import installation_upgrade

    with transaction.atomic():
        record = _import_of_installation(user=user, installation_id=installation_id)
        latest = blueprint_latest_version(blueprint=record.blueprint)
        if latest.pk == record.version_id:
            raise Conflict(gettext("This tool already has the latest version."), code="up_to_date")
        installation_upgrade(
            user=user,
            installation_id=installation_id,
            spec=spec_with_reads(latest.spec, record.consented_domains),
            source=f"community:{record.blueprint.slug}@{latest.version}",
            now=now,
        )
        Import.objects.filter(pk=record.pk).update(version=latest)
        record.version = latest
    return record


def import_rollback(*, user, installation_id: int, now: datetime | None = None) -> Import:
    """Back to the version the tool had before its last upgrade."""
    from subagents.services import installation_rollback

    with transaction.atomic():
        record = _import_of_installation(user=user, installation_id=installation_id)
        installation = installation_rollback(user=user, installation_id=installation_id, now=now)
        number = installation.source.rsplit("@", 1)[-1]
        previous = record.blueprint.versions.filter(version=number).first()
        if previous is not None:
            Import.objects.filter(pk=record.pk).update(version=previous)
            record.version = previous
    return record


# Listing edits and collaborators ---------------------------------------------------------


def blueprint_listing_update(*, user, blueprint: Blueprint, listing: Listing) -> Blueprint:
    """Edit title, description, tags, language, category, cover and visibility (author or
    collaborator); the search embedding follows."""
    permissions.require_edit(user, blueprint)
    listing = _clean_listing(listing)
    with transaction.atomic():
        Blueprint.objects.filter(pk=blueprint.pk).update(
            title=listing.title,
            description=listing.description,
            tags=list(listing.tags),
            language=listing.language,
            category=listing.category,
            cover_color=listing.cover_color,
            cover_icon=listing.cover_icon,
            visibility=listing.visibility,
        )
        blueprint.refresh_from_db()
    blueprint_embed(blueprint=blueprint)  # after commit: no embedding inside a transaction
    return blueprint


def collaborator_invite(*, user, blueprint: Blueprint, email: str) -> Collaborator:
    """The owner invites a person (by their account's e-mail) to edit and publish versions."""
    from django.contrib.auth import get_user_model

    permissions.require_owner(user, blueprint)
    email = (email or "").strip()
    invited = get_user_model().objects.filter(email__iexact=email, is_active=True).first()
    if invited is None:
        raise DomainError(
            gettext("No active account uses this e-mail."),
            fields={"email": [gettext("No such account.")]},
        )
    if invited.pk == user.pk:
        raise DomainError(
            gettext("You are the author already."), fields={"email": [gettext("That is you.")]}
        )
    with transaction.atomic():
        collaborator, _created = Collaborator.objects.get_or_create(
            blueprint=blueprint, user=invited, defaults={"invited_by": user}
        )
        permissions.collaborator_grant(user=invited, blueprint=blueprint)
        _permission_record(owner=user, person_id=invited.pk, blueprint=blueprint, granted=True)
    return collaborator


def _permission_record(*, owner, person_id: int, blueprint: Blueprint, granted: bool) -> None:
    """A permission change is on the record of the person whose permissions changed."""
    audit_record(
        action=AuditAction.PERMISSION_CHANGE,
        subject_user_id=person_id,
        actor=owner,
        purpose="collaborator invited" if granted else "collaborator removed",
        detail={"blueprint_id": blueprint.pk, "permission": "collaborator", "granted": granted},
    )


def collaborator_remove(*, user, blueprint: Blueprint, collaborator_id: int) -> None:
    permissions.require_owner(user, blueprint)
    collaborator = Collaborator.objects.filter(pk=collaborator_id, blueprint=blueprint).first()
    if collaborator is None:
        raise NotFound(gettext("No such collaborator."))
    with transaction.atomic():
        permissions.collaborator_revoke(user=collaborator.user, blueprint=blueprint)
        collaborator.delete()
        _permission_record(
            owner=user, person_id=collaborator.user_id, blueprint=blueprint, granted=False
        )


def import_uninstall(*, user, blueprint: Blueprint, now: datetime | None = None) -> int:
    """Mark the person's live import of `blueprint` as uninstalled; returns how many."""
    return Import.objects.filter(
        user=user, blueprint=blueprint, uninstalled_at__isnull=True
    ).update(uninstalled_at=_now(now))


def rating_set(
    *, user, blueprint: Blueprint, value: int, comment: str = "", now: datetime | None = None
) -> Rating:
    """Rate 1–5 (one rating per person; rating again edits it). The author's own rating is
    kept but never counts."""
    now = _now(now)
    if not _viewable(user=user, blueprint=blueprint) or blueprint.is_removed:
        raise NotFound(gettext("No such blueprint."))
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 5:
        raise DomainError(
            gettext("A rating is a whole number from 1 to 5."),
            fields={"value": [gettext("1 to 5.")]},
        )
    if len(comment or "") > COMMENT_MAX:
        raise TooLarge(
            gettext("The comment is too long."), fields={"comment": [gettext("Too long.")]}
        )
    _rate_limit(
        Rating.objects.filter(user=user),
        field="updated_at",
        limit=RATING_LIMIT,
        now=now,
        what="ratings",
    )
    comment_ct = cipher_for(user.id).encrypt(comment) if comment else None
    rating, created = Rating.objects.update_or_create(
        user=user,
        blueprint=blueprint,
        defaults={
            "value": value,
            "comment_ct": comment_ct,
            "counts": blueprint.author_id != user.id,
        },
    )
    Rating.objects.filter(pk=rating.pk).update(
        updated_at=now, **({"created_at": now} if created else {})
    )
    return rating


def report_create(
    *, user, blueprint: Blueprint, reason: str, note: str = "", now: datetime | None = None
) -> Report:
    now = _now(now)
    if not _viewable(user=user, blueprint=blueprint):
        raise NotFound(gettext("No such blueprint."))
    if reason not in Report.Reason.values:
        raise DomainError(
            gettext("A reason is one of %(reasons)s.")
            % {"reasons": ", ".join(Report.Reason.values)},
            fields={"reason": [gettext("Unknown.")]},
        )
    if len(note or "") > NOTE_MAX:
        raise TooLarge(gettext("The note is too long."), fields={"note": [gettext("Too long.")]})
    _rate_limit(
        Report.objects.filter(reporter=user),
        field="created_at",
        limit=REPORT_LIMIT,
        now=now,
        what="reports",
    )
    report = Report.objects.create(
        reporter=user,
        blueprint=blueprint,
        reason=reason,
        note_ct=cipher_for(user.id).encrypt(note) if note else None,
    )
    Report.objects.filter(pk=report.pk).update(created_at=now, updated_at=now)
    return report


def usage_record(
    *, user_id: int, blueprint_id: int, kind: str, count: int = 1, at: datetime | None = None
) -> None:
    """One cheap insert; aggregation happens later in Celery."""
    if kind not in UsageEvent.Kind.values or count < 1:
        raise DomainError(gettext("Unknown usage event."))
    UsageEvent.objects.create(
        user_id=user_id, blueprint_id=blueprint_id, kind=kind, count=count, at=_now(at)
    )


# Moderation ----------------------------------------------------------------------------------


def _moderator(user) -> None:
    permissions.require_moderator(user)


def listing_hide(*, moderator, blueprint: Blueprint, hidden: bool = True) -> Blueprint:
    _moderator(moderator)
    Blueprint.objects.filter(pk=blueprint.pk).update(hidden=hidden)
    blueprint.hidden = hidden
    return blueprint


def report_resolve(*, moderator, report: Report, resolution: str) -> Report:
    """Close a report: "dismissed", "hidden" (the listing is taken down) or "suspended" (the
    author's account is deactivated and all their listings hidden)."""
    _moderator(moderator)
    if resolution not in ("dismissed", "hidden", "suspended"):
        raise DomainError(gettext("Resolution is dismissed, hidden or suspended."))
    with transaction.atomic():
        if resolution == "hidden":
            listing_hide(moderator=moderator, blueprint=report.blueprint)
        elif resolution == "suspended" and report.blueprint.author is not None:
            author_suspend(moderator=moderator, author=report.blueprint.author)
        Report.objects.filter(pk=report.pk).update(
            state=Report.State.RESOLVED, resolved_by=moderator, resolution=resolution
        )
    report.refresh_from_db()
    return report


def author_suspend(*, moderator, author) -> int:
    """Deactivate the account and hide all its listings; returns how many were hidden."""
    _moderator(moderator)
    if author.pk == moderator.pk:
        raise DomainError(gettext("You cannot suspend yourself."))
    with transaction.atomic():
        type(author).objects.filter(pk=author.pk).update(is_active=False)
        return Blueprint.objects.filter(author=author).update(hidden=True)


# Aggregation and scoring (called by Celery jobs and by community_simulate) -------------------


def _day_bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time.min, tzinfo=UTC)
    return start, start + timedelta(days=1)


def _trust_by_user(*, day: date, user_ids=None) -> dict[int, float]:
    window_start = day - timedelta(days=ranking.TRUST_WINDOW_DAYS - 1)
    rows = ActiveDay.objects.filter(day__gte=window_start, day__lte=day)
    if user_ids is not None:
        rows = rows.filter(user_id__in=list(user_ids))
    counts = rows.values("user_id").annotate(days=Count("day", distinct=True))
    return {row["user_id"]: ranking.trust_weight(row["days"]) for row in counts}


def usage_aggregate_day(*, day: date) -> int:
    """Rebuild one day's de-duplicated activity and per-blueprint counters from the raw events.
    Idempotent: running it twice gives the same rows. Returns the number of counters."""
    start, end = _day_bounds(day)
    grouped = (
        UsageEvent.objects.filter(at__gte=start, at__lt=end)
        .values("user_id", "blueprint_id")
        .annotate(
            opens=Sum("count", filter=Q(kind=UsageEvent.Kind.OPEN), default=0),
            entries=Sum("count", filter=Q(kind=UsageEvent.Kind.ENTRY), default=0),
            reminders=Sum("count", filter=Q(kind=UsageEvent.Kind.REMINDER_ACTED), default=0),
        )
    )
    with transaction.atomic():
        ActiveDay.objects.filter(day=day).delete()
        ActiveDay.objects.bulk_create(
            ActiveDay(
                user_id=row["user_id"],
                blueprint_id=row["blueprint_id"],
                day=day,
                opens=row["opens"],
                entries=row["entries"],
                reminders_acted=row["reminders"],
            )
            for row in grouped
        )
        active = list(
            ActiveDay.objects.filter(day=day)
            .exclude(user_id=F("blueprint__author_id"))
            .exclude(blueprint__status=Blueprint.Status.REMOVED)
            .values("user_id", "blueprint_id", "opens", "entries", "reminders_acted")
        )
        trust = _trust_by_user(day=day, user_ids={row["user_id"] for row in active})
        counters: dict[int, DailyUsage] = {}
        for row in active:
            counter = counters.setdefault(
                row["blueprint_id"], DailyUsage(blueprint_id=row["blueprint_id"], day=day)
            )
            counter.unique_users += 1
            counter.weighted_users += trust.get(row["user_id"], 0.0)
            counter.opens += row["opens"]
            counter.entries += row["entries"]
            counter.reminders_acted += row["reminders_acted"]
        DailyUsage.objects.filter(day=day).delete()
        DailyUsage.objects.bulk_create(counters.values())
    return len(counters)


def usage_aggregate_pending(*, today: date) -> list[date]:
    """Aggregate every day from the last aggregated one (re-done, for late events) to today."""
    last = ActiveDay.objects.aggregate(day=Max("day"))["day"]
    if last is None:
        first = UsageEvent.objects.aggregate(at=Min("at"))["at"]
        if first is None:
            return []
        last = first.astimezone(UTC).date()
    days = []
    day = min(last, today)
    while day <= today:
        usage_aggregate_day(day=day)
        days.append(day)
        day += timedelta(days=1)
    return days


def _ranking_inputs(*, day: date) -> tuple[list[ranking.NodeInput], dict[int, Blueprint]]:
    _, end = _day_bounds(day)
    blueprints = {
        bp.id: bp
        for bp in Blueprint.objects.filter(published_at__lt=end).only(
            "id", "parent_id", "published_at", "status", "author_id", "parent_diff"
        )
    }
    horizon = day - timedelta(days=ranking.HORIZON_DAYS - 1)
    usage: dict[int, list[float]] = {bp_id: [] for bp_id in blueprints}
    for row in DailyUsage.objects.filter(day__gte=horizon, day__lte=day).values(
        "blueprint_id", "day", "weighted_users"
    ):
        series = usage.get(row["blueprint_id"])
        if series is None:
            continue
        k = (day - row["day"]).days
        if len(series) <= k:
            series.extend([0.0] * (k + 1 - len(series)))
        series[k] += row["weighted_users"]
    ratings = list(
        Rating.objects.filter(counts=True, created_at__lt=end, blueprint_id__in=blueprints).values(
            "user_id", "blueprint_id", "value"
        )
    )
    imports = list(
        Import.objects.filter(
            counts=True, created_at__lt=end - timedelta(days=ranking.RETENTION_AFTER_DAYS)
        ).values("user_id", "blueprint_id", "created_at")
    )
    people = {row["user_id"] for row in ratings} | {row["user_id"] for row in imports}
    trust = _trust_by_user(day=day, user_ids=people)
    used_days = {
        (row["user_id"], row["blueprint_id"]): row["days"]
        for row in ActiveDay.objects.filter(user_id__in=people, day__lte=day)
        .values("user_id", "blueprint_id")
        .annotate(days=Count("day"))
    }
    last_active = {
        (row["user_id"], row["blueprint_id"]): row["last"]
        for row in ActiveDay.objects.filter(user_id__in=people, day__lte=day)
        .values("user_id", "blueprint_id")
        .annotate(last=Max("day"))
    }
    by_bp_ratings: dict[int, list[tuple[float, float]]] = {}
    for rating in ratings:
        weight = ranking.rater_weight(
            trust=trust.get(rating["user_id"], 0.0),
            used_days=used_days.get((rating["user_id"], rating["blueprint_id"]), 0),
        )
        by_bp_ratings.setdefault(rating["blueprint_id"], []).append(
            (float(rating["value"]), weight)
        )
    kept: dict[int, float] = {}
    cohort: dict[int, float] = {}
    for imported_row in imports:
        weight = trust.get(imported_row["user_id"], 0.0)
        bp_id = imported_row["blueprint_id"]
        cohort[bp_id] = cohort.get(bp_id, 0.0) + weight
        imported = imported_row["created_at"].astimezone(UTC).date()
        last = last_active.get((imported_row["user_id"], bp_id))
        if last is not None and (last - imported).days >= ranking.RETENTION_AFTER_DAYS:
            kept[bp_id] = kept.get(bp_id, 0.0) + weight
    nodes = [
        ranking.NodeInput(
            id=bp.id,
            parent_id=bp.parent_id,
            age_days=(day - bp.published_at.astimezone(UTC).date()).days,
            usage=usage[bp.id],
            ratings=by_bp_ratings.get(bp.id, []),
            retention_kept=kept.get(bp.id, 0.0),
            retention_cohort=cohort.get(bp.id, 0.0),
            parent_diff=bp.parent_diff,
            removed=bp.is_removed,
        )
        for bp in blueprints.values()
    ]
    return nodes, blueprints


def _listed(blueprint: Blueprint) -> bool:
    return (
        not blueprint.is_removed
        and not blueprint.hidden
        and blueprint.visibility == Blueprint.Visibility.PUBLIC
    )


def scores_compute(*, day: date, seed: int = 0, now: datetime | None = None) -> list[Score]:
    """Score every blueprint for `day`, choose that day's trending page (exploration
    included, seeded by `seed` and the day) and store both; idempotent per day."""
    nodes, blueprints = _ranking_inputs(day=day)
    full = Blueprint.objects.in_bulk(list(blueprints))
    scores = ranking.score_all(nodes)
    listed = [node for node in nodes if _listed(full[node.id])]
    order = sorted(listed, key=lambda node: (-scores[node.id].trending, node.id))
    explore = {}
    by_id = {node.id: node for node in nodes}
    for node in listed:
        if node.age_days < ranking.EXPLORE_AGE_DAYS:
            prior = (
                scores[node.parent_id].components["quality"] if node.parent_id in scores else None
            )
            explore[node.id] = ranking.exploration_posterior(
                by_id[node.id],
                prior_quality=prior
                if prior is not None
                else ranking.quality(
                    rating=ranking.RATING_PRIOR_MEAN, retention=ranking.RETENTION_PRIOR
                ),
            )
    rng = np.random.default_rng([seed, day.toordinal()])
    page = ranking.trending_page(ranking=[node.id for node in order], explore=explore, rng=rng)
    position = {bp_id: index for index, bp_id in enumerate(page)}
    rank = {node.id: index for index, node in enumerate(order)}
    stamp = _now(now)
    rows = []
    for node in nodes:
        score = scores[node.id]
        components = dict(score.components)
        components["rank"] = rank.get(node.id)
        components["page_position"] = position.get(node.id)
        components["explored"] = (
            node.id in position
            and position[node.id] >= (ranking.TRENDING_PAGE_SIZE - ranking.EXPLORATION_SLOTS)
            and node.id in explore
        )
        rows.append(
            Score(
                blueprint_id=cast(int, node.id),
                day=day,
                computed_at=stamp,
                trending=score.trending,
                top=score.top,
                rising=score.rising,
                components=components,
            )
        )
    with transaction.atomic():
        Score.objects.filter(day=day).delete()
        Score.objects.bulk_create(rows)
    return rows


# Usage from installed sub-agents ---------------------------------------------------------------

SOURCE_PREFIX = "community:"


def usage_from_installation(*, installation, kind: str, count: int = 1) -> None:
    """Listener for `subagents.usage`: an installed copy of a blueprint was used. Installations
    made by `community.install.install_version` carry the source "community:<slug>@<version>";
    anything else is not ours and is ignored."""
    source = getattr(installation, "source", "") or ""
    if not source.startswith(SOURCE_PREFIX):
        return
    slug = source[len(SOURCE_PREFIX) :].split("@", 1)[0]
    if kind == "uninstall":
        Import.objects.filter(
            user_id=installation.user_id, blueprint__slug=slug, uninstalled_at__isnull=True
        ).update(uninstalled_at=timezone.now())
        return
    if kind not in UsageEvent.Kind.values:
        return
    blueprint_id = Blueprint.objects.filter(slug=slug).values_list("id", flat=True).first()
    if blueprint_id is not None:
        usage_record(
            user_id=installation.user_id, blueprint_id=blueprint_id, kind=kind, count=max(1, count)
        )


def usage_listen() -> None:
    """Subscribe to the sub-agent runtime's usage hooks (called once from AppConfig.ready)."""
    usage_listener_register(usage_from_installation)


def _published_blueprints(user):
    return Blueprint.objects.filter(
        author=user,
        status=Blueprint.Status.ACTIVE,
        visibility__in=[Blueprint.Visibility.PUBLIC, Blueprint.Visibility.UNLISTED],
    )


def published_count(user) -> int:
    """How many sub-agents the person published that others can see (the deletion page asks
    what to do with them)."""
    return _published_blueprints(user).count()


def blueprints_tombstone(*, blueprints) -> int:
    """Anonymised tombstones: no author, removed, nothing the author wrote (title, description,
    tags, changelogs, search vector). The row and its versions stay, so forks keep their parent
    and other people's installed copies stay pinned to their version."""
    ids = list(blueprints.values_list("pk", flat=True))
    BlueprintVersion.objects.filter(blueprint_id__in=ids).update(changelog="")
    for pk in ids:
        Blueprint.objects.filter(pk=pk).update(
            author=None,
            status=Blueprint.Status.REMOVED,
            slug=f"removed--{pk}",
            title="",
            description="",
            tags=[],
            cover_icon="",
            embedding=None,
        )
    return len(ids)


def user_community_erase(user, options: ErasureOptions) -> dict[str, int]:
    """The eraser for community. Published blueprints either stay for the community, anonymised
    (no author: shown as by a former member, lineage kept) when the person chose so, or become
    anonymised tombstones; private ones always do. The person's imports, ratings (with their
    encrypted comments), usage and report notes go; reports they filed stay, without reporter."""
    kept = 0
    if options.keep_published:
        kept = _published_blueprints(user).update(author=None)
    return {
        "blueprints_anonymised": kept,
        "blueprints_removed": blueprints_tombstone(
            blueprints=Blueprint.objects.filter(author=user)
        ),
        "reports_anonymised": Report.objects.filter(reporter=user).update(
            reporter=None, note_ct=None
        ),
        "reports_resolved_by_cleared": Report.objects.filter(resolved_by=user).update(
            resolved_by=None
        ),
        "ratings": Rating.objects.filter(user=user).delete()[0],
        "usage_events": UsageEvent.objects.filter(user=user).delete()[0],
        "active_days": ActiveDay.objects.filter(user=user).delete()[0],
        "imports": Import.objects.filter(user=user).delete()[0],
    }
