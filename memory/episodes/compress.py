"""Episodic compression: conversation older than the short-term window becomes episodes.

An episode summarises the person's side only: the companion's words never become its text (nor,
through it, a memory of the person). Offline the summary is extractive: the person's clean
statements (the gate's `sentence_statement`: no greetings, questions or commands) that the gate
scores highest (names, dates, numbers, emphasised facts), in their original order, up to a token
budget, each under its speaker's label when the transcript names speakers. With a provider, the
model is given the person's messages only, each under the person's name, so the summary says who
said what. Its provenance is exactly the messages whose sentences it kept. Source messages are never deleted here.
Idempotent: an episode is unique per (conversation, first message) and is written in a short
transaction that locks the conversation, so a re-run or a concurrent run adds nothing. No LLM or
embedding call runs inside that transaction.
"""

import logging
from collections import Counter
from datetime import tzinfo

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from macaron.embeddings import get_embedder
from macaron.llm import LLMError, get_provider
from macaron.text import (
    count_tokens,
    detect_language,
    extractive_pick,
    lexical_terms,
    normalise,
    split_sentences,
)
from macaron.timeexpr import resolve_time
from macaron.timezones import user_zone
from macaron.vault import cipher_for
from macaron.vectorkey import vector_key
from memory.ingest.gate import LABEL_RE, score, sentence_statement
from memory.models import Conversation, Episode, Memory, MemorySource, Message
from memory.retrieval.lexical import term_stats_add

logger = logging.getLogger(__name__)

SHORT_TERM_WINDOW = 16
EPISODE_MESSAGES = 16
SUMMARY_TOKENS = 70


def _speaker_sentences(text: str) -> list[str]:
    """The clean statements of a message, each under its speaker's label when it has one."""
    label = LABEL_RE.match(text)
    body = text[label.end() :] if label else text
    prefix = f"{label.group(1)}: " if label else ""
    statements = (sentence_statement(sentence)[0] for sentence in split_sentences(body))
    return [prefix + statement for statement in statements if statement]


def extractive_summary(
    messages: list[tuple[Message, str]], *, zone: tzinfo
) -> tuple[str, list[Message]]:
    """The gate's most important sentences within SUMMARY_TOKENS (the one extractive
    summariser, `macaron.text.extractive_pick`), and the messages they came from. Dates are
    read in the person's `zone` ("tomorrow" is their tomorrow), as on the write path."""
    sentences: list[tuple[str, Message]] = []
    scores: list[float] = []
    for message, text in messages:
        for sentence in _speaker_sentences(text):
            importance, _ = score(sentence, resolve_time(sentence, message.sent_at, tz=zone))
            sentences.append((sentence, message))
            scores.append(importance)
    kept = extractive_pick(
        scores,
        [count_tokens(sentence) for sentence, _ in sentences],
        budget=SUMMARY_TOKENS,
        min_score=0.3,
    )
    sources = list(dict.fromkeys(sentences[i][1] for i in kept))
    return " ".join(sentences[i][0] for i in kept), sources


def chunk_language(texts: list[str], *, fallback: str = "en") -> str:
    """The language most of the messages are written in (the person's language when unsure)."""
    detected = Counter(code for code in map(detect_language, texts) if code != "und")
    return detected.most_common(1)[0][0] if detected else fallback


def summarise_chunk(
    messages: list[tuple[Message, str]],
    *,
    zone: tzinfo,
    language: str = "en",
    person: str = "The person",
) -> tuple[str, list[Message]]:
    """An LLM summary of the person's `messages` (each under the speaker's label, `person` when
    it has none; asked for in the conversation's language) when a provider is configured; the
    extractive one offline, or when the provider fails, so compression never stalls."""
    if settings.LLM_BASE_URL:
        texts = [text for _, text in messages]
        said = [text if LABEL_RE.match(text) else f"{person}: {text}" for text in texts]
        try:
            summary = get_provider().summarise(
                said, max_words=SUMMARY_TOKENS, language=chunk_language(texts, fallback=language)
            )
        except LLMError:
            logger.warning("episode summary fell back to extractive: provider unavailable")
        else:
            if summary.strip():
                return summary.strip(), [message for message, _ in messages]
    return extractive_summary(messages, zone=zone)


def conversation_compress(*, conversation_id: int) -> int:
    """Compress every full chunk of messages older than the short-term window; returns how
    many episodes were created. Summaries (an LLM call, perhaps) and embeddings are made with
    no transaction open; each episode is then written in a short transaction that locks the
    conversation and re-checks that the chunk is still uncompressed."""
    conversation = Conversation.objects.filter(pk=conversation_id).first()
    if conversation is None:
        return 0
    messages = list(
        Message.objects.filter(conversation=conversation)
        .order_by("sent_at", "id")
        .only("id", "sent_at", "text_ct", "episode_id", "external_id", "user_id", "role")
    )
    older = [m for m in messages[:-SHORT_TERM_WINDOW] if m.episode_id is None]
    if len(older) < EPISODE_MESSAGES:
        return 0
    cipher = cipher_for(conversation.user_id)
    zone = user_zone(conversation.user)
    fallback_language = getattr(conversation.user, "preferred_language", "") or "en"
    embedder = get_embedder()
    created = 0
    for start in range(0, len(older) - EPISODE_MESSAGES + 1, EPISODE_MESSAGES):
        chunk = older[start : start + EPISODE_MESSAGES]
        if Episode.objects.filter(conversation=conversation, first_message=chunk[0]).exists():
            continue
        said = [m for m in chunk if m.role == Message.Role.USER]  # the person's side only
        summary, sources = summarise_chunk(
            [(m, cipher.decrypt(m.text_ct)) for m in said],
            zone=zone,
            language=fallback_language,
            person=getattr(conversation.user, "display_name", "") or "The person",
        )
        vector = embedder.embed_documents([summary])[0] if summary else None
        with transaction.atomic():
            if not Conversation.objects.select_for_update().filter(pk=conversation_id).exists():
                return created  # deleted meanwhile
            episode, is_new = Episode.objects.get_or_create(
                conversation=conversation,
                first_message=chunk[0],
                defaults={
                    "user_id": conversation.user_id,
                    "last_message": chunk[-1],
                    "start_at": chunk[0].sent_at,
                    "end_at": chunk[-1].sent_at,
                },
            )
            if not is_new:
                continue  # a concurrent run compressed this chunk
            Message.objects.filter(pk__in=[m.pk for m in chunk]).update(episode=episode)
            if vector is None:
                continue
            memory = Memory.objects.create(
                user_id=conversation.user_id,
                kind=Memory.Kind.EPISODE,
                source=Memory.Source.COMPRESSION,
                text_ct=cipher.encrypt(summary),
                content_key=cipher.keyed_hash(normalise(summary)),
                embedding=vector_key(cipher, vector).tolist(),
                embedding_model=embedder.name,
                lexical_tokens=cipher.blind_tokens(lexical_terms(summary)),
                token_count=count_tokens(summary),
                domains=[],
                language=detect_language(summary),
                valid_from=chunk[-1].sent_at,
                importance=0.4,
                strength=1.0,
                strength_at=timezone.now(),
            )
            term_stats_add(user_id=conversation.user_id, tokens=memory.lexical_tokens)
            MemorySource.objects.bulk_create(
                [MemorySource(memory=memory, message=m, external_id=m.external_id) for m in sources]
            )
            Episode.objects.filter(pk=episode.pk).update(memory=memory)
            created += 1
    return created
