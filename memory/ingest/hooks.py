"""What runs after messages are stored, registered from `MemoryConfig.ready`.

The write path sits below episodic compression (episodes use the gate's scoring), so it cannot
import it; episodes registers "a conversation grew" here instead, and the write path calls
every registered hook, in order, inside its transaction.
"""

from collections.abc import Callable

from memory.models import Conversation

ConversationGrew = Callable[[Conversation], None]

_conversation_grew: list[ConversationGrew] = []


def conversation_grew_register(hook: ConversationGrew) -> None:
    """Register a hook once (AppConfig.ready may run more than once in tests)."""
    if hook not in _conversation_grew:
        _conversation_grew.append(hook)


def conversation_grew(conversation: Conversation) -> None:
    for hook in list(_conversation_grew):
        hook(conversation)
