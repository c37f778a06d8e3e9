"""State changes of sub-agents (keyword-only, typed)."""

from django.db import transaction

from memory.vault import cipher_for
from subagents.builder import build
from subagents.builder.build import BuildResult
from subagents.models import CatalogueBlueprint, RoutedRequest


def routed_request_record(
    *, user, intent: str, text: str, preference_ids: list[int]
) -> RoutedRequest:
    """Keep a request the companion routed here, encrypted, until its sub-agent exists."""
    return RoutedRequest.objects.create(
        user=user,
        intent=intent,
        text_ct=cipher_for(user.id).encrypt(text),
        preference_ids=list(preference_ids),
    )


def catalogue_load() -> dict[str, int]:
    """Re-sync the CatalogueBlueprint table with the shipped files (idempotent)."""
    from subagents.catalogue import catalogue_sync_into

    with transaction.atomic():
        return catalogue_sync_into(CatalogueBlueprint)


def spec_build(*, request: str, language: str | None = None, user=None) -> BuildResult:
    """One or two sentences → a valid spec (LLM when configured, else the adapted catalogue
    blueprint), shaped by the person's shareable memories when `user` is given. Raises
    BuildRefused (400) for requests that are not a lifestyle tool."""
    return build.spec_build(request=request, language=language, user=user)
