"""State changes of sub-agents (keyword-only, typed)."""

from macaron.vault import cipher_for
from subagents.models import RoutedRequest


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
