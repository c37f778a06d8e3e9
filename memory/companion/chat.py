"""The chat with the companion: one turn at a time, through the memory write and read paths.

A turn has three steps so that a send is acknowledged at once and the reply can stream:

1. `chat_turn_start` checks the person owns the conversation, validates the text and stores the
   message through `messages_store` (encrypted, held from the worker): nothing slow runs before
   the acknowledgement.
2. `turn_prepare` recalls long-term and episodic memories for it, asks the router whether a
   sub-agent should take it, releases the message to the worker (which extracts and embeds its
   memories, unless it was a command for a sub-agent) and builds the short-term window the
   companion sees verbatim.
3. `chat_reply_stream` prepares the turn if needed, then yields the companion's reply as the
   provider writes it and, only once it is complete, stores it through the same write path and
   records a "used" reward event for every memory the companion was shown. If the provider
   fails, nothing is stored for the companion and the person's message stays (it is never
   lost). When the router handed the message to a sub-agent, the handler's text is the reply
   (see "Routing to a sub-agent" at the end).

A `client_id` makes a send idempotent: repeating it in the same conversation (a double click,
a retried request) returns the turn already stored instead of storing the message twice, and
the reply is stored at most once per turn. It is stored only as a keyed hash (`client_key`), so
the history cannot show it back. Conversation titles and previews are decrypted only for their
owner and only for the page shown; search compares keyed tokens in SQL (a blind index, see
`conversations_for_user`). What a reply showed (its "remembered" chips, the sub-agent that took
the message) is stored with it (`ReplyMemory`, `Message.routed_*`), so the history reads it back
by an indexed join.
"""

import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.db import transaction
from django.db.models import F, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from macaron.errors import Conflict, DomainError, NotFound, RateLimited
from macaron.llm import CompanionContext, LLMError, get_provider
from macaron.text import detect_language, search_terms
from macaron.timezones import local_time
from macaron.vault import UserCipher, cipher_for
from memory.companion.router import RouteDecision, route, route_dispatch
from memory.episodes.compress import SHORT_TERM_WINDOW
from memory.ingest.store import message_release, messages_store
from memory.ingest.write import (
    MAX_MESSAGE_CHARS,
    MessageIn,
    conversation_create,
    conversation_title_set,
    memory_feedback,
    validate_text,
)
from memory.learning.rewards import rewards_record, turn_outcome
from memory.models import Conversation, Memory, Message, ReplyMemory
from memory.privacy.audit import AuditAction, audit_record, audit_stream_lock
from memory.privacy.chain import person_stream
from memory.retrieval.search import MAX_QUERY_CHARS, retrieve

RECALL_K = 5
RECALL_BUDGET = 300
TITLE_CHARS = 40
MAX_TITLE_CHARS = 200
PREVIEW_CHARS = 120
DEFAULT_COMPANION_NAME = "Mochi"
REPLY_LANGUAGES = ("en", "ja", "ko")
CLIENT_ID_RE = re.compile(r"^[A-Za-z0-9_-]{1,48}$")
REPLY_SUFFIX = ":reply"  # the reply's client_id; `:` never occurs in a sender's client_id
PROVIDER_ROLES = {
    Message.Role.USER: "user",
    Message.Role.COMPANION: "assistant",
    Message.Role.SYSTEM: "system",
}
NO_REPLY_MESSAGE = "Your companion did not answer this time. Please try again."


# Views of the person's data (decrypted, plain dataclasses) ---------------------------------


@dataclass(frozen=True)
class UsedMemory:
    """A memory the companion was shown for a reply (a "remembered" chip)."""

    id: int
    text: str


@dataclass(frozen=True)
class RoutedView:
    """A reply that handed the message to a sub-agent: which intent, with which preferences."""

    intent: str
    preferences: tuple[UsedMemory, ...] = ()
    links: tuple[dict, ...] = ()  # {"label", "url", "method"}: the handler's buttons


@dataclass(frozen=True)
class MessageView:
    id: int
    conversation_id: int
    role: str
    text: str
    sent_at: datetime
    client_id: str | None = None  # only on a send's answer: at rest it is a keyed hash
    memories: tuple[UsedMemory, ...] = ()
    routed: RoutedView | None = None


@dataclass(frozen=True)
class ConversationView:
    id: int
    title: str  # empty until the first message (or a rename) gives it one
    created_at: datetime
    last_message_at: datetime | None
    preview: str
    preview_role: str | None

    @property
    def display_title(self) -> str:
        return self.title or "New conversation"


@dataclass
class PreparedTurn:
    """A stored message on its way to the companion's reply.

    `created` is False when the client_id repeated an earlier send; `reply` is set once the
    reply is stored (already, for a repeated send that was answered). The recalled memories,
    the window, the provider's context and the router's decision are filled by `turn_prepare`
    (`prepared`)."""

    user: object
    conversation_id: int
    message: MessageView
    memories: tuple[UsedMemory, ...] = ()
    window: list[dict] = field(default_factory=list)
    context: CompanionContext | None = None
    created: bool = True
    reply: MessageView | None = None
    scores: dict[int, float] = field(default_factory=dict)
    new_title: str = ""  # set when this message gave the conversation its title
    decision: RouteDecision | None = None
    prepared: bool = False


# Small helpers ----------------------------------------------------------------------------


def _message_view(
    message: Message,
    cipher: UserCipher,
    memories=(),
    routed: RoutedView | None = None,
    client_id: str | None = None,
) -> MessageView:
    return MessageView(
        id=message.id,
        conversation_id=message.conversation_id,
        role=message.role,
        text=cipher.decrypt(message.text_ct),
        sent_at=message.sent_at,
        client_id=client_id,
        memories=tuple(memories),
        routed=routed,
    )


def _client_key(cipher: UserCipher, client_id: str | None) -> bytes | None:
    return None if client_id is None else cipher.keyed_hash(client_id, purpose="client_id")


def _clean_client_id(client_id: str | None) -> str | None:
    if client_id is None or client_id == "":
        return None
    if not isinstance(client_id, str) or not CLIENT_ID_RE.match(client_id):
        raise DomainError(
            "The client_id must be 1 to 48 letters, digits, '-' or '_' (a UUID works).",
            fields={"client_id": ["Use 1 to 48 letters, digits, '-' or '_'."]},
        )
    return client_id


def _clean_title(title: str) -> str:
    if not isinstance(title, str) or not title.strip():
        raise DomainError("The title is empty.", fields={"title": ["Write a title."]})
    title = " ".join(title.split())
    if len(title) > MAX_TITLE_CHARS:
        raise DomainError(
            f"The title is too long (the limit is {MAX_TITLE_CHARS} characters).",
            fields={"title": [f"At most {MAX_TITLE_CHARS} characters."]},
        )
    return title


def title_from(text: str) -> str:
    """A default title: the start of the first message, cut at a word."""
    line = " ".join(text.split())
    if len(line) <= TITLE_CHARS:
        return line
    cut = line[:TITLE_CHARS].rsplit(" ", 1)[0] or line[:TITLE_CHARS]
    return cut.rstrip(" ,.;:") + "…"


def _preview(text: str) -> str:
    line = " ".join(text.split())
    return line if len(line) <= PREVIEW_CHARS else line[: PREVIEW_CHARS - 1] + "…"


def _owned(user, conversation_id: int, *, lock: bool = False) -> Conversation:
    rows = Conversation.objects.filter(user=user, pk=conversation_id)
    conversation = (rows.select_for_update() if lock else rows).first()
    if conversation is None:
        raise NotFound("No such conversation.")
    return conversation


def companion_context(
    *,
    user,
    memories: tuple[str, ...] = (),
    text: str = "",
    memory_dates: tuple[date | None, ...] = (),
    today: date | None = None,
) -> CompanionContext:
    """Who the companion is (the onboarding's Companion when there is one) and what it recalls."""
    try:
        companion = getattr(user, "companion", None)
    except ObjectDoesNotExist:
        companion = None
    language = detect_language(text[:400]) if text else "und"
    if language not in REPLY_LANGUAGES:
        preferred = getattr(user, "preferred_language", "en")
        language = preferred if preferred in REPLY_LANGUAGES else "en"
    try:
        onboarding = getattr(user, "onboarding", None)
    except ObjectDoesNotExist:
        onboarding = None
    return CompanionContext(
        companion_name=getattr(companion, "name", "") or DEFAULT_COMPANION_NAME,
        traits=tuple(getattr(companion, "traits", None) or ()),
        language=language,
        person_name=getattr(user, "name", "") or "",
        memories=memories,
        interests=tuple(getattr(onboarding, "interests", None) or ()),
        memory_dates=memory_dates,
        today=today,
    )


def _reply_state(
    user, cipher: UserCipher, rows: list[Message]
) -> dict[int, tuple[list[UsedMemory], RoutedView | None]]:
    """What each companion reply among `rows` showed: its "remembered" chips and, when a
    sub-agent took the message, the routed badge with the preferences passed (one query)."""
    replies = [row for row in rows if row.role == Message.Role.COMPANION]
    if not replies:
        return {}
    found: dict[tuple[int, str], list[UsedMemory]] = {}
    texts: dict[int, str] = {}
    links = (
        ReplyMemory.objects.filter(
            message__in=replies, memory__user=user, memory__forgotten_at__isnull=True
        )
        .order_by("message_id", "kind", "rank")
        .values_list("message_id", "kind", "memory_id", "memory__text_ct")
    )
    for message_id, kind, memory_id, text_ct in links:
        if memory_id not in texts:
            texts[memory_id] = cipher.decrypt(text_ct)
        found.setdefault((message_id, kind), []).append(
            UsedMemory(id=memory_id, text=texts[memory_id])
        )
    state: dict[int, tuple[list[UsedMemory], RoutedView | None]] = {}
    for reply in replies:
        routed = None
        if reply.routed_intent:
            routed = RoutedView(
                intent=reply.routed_intent,
                preferences=tuple(found.get((reply.id, ReplyMemory.Kind.PREFERENCE), ())),
                links=tuple(json.loads(cipher.decrypt(reply.routed_links_ct)))
                if reply.routed_links_ct
                else (),
            )
        state[reply.id] = (found.get((reply.id, ReplyMemory.Kind.USED), []), routed)
    return state


def _reply_view(user, cipher: UserCipher, reply: Message, client_id: str | None) -> MessageView:
    memories, routed = _reply_state(user, cipher, [reply]).get(reply.id, ([], None))
    return _message_view(reply, cipher, memories, routed, client_id=client_id)


# Conversations ---------------------------------------------------------------------------


def conversation_start(*, user, title: str = "") -> ConversationView:
    title = _clean_title(title) if title else ""
    conversation = conversation_create(user=user, title=title)
    return ConversationView(
        id=conversation.id,
        title=title,
        created_at=conversation.created_at,
        last_message_at=None,
        preview="",
        preview_role=None,
    )


def conversation_rename(*, user, conversation_id: int, title: str) -> ConversationView:
    title = _clean_title(title)
    with transaction.atomic():
        conversation = _owned(user, conversation_id, lock=True)
        conversation_title_set(conversation=conversation, title=title)
    return conversation_detail(user=user, conversation_id=conversation_id)


def conversation_delete(*, user, conversation_id: int) -> int:
    """Delete a conversation and its messages (and episodes); returns how many messages went.

    Memories derived from them stay: their provenance loses the message link."""
    with transaction.atomic():
        audit_stream_lock(person_stream(user.id))  # the lock order of memory.privacy.audit
        conversation = _owned(user, conversation_id, lock=True)
        count = Message.objects.filter(conversation=conversation).count()
        conversation.delete()
        audit_record(
            actor=user,
            subject_user_id=user.id,
            action=AuditAction.CONVERSATION_DELETE,
            purpose="person deleted a conversation",
            detail={"conversation_id": conversation_id, "messages": count},
        )
    return count


def _conversation_rows(user):
    latest = Message.objects.filter(conversation=OuterRef("pk")).order_by("-sent_at", "-id")
    return (
        Conversation.objects.filter(user=user)
        .annotate(
            last_text_ct=Subquery(latest.values("text_ct")[:1]),
            last_role=Subquery(latest.values("role")[:1]),
            active_at=Coalesce("last_message_at", "created_at"),
        )
        .order_by(F("active_at").desc(), "-id")
        .only("id", "title_ct", "created_at", "last_message_at")
    )


def _conversation_view(row, cipher: UserCipher) -> ConversationView:
    return ConversationView(
        id=row.id,
        title=cipher.decrypt(row.title_ct) if row.title_ct else "",
        created_at=row.created_at,
        last_message_at=row.last_message_at,
        preview=_preview(cipher.decrypt(row.last_text_ct)) if row.last_text_ct else "",
        preview_role=row.last_role,
    )


def conversation_detail(*, user, conversation_id: int) -> ConversationView:
    row = _conversation_rows(user).filter(pk=conversation_id).first()
    if row is None:
        raise NotFound("No such conversation.")
    return _conversation_view(row, cipher_for(user.id))


class ConversationList(Sequence):
    """The person's conversations (those matching `search`, see `conversations_for_user`),
    decrypted only for the slice that is read (paginators read one page: a count, then one
    LIMIT/OFFSET query)."""

    def __init__(self, user, search: str | None = None):
        self.cipher = cipher_for(user.id)
        match = Q()
        if search and search.strip():
            tokens = self.cipher.blind_tokens(search_terms(search, query=True))
            # Every query token in the title, or in one message (a hashed subplan: one GIN scan).
            said = Message.objects.filter(user=user, search_tokens__contains=tokens)
            match = Q(title_tokens__contains=tokens) | Q(pk__in=said.values("conversation_id"))
            if not tokens:  # nothing searchable in the query (only punctuation)
                match = Q(pk__in=[])
        self.conversations = Conversation.objects.filter(match, user=user)
        self.rows = _conversation_rows(user).filter(match)
        self._count: int | None = None

    def count(self) -> int:
        if self._count is None:
            self._count = self.conversations.count()
        return self._count

    def __len__(self) -> int:
        return self.count()

    def __iter__(self):
        return iter(self[:])

    def __getitem__(self, index):
        if isinstance(index, int):
            position = index if index >= 0 else self.count() + index
            if position < 0:
                raise IndexError(index)
            return self[position : position + 1][0]
        return [_conversation_view(row, self.cipher) for row in self.rows[index]]


def conversations_for_user(*, user, search: str | None = None) -> ConversationList:
    """The person's conversations, most recently active first (lazy: see ConversationList).

    `search` keeps the conversations whose title, or one of whose messages, holds every word of
    it, case-insensitively ("PEANUTS" finds "I am allergic to peanuts"). It runs in SQL over a
    blind index: the query is tokenised like the stored texts (`macaron.text.search_terms`) and
    compared as keyed hashes under the person's own key, so nothing is decrypted but the page
    shown, and another person's search cannot match. Words are whole words, lightly stemmed
    ("peanut" finds "peanuts"); a part of a word no longer matches ("week" does not find
    "weekend"). Japanese and Korean match by character bigrams (a one-character query by that
    character), so 東京 finds 東京に行った and 김치 finds 김치를. Messages stored before the index
    existed are found once `manage.py conversation_index` has run (the migration runs it).
    """
    return ConversationList(user, search)


class ConversationMessages(Sequence):
    """A conversation's messages, oldest first, decrypted only for the slice that is read (so
    Django's and DRF's paginators read one page); replies carry their "remembered" chips."""

    def __init__(self, user, conversation: Conversation):
        self.user = user
        self.cipher = cipher_for(user.id)
        self.rows = (
            Message.objects.filter(user=user, conversation=conversation)
            .order_by("sent_at", "id")
            .defer("search_tokens", "client_key")
        )
        self._count: int | None = None

    def count(self) -> int:
        if self._count is None:
            self._count = self.rows.count()
        return self._count

    def __len__(self) -> int:
        return self.count()

    def __iter__(self):
        return iter(self[:])

    def __getitem__(self, index):
        if isinstance(index, int):
            position = index if index >= 0 else self.count() + index
            if position < 0:
                raise IndexError(index)
            return self[position : position + 1][0]
        rows = list(self.rows[index])
        state = _reply_state(self.user, self.cipher, rows)
        return [_message_view(row, self.cipher, *state.get(row.id, ((), None))) for row in rows]


def conversation_messages(*, user, conversation_id: int) -> ConversationMessages:
    return ConversationMessages(user, _owned(user, conversation_id))


# A turn ----------------------------------------------------------------------------------


def _window(conversation_id: int, upto: MessageView, cipher: UserCipher) -> list[dict]:
    """The short-term store: the last messages up to and including `upto`, verbatim."""
    rows = (
        Message.objects.filter(conversation_id=conversation_id)
        .filter(Q(sent_at__lt=upto.sent_at) | Q(sent_at=upto.sent_at, id__lte=upto.id))
        .order_by("-sent_at", "-id")
        .only("role", "text_ct")[:SHORT_TERM_WINDOW]
    )
    return [
        {"role": PROVIDER_ROLES[row.role], "content": cipher.decrypt(row.text_ct)}
        for row in reversed(list(rows))
    ]


def _recall(
    user, text: str, *, now: datetime | None = None, reinforce: bool | None = None
) -> tuple[tuple[UsedMemory, ...], tuple[str, ...], dict, tuple[date, ...]]:
    """Long-term and episodic memories for this message (episode summaries are memories),
    with the person's local date each was said (the offline reply quotes it)."""
    result = retrieve(
        user=user,
        query=text[:MAX_QUERY_CHARS],
        k=RECALL_K,
        budget=RECALL_BUDGET,
        purpose="companion",
        now=now,
        reinforce=reinforce,
    )
    chips = tuple(UsedMemory(id=item.id, text=item.text) for item in result.items)
    # The plain texts: the offline provider quotes them back ("You told me ...").
    context = tuple(item.text for item in result.items)
    dates = tuple(local_time(item.valid_from, user).date() for item in result.items)
    return chips, context, {item.id: item.score for item in result.items}, dates


def reply_preview(*, user, text: str, now: datetime | None = None) -> str:
    """The reply the companion would give to `text` as a new turn: the same recall, context
    and provider as a turn, with nothing stored or reinforced (memory_eval --reply)."""
    _, memories, _, dates = _recall(user, text, now=now, reinforce=False)
    context = companion_context(
        user=user,
        memories=memories,
        text=text,
        memory_dates=dates,
        today=local_time(now or timezone.now(), user).date(),
    )
    window = [{"role": "user", "content": text}]
    return "".join(get_provider().stream_chat(window, context=context)).strip()


def _sent_before(conversation_id: int, client_key: bytes | None) -> Message | None:
    if client_key is None:
        return None
    return Message.objects.filter(conversation_id=conversation_id, client_key=client_key).first()


def _resumed_turn(
    user, message: Message, text: str, cipher: UserCipher, client_id: str | None
) -> PreparedTurn:
    """A repeated send: the stored turn, with its reply when it was answered."""
    if message.role != Message.Role.USER or cipher.decrypt(message.text_ct) != text:
        raise Conflict(
            "This client_id was already used for a different message; use a new one.",
            fields={"client_id": ["Already used for another message."]},
        )
    reply_id = client_id + REPLY_SUFFIX if client_id else None
    reply = _sent_before(message.conversation_id, _client_key(cipher, reply_id))
    if reply is not None:
        reply_view = _reply_view(user, cipher, reply, reply_id)
        return PreparedTurn(
            user=user,
            conversation_id=message.conversation_id,
            message=_message_view(message, cipher, client_id=client_id),
            memories=reply_view.memories,
            created=False,
            reply=reply_view,
        )
    # Stored but never answered (the provider failed, or the client went away): answer now.
    return PreparedTurn(
        user=user,
        conversation_id=message.conversation_id,
        message=_message_view(message, cipher, client_id=client_id),
        created=False,
    )


def _send_rate_check(user) -> None:
    """At most settings.CHAT_SEND_RATE_PER_MIN messages per person per minute (counted from the
    stored messages themselves; a repeated client_id is not a new send)."""
    limit = settings.CHAT_SEND_RATE_PER_MIN
    recent = Message.objects.filter(
        user=user, role=Message.Role.USER, created_at__gte=timezone.now() - timedelta(minutes=1)
    )
    if recent.count() >= limit:
        raise RateLimited(
            f"You are sending messages too fast (at most {limit} a minute). "
            "Wait a moment and send it again."
        )


def chat_turn_start(
    *, user, conversation_id: int, text: str, client_id: str | None = None
) -> PreparedTurn:
    """Store the person's message (once per client_id) and acknowledge it: nothing slow runs
    here. Recall and routing follow in `turn_prepare`, which the reply calls first."""
    _owned(user, conversation_id)  # someone else's conversation: 404 before anything else
    text = validate_text(text, limit=MAX_MESSAGE_CHARS, what="message")
    client_id = _clean_client_id(client_id)
    cipher = cipher_for(user.id)
    client_key = _client_key(cipher, client_id)
    earlier = _sent_before(conversation_id, client_key)
    if earlier is not None:
        return _resumed_turn(user, earlier, text, cipher, client_id)
    _send_rate_check(user)

    new_title = ""
    with transaction.atomic():
        conversation = _owned(user, conversation_id, lock=True)  # one send at a time
        earlier = _sent_before(conversation_id, client_key)
        if earlier is None:
            # Held, not yet processed: the router decides in `turn_prepare` whether it is a
            # command for a sub-agent (not remembered) or something the person said.
            [message] = messages_store(
                user=user,
                conversation=conversation,
                messages=[MessageIn(text=text, sent_at=timezone.now())],
                hold=True,
            )
            if client_key is not None:
                Message.objects.filter(pk=message.pk).update(client_key=client_key)
            if conversation.title_ct is None:
                new_title = title_from(text)
                conversation_title_set(conversation=conversation, title=new_title)
    if earlier is not None:  # a concurrent duplicate got there first
        return _resumed_turn(user, earlier, text, cipher, client_id)
    return PreparedTurn(
        user=user,
        conversation_id=conversation_id,
        message=_message_view(message, cipher, client_id=client_id),
        new_title=new_title,
    )


def turn_prepare(turn: PreparedTurn) -> PreparedTurn:
    """Recall memories for the message, route it and build the short-term window (once).

    Recall runs before the message is released to the worker, so the chips show what was known
    before it; a message the router hands to a sub-agent is a command, not a memory."""
    if turn.prepared or turn.reply is not None:
        return turn
    text = turn.message.text
    # What the person does after a reply that used memories is its reward (once per reply).
    turn_outcome(
        user_id=turn.user.id,
        conversation_id=turn.conversation_id,
        message_id=turn.message.id,
        sent_at=turn.message.sent_at,
        text=text,
    )
    turn.memories, context, turn.scores, dates = _recall(turn.user, text)
    turn.decision = route(user=turn.user, text=text)
    message_release(message_id=turn.message.id, remember=turn.decision is None)
    cipher = cipher_for(turn.user.id)
    turn.window = _window(turn.conversation_id, turn.message, cipher)
    turn.context = companion_context(
        user=turn.user,
        memories=context,
        text=text,
        memory_dates=dates,
        today=local_time(timezone.now(), turn.user).date(),
    )
    turn.prepared = True
    return turn


def _store_reply(turn: PreparedTurn, text: str, routed: RoutedView | None = None) -> MessageView:
    user = turn.user
    cipher = cipher_for(user.id)
    reply_id = turn.message.client_id + REPLY_SUFFIX if turn.message.client_id else None
    reply_key = _client_key(cipher, reply_id)
    with transaction.atomic():
        try:
            conversation = _owned(user, turn.conversation_id, lock=True)
        except NotFound:
            raise NotFound("The conversation was deleted while your companion answered.") from None
        earlier = _sent_before(turn.conversation_id, reply_key)
        if earlier is not None:  # a concurrent duplicate of this send answered first
            return _reply_view(user, cipher, earlier, reply_id)
        [reply] = messages_store(
            user=user,
            conversation=conversation,
            messages=[MessageIn(text=text, sent_at=timezone.now(), role=Message.Role.COMPANION)],
        )
        if reply_key is not None:
            Message.objects.filter(pk=reply.pk).update(client_key=reply_key)
        shown = []
        chips = []
        for rank, memory in enumerate(turn.memories):
            features = {
                "message_id": reply.id,
                "conversation_id": turn.conversation_id,
                "rank": rank,
                "score": turn.scores.get(memory.id),
            }
            try:
                memory_feedback(user=user, memory_id=memory.id, signal="used", features=features)
            except NotFound:  # forgotten while the companion answered: no chip for it
                continue
            shown.append(memory)
            chips.append(
                ReplyMemory(
                    message=reply, memory_id=memory.id, kind=ReplyMemory.Kind.USED, rank=rank
                )
            )
        ReplyMemory.objects.bulk_create(chips)
        if routed is not None:
            _routed_record(turn, reply, routed)
    return _message_view(reply, cipher, shown, routed, client_id=reply_id)


def chat_reply_stream(turn: PreparedTurn) -> Iterator[str]:
    """Yield the companion's reply in chunks; once complete, store it (`turn.reply`).

    Raises LLMError (status 502) when the provider fails; then nothing is stored for the
    companion and the person's message stays stored. A repeated send that was already
    answered yields the stored reply without asking the provider again."""
    if turn.reply is not None:
        yield turn.reply.text
        return
    turn_prepare(turn)
    if _routed_reply(turn) is not None:  # a sub-agent's need: its handler answered
        yield turn.reply.text
        return
    parts: list[str] = []
    size = 0
    for chunk in get_provider().stream_chat(turn.window, context=turn.context):
        if not chunk:
            continue
        chunk = chunk[: MAX_MESSAGE_CHARS - size]
        if not chunk:
            break  # an over-long reply is cut at the message limit
        parts.append(chunk)
        size += len(chunk)
        yield chunk
    text = "".join(parts).strip()
    if not text:
        raise LLMError(NO_REPLY_MESSAGE, reason="invalid_output")
    turn.reply = _store_reply(turn, text)


def chat_reply(turn: PreparedTurn) -> MessageView:
    """The whole reply at once (the non-streaming API and the no-JavaScript form)."""
    for _ in chat_reply_stream(turn):
        pass
    assert turn.reply is not None
    return turn.reply


# Routing to a sub-agent ----------------------------------------------------------------------
#
# Before the companion answers, the router (memory.companion.router; sub-agents register their intents at
# start-up) may recognise a need that belongs to a sub-agent or the builder. Then the handler's
# text is the reply, stored through the same path as any reply; an audit event (ids only) marks
# the reply as routed so its badge survives a reload.

ROUTE_ACTION = AuditAction.CHAT_ROUTE


def _routed_reply(turn: PreparedTurn) -> MessageView | None:
    decision = turn.decision
    if decision is None:
        return None
    # No transaction around the handler: it recalls (embeds the request), may ask the LLM and
    # may write memories (embeds them), none of which may run inside one; it commits its own
    # short writes, then the reply is stored in another.
    routed = route_dispatch(
        user=turn.user,
        text=turn.message.text,
        decision=decision,
        message_id=turn.message.id,
    )
    text = routed.result.text.strip()[:MAX_MESSAGE_CHARS]
    if not text:
        raise LLMError(NO_REPLY_MESSAGE, reason="invalid_output")
    preferences = tuple(UsedMemory(id=p.id, text=p.text) for p in routed.request.preferences)
    view = RoutedView(
        intent=routed.request.intent,
        preferences=preferences,
        links=tuple(link.as_dict() for link in routed.result.links),
    )
    turn.reply = _store_reply(turn, text, routed=view)
    return turn.reply


def _routed_record(turn: PreparedTurn, reply: Message, routed: RoutedView) -> None:
    """Store the routed badge on the reply (intent, encrypted buttons, the preferences passed)
    and audit the hand-over (ids only)."""
    user = turn.user
    reply.routed_intent = routed.intent
    reply.routed_links_ct = cipher_for(user.id).encrypt(json.dumps(list(routed.links)))
    reply.save(update_fields=["routed_intent", "routed_links_ct"])
    wanted = [memory.id for memory in routed.preferences]
    existing = set(Memory.objects.filter(user=user, pk__in=wanted).values_list("id", flat=True))
    ReplyMemory.objects.bulk_create(
        ReplyMemory(message=reply, memory_id=memory_id, kind=ReplyMemory.Kind.PREFERENCE, rank=rank)
        for rank, memory_id in enumerate(wanted)
        if memory_id in existing
    )
    # The sub-agent did the task with these preferences: a reward for each (tied to the read
    # that found them, when logged).
    rewards_record(
        user_id=user.id,
        memory_ids=[memory_id for memory_id in wanted if memory_id in existing],
        signal="completed",
        features={"message_id": reply.id, "intent": routed.intent},
    )
    audit_record(
        actor=user,
        subject_user_id=user.id,
        action=ROUTE_ACTION,
        purpose=f"routed to {routed.intent}",
        memory_ids=wanted,
        detail={
            "message_id": reply.id,
            "conversation_id": turn.conversation_id,
            "intent": routed.intent,
        },
    )
