"""Reads of sub-agents (keyword-only, typed)."""

from django.db.models import QuerySet

from macaron.errors import NotFound
from subagents.models import CatalogueBlueprint


def catalogue_blueprints() -> QuerySet[CatalogueBlueprint]:
    """The curated catalogue (public data: no owner), by slug."""
    return CatalogueBlueprint.objects.order_by("slug")


def catalogue_blueprint_get(*, slug: str) -> CatalogueBlueprint:
    blueprint = CatalogueBlueprint.objects.filter(slug=slug).first()
    if blueprint is None:
        raise NotFound(f"No catalogue blueprint {slug!r}.")
    return blueprint
