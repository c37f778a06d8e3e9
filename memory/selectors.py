"""Reads of the memory engine for the person-facing side (web page and REST API).

Selectors return plain dataclasses with the text already decrypted, one cipher per call, and
every query is scoped by the acting person. Provenance ("you told me this on ...") comes from
`MemorySource` rows and the messages they point at, fetched in one prefetch query.
"""

from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from functools import cached_property

from django.conf import settings
from django.db import connection
from django.db.models import F, Prefetch, QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext

from macaron.errors import NotFound
from macaron.text import lexical_terms
from macaron.timezones import user_zone
from macaron.vault import UserCipher, cipher_for
from memory.learning.explain import memory_reasons as reasons_in_words
from memory.models import Memory, MemorySource
from memory.privacy.policies import Reader, ReaderKind, StepUpRequired, may_read, readable
from memory.retrieval.highlight import Highlight, close_in_meaning, highlight, rare_limit
from memory.retrieval.lexical import document_frequencies
from memory.retrieval.scoring import decayed_strength
from memory.retrieval.search import COUNT_CAP, MAX_K, Filters, retrieve
from memory.retrieval.vector_index import current_memory_count

MEMORY_FIELDS = (
    "id",
    "user_id",
    "text_ct",
    "kind",
    "source",
    "domains",
    "language",
    "created_at",
    "valid_from",
    "valid_to",
    "event_time",
    "importance",
    "strength",
    "strength_at",
    "recall_count",
    "pinned",
    "privacy",
    "policy",
    "forgotten_at",
)


@dataclass(frozen=True)
class SourceView:
    """Where a memory came from: the message (and when it was sent), or an external id."""

    message_id: int | None
    external_id: str
    said_at: datetime | None
    conversation_id: int | None


@dataclass(frozen=True)
class MemoryView:
    id: int
    text: str
    kind: str
    source: str
    domains: list[str]
    language: str
    created_at: datetime
    valid_from: datetime
    valid_to: datetime | None
    event_time: datetime | None
    importance: float
    strength: float
    recall_count: int
    pinned: bool
    privacy: str
    policy: dict
    sources: tuple[SourceView, ...] = ()
    locked: bool = False  # needs a step-up: the text is withheld
    forgotten_at: datetime | None = None  # in the trash since then
    # A search result: the query's terms found in the text, whether it is close in meaning,
    # and so whether it clears the relevance floor (the rest are shown on "show more").
    highlight: Highlight | None = None
    similar: bool = False
    relevant: bool = True

    @property
    def origin(self) -> SourceView | None:
        """The first message it came from (the conversation moment the page links to)."""
        for source in self.sources:
            if source.message_id is not None and source.conversation_id is not None:
                return source
        return None

    @property
    def matched_terms(self) -> tuple[str, ...]:
        return self.highlight.terms if self.highlight is not None else ()

    @property
    def said_at(self) -> list[datetime]:
        """When the person said it, oldest first (one entry per message it came from)."""
        return [source.said_at for source in self.sources if source.said_at is not None]


def _bound(value: date | datetime | None, *, tz, end: bool) -> datetime | None:
    """A day given without a time means the whole day in the person's own time zone."""
    if value is None or isinstance(value, datetime):
        return value
    return datetime.combine(value, time.max if end else time.min, tzinfo=tz)


def _sources_prefetch() -> Prefetch:
    return Prefetch(
        "sources",
        queryset=MemorySource.objects.select_related("message")
        .only(
            "id",
            "memory_id",
            "external_id",
            "message_id",
            "message__id",
            "message__sent_at",
            "message__conversation_id",
        )
        .order_by(F("message__sent_at").asc(nulls_last=True), "id"),
    )


OWNER = Reader(kind=ReaderKind.PERSON)


def _to_view(memory: Memory, cipher: UserCipher, *, locked: bool = False) -> MemoryView:
    sources = tuple(
        SourceView(
            message_id=source.message_id,
            external_id=source.external_id,
            said_at=source.message.sent_at if source.message is not None else None,
            conversation_id=source.message.conversation_id if source.message else None,
        )
        for source in memory.sources.all()
        if source.message_id is not None or source.external_id
    )
    return MemoryView(
        id=memory.id,
        text="" if locked else cipher.decrypt(memory.text_ct),
        kind=memory.kind,
        source=memory.source,
        domains=list(memory.domains),
        language=memory.language,
        created_at=memory.created_at,
        valid_from=memory.valid_from,
        valid_to=memory.valid_to,
        event_time=memory.event_time,
        importance=memory.importance,
        strength=decayed_strength(
            memory.strength,
            memory.strength_at,
            memory.recall_count,
            timezone.now(),
            pinned=memory.pinned,
        ),
        recall_count=memory.recall_count,
        pinned=memory.pinned,
        privacy=memory.privacy,
        policy=dict(memory.policy or {}),
        sources=() if locked else sources,
        locked=locked,
        forgotten_at=memory.forgotten_at,
    )


def _views(memories: list[Memory], cipher: UserCipher, reader: Reader) -> list[MemoryView]:
    """Views in order; what the reader may not read is shown locked (id only), and audited."""
    if not memories:
        return []
    _, denied = readable(memories, reader, subject_user_id=memories[0].user_id)
    locked = {memory.id for memory in denied}
    return [_to_view(memory, cipher, locked=memory.id in locked) for memory in memories]


def _memories(user, *, trashed: bool = False) -> QuerySet[Memory]:
    """The person's memories, out of the trash (or, with `trashed`, in it)."""
    return (
        Memory.objects.filter(user=user, forgotten_at__isnull=not trashed)
        .only(*MEMORY_FIELDS)
        .prefetch_related(_sources_prefetch())
    )


class MemoryList:
    """A lazily decrypted, sliceable list of a person's memories, for any paginator.

    `count()` asks the database; slicing fetches and decrypts only that slice. The person's
    cipher is looked up once, and only when there is something to decrypt.
    """

    def __init__(self, queryset: QuerySet[Memory], user_id: int, reader: Reader = OWNER):
        self._queryset = queryset
        self._user_id = user_id
        self._reader = reader

    @cached_property
    def _cipher(self) -> UserCipher:
        return cipher_for(self._user_id)

    def count(self) -> int:
        return self._queryset.count()

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index):
        if isinstance(index, slice):
            return _views(list(self._queryset[index]), self._cipher, self._reader)
        return _views([self._queryset[index]], self._cipher, self._reader)[0]

    def __iter__(self):
        return iter(self[:])


def memories_for_user(
    *,
    user,
    q: str = "",
    domain: str | None = None,
    kind: str | None = None,
    since: date | datetime | None = None,
    until: date | datetime | None = None,
    pinned: bool | None = None,
    include_history: bool = False,
    reader: Reader = OWNER,
) -> MemoryList | list[MemoryView]:
    """The person's memories, pinned ones first, then newest first; with `q`, ranked by
    `retrieve()` instead: the relevant ones first (pinned first among them), then the rest
    (`relevant=False`), each with what matched. Memories in the trash are never listed.

    `since`/`until` use the same notion of "when" as retrieval: a memory's event time if it has
    one (an event overlapping the range counts), otherwise when it was said. Superseded facts
    are left out unless `include_history`.
    """
    tz = user_zone(user)
    since_at, until_at = _bound(since, tz=tz, end=False), _bound(until, tz=tz, end=True)
    if q:
        return _search(
            user=user,
            q=q,
            filters=Filters(
                domains=[domain] if domain else None,
                kinds=[kind] if kind else None,
                since=since_at,
                until=until_at,
                include_history=include_history,
                reauthenticated=reader.stepped_up,
            ),
            pinned=pinned,
            reader=reader,
        )
    memories = _memories(user)
    if not include_history:
        memories = memories.filter(valid_to__isnull=True)
    if domain:
        memories = memories.filter(domains__contains=[domain])
    if kind:
        memories = memories.filter(kind=kind)
    if pinned is not None:
        memories = memories.filter(pinned=pinned)
    if since_at is not None:
        memories = memories.alias(ends_at=Coalesce("event_end", "event_time", "valid_from")).filter(
            ends_at__gte=since_at
        )
    if until_at is not None:
        memories = memories.alias(starts_at=Coalesce("event_time", "valid_from")).filter(
            starts_at__lte=until_at
        )
    return MemoryList(memories.order_by("-pinned", "-created_at", "-id"), user.id, reader)


def _search(
    *, user, q: str, filters: Filters, pinned: bool | None, reader: Reader
) -> list[MemoryView]:
    result = retrieve(
        user=user, query=q, k=MAX_K, budget=None, filters=filters, purpose="person", reinforce=False
    )
    ranked = [item.id for item in result.items]
    if not ranked:
        return []
    memories = _memories(user).filter(pk__in=ranked)
    if pinned is not None:
        memories = memories.filter(pinned=pinned)
    found = {memory.id: memory for memory in memories}
    ordered = [found[memory_id] for memory_id in ranked if memory_id in found]
    similarity = {item.id: item.similarity for item in result.items}
    similar = close_in_meaning([similarity[memory.id] for memory in ordered])
    rare = _rare_terms(user.id, q)
    views = []
    for view, close in zip(_views(ordered, cipher_for(user.id), reader), similar, strict=True):
        marks = None if view.locked else highlight(view.text, q, rare=rare)
        telling = marks is not None and marks.telling
        views.append(replace(view, highlight=marks, similar=close, relevant=telling or close))
    # Relevant ones first, pinned first among them; the order within each part is the ranking.
    return sorted(views, key=lambda view: (not view.relevant, not (view.relevant and view.pinned)))


def _rare_terms(user_id: int, q: str) -> set[str]:
    """The query's terms few of the person's current memories hold (see highlight.RARE_SHARE),
    looked up in the blind index's term statistics."""
    terms = set(lexical_terms(q))
    if not terms:
        return set()
    cipher = cipher_for(user_id)
    tokens = {cipher.blind_token(term): term for term in terms}
    with connection.cursor() as cursor:
        df = document_frequencies(cursor, user_id=user_id, tokens=list(tokens))
        limit = rare_limit(current_memory_count(cursor, user_id, cap=COUNT_CAP))
    return {term for token, term in tokens.items() if df.get(token, 0) <= limit}


def memory_detail(
    *, user, memory_id: int, reader: Reader = OWNER, refuse_locked: bool = True
) -> MemoryView:
    """One of the person's memories with its provenance; someone else's id is "not found",
    one that needs a step-up first is refused (audited) with code "step_up_required", or
    shown locked if not `refuse_locked`."""
    memory = _memories(user).filter(pk=memory_id).first()
    if memory is None:
        raise NotFound(gettext("No such memory."))
    decision = may_read(memory, reader)
    if not decision:
        readable([memory], reader, subject_user_id=user.id)  # audits the denial
        if not decision.locked:
            raise NotFound(gettext("No such memory."))
        if not refuse_locked:
            return _to_view(memory, cipher_for(user.id), locked=True)
        raise StepUpRequired(
            gettext("This memory needs you to confirm your password first."),
            code="step_up_required",
        )
    return _to_view(memory, cipher_for(user.id))


def memory_ids_owned(*, user, memory_ids: list[int], trashed: bool = False) -> list[int]:
    """Which of these ids are the person's own memories, out of the trash (or, with `trashed`,
    in it); others are silently dropped."""
    return list(
        Memory.objects.filter(user=user, pk__in=memory_ids, forgotten_at__isnull=not trashed)
        .order_by("id")
        .values_list("id", flat=True)
    )


def memories_chosen(
    *, user, memory_ids: list[int], reader: Reader = OWNER, limit: int = 50
) -> list[MemoryView]:
    """Some of the person's memories (out of the trash) by id, newest first, in one query:
    what a confirmation page shows. Someone else's ids are silently dropped."""
    rows = list(_memories(user).filter(pk__in=memory_ids).order_by("-created_at", "-id")[:limit])
    return _views(rows, cipher_for(user.id), reader) if rows else []


@dataclass(frozen=True)
class TrashedView:
    memory: MemoryView
    erase_at: datetime  # when the beat job erases it for good
    days_left: int  # whole days left to restore it (0: during its last day)


def memories_trashed(
    *, user, reader: Reader = OWNER, now: datetime | None = None
) -> list[TrashedView]:
    """The person's trash, most recently forgotten first, with the time left to restore each.
    Items past the grace period that the beat job has not erased yet are not shown."""
    now = now or timezone.now()
    grace = timedelta(days=settings.MEMORY_TRASH_DAYS)
    rows = list(
        _memories(user, trashed=True)
        .filter(forgotten_at__gt=now - grace)
        .order_by("-forgotten_at", "-id")
    )
    if not rows:
        return []
    trashed = []
    for row, view in zip(rows, _views(rows, cipher_for(user.id), reader), strict=True):
        if row.forgotten_at is None:  # not in the trash after all (cannot happen: filtered)
            continue
        erase_at = row.forgotten_at + grace
        trashed.append(TrashedView(memory=view, erase_at=erase_at, days_left=(erase_at - now).days))
    return trashed


def memory_reasons(*, user, memory_ids: list[int]) -> dict[int, str]:
    """Why the companion used each of these memories, in words (`memory.learning.explain`)."""
    return reasons_in_words(user_id=user.id, memory_ids=memory_ids)
