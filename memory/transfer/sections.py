"""The memory part of export and import: conversations and messages, memories with provenance,
links and policies, episodes, reminders, retrieval feedback and the person's audit log.

Restoring writes the rows as they were (new ids, references remapped), encrypted with the new
account's key; blind-index tokens, content and slot hashes are recomputed under that key and
the memories are re-embedded in batches before the restore's transaction (`memory_prepare`).
Restored messages keep their processed state, so what was already extracted is not extracted
again. The audit log is exported for the record only: it tells what happened to the old account.
"""

import json
from collections import defaultdict
from typing import Any

from django.db import transaction
from django.utils import timezone

from accounts.archive import at, iso, stamps_restore, strings, text, when
from accounts.hooks import ExportContext, ImportContext, Transfer
from macaron.embeddings import get_embedder
from macaron.text import count_tokens, lexical_terms, normalise, search_terms
from macaron.vault import cipher_for
from memory.ingest.gate import slot_of
from memory.ingest.tasks import processing_enqueue
from memory.ingest.write import (
    MAX_MEMORY_CHARS,
    MAX_MESSAGE_CHARS,
    conversation_create,
    person_write_lock,
)
from memory.models import (
    AuditEvent,
    Conversation,
    Episode,
    Memory,
    MemoryLink,
    MemorySource,
    Message,
    Reminder,
    ReplyMemory,
    RewardEvent,
)
from memory.privacy.policies import validate_policy
from memory.retrieval.lexical import term_stats_add

EMBED_BATCH = 64
TITLE_MAX = 200


def _actor(event: AuditEvent, user_id: int) -> str:
    if event.actor_id is None:
        return "system"
    return "you" if event.actor_id == user_id else "staff or another person"


def _conversations(ctx: ExportContext, cipher) -> list[dict]:
    """Conversations and their messages. A send's client_id is stored only as a keyed hash, so
    it is not in the archive; a reply carries the memories shown with it and its routed badge."""
    shown: dict[int, list[dict]] = defaultdict(list)
    for row in ReplyMemory.objects.filter(message__user=ctx.user).order_by(
        "message_id", "kind", "rank"
    ):
        shown[row.message_id].append(
            {"memory": ctx.ref("memory", row.memory_id), "kind": row.kind, "rank": row.rank}
        )
    messages: dict[int, list[dict]] = defaultdict(list)
    for m in Message.objects.filter(user=ctx.user).order_by("id"):
        item = {
            "ref": ctx.ref("message", m.id),
            "role": m.role,
            "text": cipher.decrypt(m.text_ct),
            "sent_at": iso(m.sent_at),
            "external_id": m.external_id,
            "episode": ctx.ref("episode", m.episode_id),
            "processed": m.processed_at is not None,
        }
        if m.id in shown:
            item["shown_memories"] = shown[m.id]
        if m.routed_intent:
            item["routed"] = {
                "intent": m.routed_intent,
                "links": json.loads(cipher.decrypt(m.routed_links_ct)) if m.routed_links_ct else [],
            }
        messages[m.conversation_id].append(item)
    return [
        {
            "ref": ctx.ref("conversation", c.id),
            "title": cipher.decrypt(c.title_ct) if c.title_ct is not None else "",
            "created_at": iso(c.created_at),
            "last_message_at": iso(c.last_message_at),
            "messages": messages.get(c.id, []),
        }
        for c in Conversation.objects.filter(user=ctx.user).order_by("id")
    ]


def _memories(ctx: ExportContext, cipher) -> list[dict]:
    rows = list(Memory.objects.filter(user=ctx.user).order_by("id"))
    for row in rows:
        ctx.ref("memory", row.id)  # number memories before links and sources name them
    sources: dict[int, list[dict]] = defaultdict(list)
    for s in MemorySource.objects.filter(memory__user=ctx.user).order_by("id"):
        sources[s.memory_id].append(
            {
                "message": ctx.ref("message", s.message_id),
                "entry": ctx.ref("entry", s.entry_id),
                "external_id": s.external_id,
            }
        )
    links: dict[int, list[dict]] = defaultdict(list)
    for link in MemoryLink.objects.filter(from_memory__user=ctx.user).order_by("id"):
        links[link.from_memory_id].append(
            {"to": ctx.ref("memory", link.to_memory_id), "kind": link.kind}
        )
    return [
        {
            "ref": ctx.ref("memory", m.id),
            "text": cipher.decrypt(m.text_ct),
            "kind": m.kind,
            "source": m.source,
            "domains": list(m.domains),
            "language": m.language,
            "event_time": iso(m.event_time),
            "event_end": iso(m.event_end),
            "sets_slot": m.slot_key is not None,
            "valid_from": iso(m.valid_from),
            "valid_to": iso(m.valid_to),
            "importance": m.importance,
            "strength": m.strength,
            "strength_at": iso(m.strength_at),
            "recall_count": m.recall_count,
            "last_recalled_at": iso(m.last_recalled_at),
            "pinned": m.pinned,
            "privacy": m.privacy,
            "policy": m.policy,
            "forgotten_at": iso(m.forgotten_at),  # in the trash: restorable, then erased
            "created_at": iso(m.created_at),
            "provenance": sources.get(m.id, []),
            "links": links.get(m.id, []),
        }
        for m in rows
    ]


def memory_export(ctx: ExportContext) -> dict[str, Any]:
    user = ctx.user
    cipher = cipher_for(user.id)
    conversations = _conversations(ctx, cipher)
    memories = _memories(ctx, cipher)
    episodes = [
        {
            "ref": ctx.ref("episode", e.id),
            "conversation": ctx.ref("conversation", e.conversation_id),
            "memory": ctx.ref("memory", e.memory_id),
            "start_at": iso(e.start_at),
            "end_at": iso(e.end_at),
            "first_message": ctx.ref("message", e.first_message_id),
            "last_message": ctx.ref("message", e.last_message_id),
        }
        for e in Episode.objects.filter(user=user).order_by("id")
    ]
    reminders = [
        {
            "memory": ctx.ref("memory", r.memory_id),
            "due_at": iso(r.due_at),
            "state": r.state,
            "raised_at": iso(r.raised_at),
            "dismissed_at": iso(r.dismissed_at),
        }
        for r in Reminder.objects.filter(user=user).order_by("id")
    ]
    feedback = [
        {
            "memory": ctx.ref("memory", r.memory_id),
            "signal": r.signal,
            "reward": r.reward,
            "features": r.features,
            "created_at": iso(r.created_at),
        }
        for r in RewardEvent.objects.filter(user=user).order_by("id")
    ]
    audit = [
        {
            "actor": _actor(a, user.id),
            "action": a.action,
            "purpose": a.purpose,
            "memories": [ctx.ref("memory", i) for i in a.memory_ids],
            "detail": a.detail,
            "at": iso(a.created_at),
        }
        for a in AuditEvent.objects.filter(subject_user_id=user.id).order_by("id")
    ]
    return {
        "conversations": conversations,
        "memories": memories,
        "episodes": episodes,
        "reminders": reminders,
        "memory_feedback": feedback,
        "audit_log": audit,
    }


def _memory_texts(ctx: ImportContext) -> list[str]:
    items = ctx.section("memories")
    return [
        text(item.get("text") if isinstance(item, dict) else None, limit=MAX_MEMORY_CHARS)
        for item in items
    ]


def memory_prepare(ctx: ImportContext, progress) -> None:
    """Embed the archived memories in batches, outside any transaction (the slow part)."""
    texts = _memory_texts(ctx)
    embedder = get_embedder()
    vectors: list = []
    for start in range(0, len(texts), EMBED_BATCH):
        vectors.extend(embedder.embed_documents(texts[start : start + EMBED_BATCH]))
        progress((start + EMBED_BATCH) / max(len(texts), 1))
    ctx.prepared["memory"] = (vectors, embedder.name)


def _choice(value: Any, choices: list[str]) -> str:
    if value not in choices:
        raise ValueError("A value in the archive is not one of the known choices.")
    return value


def _number(value: Any, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise ValueError("A number in the archive is out of range.")
    return float(value)


def _restore_conversations(ctx: ImportContext, cipher) -> list[int]:
    """Conversations and messages; returns the ids of messages still to be processed."""
    user = ctx.user
    now = timezone.now()
    pending: list[int] = []
    stamps = {}
    episodes_of: dict[int, Any] = {}
    shown_of: dict[int, Any] = {}
    for item in ctx.section("conversations"):
        title = text(item.get("title", ""), limit=TITLE_MAX)
        conversation = conversation_create(user=user, title=title)
        conversation.last_message_at = when(item.get("last_message_at"))
        conversation.save(update_fields=["last_message_at"])
        ctx.remember("conversation", item.get("ref"), conversation.id)
        stamps[conversation.id] = at(item.get("created_at"))
        rows = []
        for m in item.get("messages", []):
            body = text(m.get("text"), limit=MAX_MESSAGE_CHARS)
            routed = m.get("routed") or {}
            if not isinstance(routed, dict):
                raise ValueError("A message's routed badge has the wrong shape.")
            rows.append(
                Message(
                    user=user,
                    conversation=conversation,
                    role=_choice(m.get("role"), Message.Role.values),
                    text_ct=cipher.encrypt(body),
                    search_tokens=cipher.blind_tokens(search_terms(body)),
                    sent_at=at(m.get("sent_at")),
                    external_id=text(m.get("external_id", ""), limit=200),
                    token_count=count_tokens(body),
                    processed_at=now if m.get("processed", True) else None,
                    routed_intent=text(routed.get("intent", ""), limit=64),
                    routed_links_ct=cipher.encrypt(json.dumps(routed.get("links") or []))
                    if routed
                    else None,
                )
            )
        stored = Message.objects.bulk_create(rows)
        for m, row in zip(item.get("messages", []), stored, strict=True):
            ctx.remember("message", m.get("ref"), row.id)
            if m.get("shown_memories"):
                shown_of[row.id] = m["shown_memories"]
            if m.get("episode") is not None:
                episodes_of[row.id] = m["episode"]
            if row.processed_at is None:
                pending.append(row.id)
    stamps_restore(Conversation, "created_at", stamps)
    ctx.prepared["memory.message_episodes"] = episodes_of
    ctx.prepared["memory.reply_memories"] = shown_of
    ctx.counts["conversations"] = len(stamps)
    ctx.counts["messages"] = len(ctx.ids.get("message", {}))
    return pending


def _restore_memories(ctx: ImportContext, cipher) -> None:
    user = ctx.user
    items = ctx.section("memories")
    vectors, model_name = ctx.prepared["memory"]
    rows = []
    for item, vector in zip(items, vectors, strict=True):
        body = text(item.get("text"), limit=MAX_MEMORY_CHARS)
        slot = slot_of(body) if item.get("sets_slot") else None
        rows.append(
            Memory(
                user=user,
                kind=_choice(item.get("kind"), Memory.Kind.values),
                source=_choice(item.get("source"), Memory.Source.values),
                text_ct=cipher.encrypt(body),
                content_key=cipher.keyed_hash(normalise(body)),
                slot_key=cipher.keyed_hash(slot) if slot else None,
                embedding=vector.tolist(),
                embedding_model=model_name,
                lexical_tokens=sorted({cipher.blind_token(t) for t in set(lexical_terms(body))}),
                token_count=count_tokens(body),
                domains=strings(item.get("domains", []), limit=24),
                language=text(item.get("language", "und"), limit=8),
                event_time=when(item.get("event_time")),
                event_end=when(item.get("event_end")),
                valid_from=at(item.get("valid_from")),
                valid_to=when(item.get("valid_to")),
                importance=_number(item.get("importance"), 0, 1),
                strength=_number(item.get("strength"), 0, 1),
                strength_at=at(item.get("strength_at")),
                recall_count=int(_number(item.get("recall_count", 0), 0, 2**31 - 1)),
                last_recalled_at=when(item.get("last_recalled_at")),
                pinned=item.get("pinned") is True,
                privacy=_choice(item.get("privacy"), Memory.Privacy.values),
                policy=validate_policy(item.get("policy", {})),
                forgotten_at=when(item.get("forgotten_at")),
            )
        )
    stored = Memory.objects.bulk_create(rows)
    stamps = {}
    for item, row in zip(items, stored, strict=True):
        ctx.remember("memory", item.get("ref"), row.id)
        stamps[row.id] = at(item.get("created_at"))
        if row.valid_to is None and row.forgotten_at is None:
            term_stats_add(user_id=user.id, tokens=row.lexical_tokens)
    stamps_restore(Memory, "created_at", stamps)
    links, sources, entry_refs = [], [], []
    for item, row in zip(items, stored, strict=True):
        for link in item.get("links", []):
            to = ctx.new_id("memory", link.get("to"))
            if to is not None:
                kind = _choice(link.get("kind"), MemoryLink.Kind.values)
                links.append(MemoryLink(from_memory=row, to_memory_id=to, kind=kind))
        for source in item.get("provenance", []):
            sources.append(
                MemorySource(
                    memory=row,
                    message_id=ctx.new_id("message", source.get("message")),
                    external_id=text(source.get("external_id", ""), limit=200),
                )
            )
            entry_refs.append(source.get("entry"))
    MemoryLink.objects.bulk_create(links)
    stored_sources = MemorySource.objects.bulk_create(sources)
    ctx.counts["memories"] = len(stored)

    def link_entries() -> None:  # entries are restored later, by the sub-agents app
        for source, ref in zip(stored_sources, entry_refs, strict=True):
            entry_id = ctx.new_id("entry", ref)
            if entry_id is not None:
                MemorySource.objects.filter(pk=source.pk).update(entry_id=entry_id)

    ctx.finishers.append(link_entries)


def _restore_episodes(ctx: ImportContext) -> None:
    user = ctx.user
    for item in ctx.section("episodes"):
        conversation = ctx.new_id("conversation", item.get("conversation"))
        first = ctx.new_id("message", item.get("first_message"))
        last = ctx.new_id("message", item.get("last_message"))
        if conversation is None or first is None or last is None:
            raise ValueError("An episode names a conversation or message the archive lacks.")
        episode = Episode.objects.create(
            user=user,
            conversation_id=conversation,
            memory_id=ctx.new_id("memory", item.get("memory")),
            start_at=at(item.get("start_at")),
            end_at=at(item.get("end_at")),
            first_message_id=first,
            last_message_id=last,
        )
        ctx.remember("episode", item.get("ref"), episode.id)
    by_episode: dict[int, list[int]] = defaultdict(list)
    for message_id, ref in ctx.prepared.pop("memory.message_episodes", {}).items():
        episode_id = ctx.new_id("episode", ref)
        if episode_id is not None:
            by_episode[episode_id].append(message_id)
    for episode_id, message_ids in by_episode.items():
        Message.objects.filter(pk__in=message_ids).update(episode_id=episode_id)
    ctx.counts["episodes"] = len(ctx.ids.get("episode", {}))


def _restore_reminders_and_feedback(ctx: ImportContext) -> None:
    user = ctx.user
    reminders = []
    for item in ctx.section("reminders"):
        memory = ctx.new_id("memory", item.get("memory"))
        if memory is None:
            raise ValueError("A reminder names a memory the archive lacks.")
        reminders.append(
            Reminder(
                user=user,
                memory_id=memory,
                due_at=at(item.get("due_at")),
                state=_choice(item.get("state"), Reminder.State.values),
                raised_at=when(item.get("raised_at")),
                dismissed_at=when(item.get("dismissed_at")),
            )
        )
    Reminder.objects.bulk_create(reminders)
    feedback, stamps = [], []
    for item in ctx.section("memory_feedback"):
        memory = ctx.new_id("memory", item.get("memory"))
        if memory is None:
            continue
        features = item.get("features", {})
        if not isinstance(features, dict):
            raise ValueError("Retrieval feedback features must be an object.")
        feedback.append(
            RewardEvent(
                user=user,
                memory_id=memory,
                signal=text(item.get("signal"), limit=16),
                reward=_number(item.get("reward"), -1e6, 1e6),
                features=features,
            )
        )
        stamps.append(at(item.get("created_at")))
    stored = RewardEvent.objects.bulk_create(feedback)
    stamps_restore(
        RewardEvent, "created_at", {r.id: at for r, at in zip(stored, stamps, strict=True)}
    )
    ctx.counts["reminders"] = len(reminders)


def _restore_reply_memories(ctx: ImportContext) -> None:
    """The memories shown with each reply (chips, preferences), once memories have new ids."""
    rows = []
    for message_id, shown in ctx.prepared.get("memory.reply_memories", {}).items():
        if not isinstance(shown, list):
            raise ValueError("A reply's shown memories have the wrong shape.")
        for item in shown:
            memory_id = ctx.new_id("memory", item.get("memory"))
            if memory_id is None:  # forgotten before the export: no chip for it
                continue
            rows.append(
                ReplyMemory(
                    message_id=message_id,
                    memory_id=memory_id,
                    kind=_choice(item.get("kind"), ReplyMemory.Kind.values),
                    rank=int(item.get("rank") or 0),
                )
            )
    ReplyMemory.objects.bulk_create(rows, ignore_conflicts=True)


def memory_restore(ctx: ImportContext) -> None:
    cipher = cipher_for(ctx.user.id)
    person_write_lock(ctx.user.id)
    pending = _restore_conversations(ctx, cipher)
    _restore_memories(ctx, cipher)
    _restore_reply_memories(ctx)
    _restore_episodes(ctx)
    _restore_reminders_and_feedback(ctx)
    if pending:
        transaction.on_commit(lambda: processing_enqueue(pending))


MEMORY_TRANSFER = Transfer(
    export=memory_export,
    restore=memory_restore,
    prepare=memory_prepare,
    not_restored=("audit_log",),
)
