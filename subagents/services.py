"""State changes of sub-agents (keyword-only, typed)."""

from django.db import transaction

from memory.vault import cipher_for
from subagents.builder import build, revise
from subagents.builder.build import BuildResult
from subagents.builder.diff import spec_diff as _spec_diff
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


def spec_revise(
    *, spec: dict, instruction: str, language: str | None = None, user=None
) -> BuildResult:
    """The spec changed as the words ask ("use ml", "add a reminder at 8pm", "make it
    vegetarian"), validated, with `changes` = spec_diff(old, new). SpecError for an invalid
    spec, RevisionUnclear when no change could be read."""
    return revise.spec_revise(spec=spec, instruction=instruction, language=language, user=user)


def spec_diff(old: dict, new: dict) -> list[dict]:
    """Readable changes between two specs: [{path, change, old?, new?, text}]."""
    return _spec_diff(old, new)
