"""The community part of export and import.

Exported: the blueprints the person published (with every version), what they installed from
the community, their ratings, reports, collaborations and raw usage. Restored into the new
account: the community installs (linked to the restored tools) and the ratings, on blueprints
that still exist. Publications, reports, collaborations and usage are exported for the record
only: the published blueprints stay in the community (importing must not publish duplicates or
take over someone's listing), a report is the moderators' record, and usage was counted once.
"""

from typing import Any

from accounts.archive import at, iso, stamps_restore, strings, text, when
from accounts.hooks import ExportContext, ImportContext, Transfer
from community.models import (
    Blueprint,
    BlueprintVersion,
    Collaborator,
    Import,
    Rating,
    Report,
    UsageEvent,
)
from community.permissions import can_view
from community.services import COMMENT_MAX
from macaron.vault import cipher_for


def community_export(ctx: ExportContext) -> dict[str, Any]:
    user = ctx.user
    cipher = cipher_for(user.id)
    versions: dict[int, list[dict]] = {}
    for v in BlueprintVersion.objects.filter(blueprint__author=user).order_by("id"):
        versions.setdefault(v.blueprint_id, []).append(
            {
                "version": v.version,
                "spec": v.spec,
                "changelog": v.changelog,
                "created_at": iso(v.created_at),
            }
        )
    publications = [
        {
            "slug": b.slug,
            "title": b.title,
            "description": b.description,
            "tags": list(b.tags),
            "language": b.language,
            "category": b.category,
            "visibility": b.visibility,
            "status": b.status,
            "hidden": b.hidden,
            "forked_from": b.parent.slug if b.parent is not None else None,
            "published_at": iso(b.published_at),
            "versions": versions.get(b.id, []),
        }
        for b in Blueprint.objects.filter(author=user).select_related("parent").order_by("id")
    ]
    imports = [
        {
            "blueprint": i.blueprint.slug,
            "version": i.version.version,
            "installation": ctx.ref("installation", i.installation_id),
            "consented_domains": list(i.consented_domains),
            "created_at": iso(i.created_at),
            "uninstalled_at": iso(i.uninstalled_at),
        }
        for i in Import.objects.filter(user=user)
        .select_related("blueprint", "version")
        .order_by("id")
    ]
    ratings = [
        {
            "blueprint": r.blueprint.slug,
            "value": r.value,
            "comment": cipher.decrypt(r.comment_ct) if r.comment_ct is not None else "",
            "created_at": iso(r.created_at),
        }
        for r in Rating.objects.filter(user=user).select_related("blueprint").order_by("id")
    ]
    reports = [
        {
            "blueprint": r.blueprint.slug,
            "reason": r.reason,
            "note": cipher.decrypt(r.note_ct) if r.note_ct is not None else "",
            "state": r.state,
            "resolution": r.resolution,
            "created_at": iso(r.created_at),
        }
        for r in Report.objects.filter(reporter=user).select_related("blueprint").order_by("id")
    ]
    collaborations = [
        {"blueprint": c.blueprint.slug, "since": iso(c.created_at)}
        for c in Collaborator.objects.filter(user=user).select_related("blueprint").order_by("id")
    ]
    usage = [
        {"blueprint": u.blueprint.slug, "kind": u.kind, "count": u.count, "at": iso(u.at)}
        for u in UsageEvent.objects.filter(user=user).select_related("blueprint").order_by("id")
    ]
    return {
        "publications": publications,
        "community_imports": imports,
        "ratings": ratings,
        "reports": reports,
        "collaborations": collaborations,
        "community_usage": usage,
    }


def _blueprint(user, slug: Any) -> Blueprint | None:
    blueprint = Blueprint.objects.filter(slug=text(slug, limit=100)).first()
    if blueprint is None or blueprint.is_removed or not can_view(user, blueprint):
        return None
    return blueprint


def community_restore(ctx: ImportContext) -> None:
    user = ctx.user
    restored_imports = 0
    for item in ctx.section("community_imports"):
        blueprint = _blueprint(user, item.get("blueprint"))
        if blueprint is None:
            continue
        version = BlueprintVersion.objects.filter(
            blueprint=blueprint, version=text(item.get("version"), limit=32)
        ).first()
        if version is None:
            continue
        Import.objects.create(
            user=user,
            blueprint=blueprint,
            version=version,
            created_at=at(item.get("created_at")),
            uninstalled_at=when(item.get("uninstalled_at")),
            counts=blueprint.author_id != user.id,
            consented_domains=strings(item.get("consented_domains", []), limit=20),
            installation_id=ctx.new_id("installation", item.get("installation")),
        )
        restored_imports += 1
    cipher = cipher_for(user.id)
    ratings, stamps = [], []
    for item in ctx.section("ratings"):
        blueprint = _blueprint(user, item.get("blueprint"))
        value = item.get("value")
        if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 5:
            raise ValueError("A rating is not a whole number from 1 to 5.")
        if blueprint is None:
            continue
        comment = text(item.get("comment", ""), limit=COMMENT_MAX)
        ratings.append(
            Rating(
                user=user,
                blueprint=blueprint,
                value=value,
                comment_ct=cipher.encrypt(comment) if comment else None,
                counts=blueprint.author_id != user.id,
            )
        )
        stamps.append(at(item.get("created_at")))
    stored = Rating.objects.bulk_create(ratings)
    stamps_restore(Rating, "created_at", {r.id: at for r, at in zip(stored, stamps, strict=True)})
    ctx.counts["community_imports"] = restored_imports
    ctx.counts["ratings"] = len(stored)


COMMUNITY_TRANSFER = Transfer(
    export=community_export,
    restore=community_restore,
    not_restored=("publications", "reports", "collaborations", "community_usage"),
)
