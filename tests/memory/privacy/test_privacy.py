import logging
import os
import subprocess
import uuid
from datetime import UTC, datetime, timedelta
from io import StringIO
from pathlib import Path

import pgserver
import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from accounts.models import User
from macaron.errors import NotFound, TooLarge
from macaron.vault import VaultError, cipher_for
from memory.episodes.compress import conversation_compress
from memory.models import (
    AuditEvent,
    Conversation,
    DataKey,
    Episode,
    Memory,
    MemorySource,
    Message,
    RewardEvent,
)
from memory.retrieval.search import Filters, retrieve
from memory.services import (
    MessageIn,
    conversation_create,
    memories_forget,
    memory_create,
    memory_feedback,
    memory_get,
    memory_update,
    messages_ingest,
    user_erase,
)
from tests.factories import UserFactory

PG_DUMP = Path(pgserver.__file__).parent / "pginstall" / "bin" / "pg_dump"
START = datetime(2024, 5, 6, 8, 0, tzinfo=UTC)

FILLER = [
    "We talked about the weather in the mountains and the long train ride",
    "My brother Kenji is moving to Osaka for his new job at a bakery",
    "I started learning the cello and practise every evening after dinner",
    "The garden needs new tomato plants because the old ones got a blight",
    "Our team at work finished the quarterly report two days early",
    "I love hiking near Lake Biwa when the autumn leaves turn red",
    "My favourite breakfast is miso soup with rice and grilled salmon",
    "I am reading a novel by Haruki Murakami about a missing cat",
]


def canary() -> tuple[str, str]:
    token = uuid.uuid4().hex
    return f"Zebra-{token.upper()}", token


def forbidden_forms(value: str, token: str) -> list[str]:
    """The text, its lowercase, the distinctive token and their hex (a bytea in COPY output)."""
    forms = {value, value.lower(), token, token.upper()}
    return sorted(forms | {form.encode().hex() for form in forms})


def assert_nowhere(haystack: str, value: str, token: str) -> None:
    for form in forbidden_forms(value, token):
        assert form not in haystack, f"{form!r} leaked"


def long_conversation(user, secret: str, count: int = 34) -> tuple[Conversation, list[Message]]:
    conversation = conversation_create(user=user, title="Everyday chat")
    items = [
        MessageIn(
            text=f"Please remember that my secret canary is {secret}, it is important!",
            sent_at=START,
        )
    ]
    items += [
        MessageIn(
            text=f"{FILLER[i % len(FILLER)]} (note {i})",
            sent_at=START + timedelta(minutes=i),
            role=Message.Role.USER if i % 2 else Message.Role.COMPANION,
        )
        for i in range(1, count)
    ]
    stored = messages_ingest(
        user=user, conversation=conversation, messages=items, schedule_compression=False
    )
    return conversation, stored


# a) Nothing readable at rest ---------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_pg_dump_contains_no_plaintext(tmp_path):
    person, other = UserFactory(), UserFactory()
    message_canary, message_token = canary()
    memory_canary, memory_token = canary()
    query_canary, query_token = canary()
    conversation, _ = long_conversation(person, message_canary)
    stated = memory_create(user=person, text=f"My locker combination is {memory_canary}")
    memory_update(user=person, memory_id=stated.id, text=f"My locker code is {memory_canary}")
    memory_create(user=other, text="I live in Lisbon")

    assert conversation_compress(conversation_id=conversation.id) == 1
    result = retrieve(user=person, query=f"What is my secret canary {query_canary}?")
    retrieve(user=person, query=f"locker code {memory_canary}", purpose="api")

    # The canaries really went through every path: stored, summarised, retrievable.
    cipher = cipher_for(person.id)
    episode = Episode.objects.get(conversation=conversation)
    assert message_canary in cipher.decrypt(episode.memory.text_ct)
    assert any(message_canary in item.text for item in result.items)
    assert any(
        memory_canary in cipher.decrypt(m.text_ct) for m in Memory.objects.filter(user=person)
    )

    settings = connection.settings_dict
    dump = tmp_path / "dump.sql"
    command = [str(PG_DUMP), "--no-owner", "-U", settings["USER"], "-d", settings["NAME"]]
    command += ["-f", str(dump)]
    if settings["HOST"]:
        command += ["-h", settings["HOST"]]
    if settings["PORT"]:
        command += ["-p", str(settings["PORT"])]
    env = {**os.environ, "PGPASSWORD": settings["PASSWORD"] or ""}
    completed = subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)
    assert completed.returncode == 0, completed.stderr

    text = dump.read_text(encoding="utf-8")
    assert "COPY public.memory_message" in text  # the dump has the data, not just the schema
    assert "COPY public.memory_memory" in text
    for value, token in (
        (message_canary, message_token),
        (memory_canary, memory_token),
        (query_canary, query_token),
    ):
        assert_nowhere(text, value, token)
    for phrase in ("secret canary", "locker code", "Lisbon", "Everyday chat"):
        assert phrase not in text
        assert phrase.encode().hex() not in text


# b) Nothing readable in logs or error messages -----------------------------------------------


class Records(logging.Handler):
    def __init__(self):
        super().__init__(level=logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record):
        self.records.append(record)

    def text(self) -> str:
        lines = []
        for record in self.records:
            lines.append(record.getMessage())
            lines.append(repr(record.args))
            if record.exc_info:
                lines.append(logging.Formatter().formatException(record.exc_info))
        return "\n".join(lines)


@pytest.fixture
def all_logs():
    """Every logger at DEBUG, SQL and its parameters included.

    (The suite runs with `-p no:logging`, so pytest's caplog is not available.)
    """
    handler = Records()
    loggers = [logging.getLogger()] + [
        logger
        for logger in logging.Logger.manager.loggerDict.values()
        if isinstance(logger, logging.Logger)
    ]
    saved = [(logger, logger.level, logger.disabled) for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.DEBUG)
        logger.disabled = False
    logging.getLogger().addHandler(handler)
    non_propagating = [logger for logger in loggers[1:] if not logger.propagate]
    for logger in non_propagating:
        logger.addHandler(handler)
    connection.force_debug_cursor = True
    try:
        yield handler
    finally:
        connection.force_debug_cursor = False
        for logger in non_propagating:
            logger.removeHandler(handler)
        logging.getLogger().removeHandler(handler)
        for logger, level, disabled in saved:
            logger.setLevel(level)
            logger.disabled = disabled


@pytest.mark.django_db
def test_no_personal_text_in_any_log_record(all_logs):
    person = UserFactory()
    secret, token = canary()
    conversation = conversation_create(user=person, title="Health notes")
    messages_ingest(
        user=person,
        conversation=conversation,
        messages=[MessageIn(text=f"Remember: my secret canary is {secret}", sent_at=START)],
        schedule_compression=False,
    )
    result = retrieve(user=person, query=f"what is my secret canary {secret}")
    [item] = result.items
    memory_update(user=person, memory_id=item.id, text=f"My secret canary is now {secret}!")
    memory_feedback(user=person, memory_id=item.id, signal="up")
    with pytest.raises(TooLarge):
        memory_update(user=person, memory_id=item.id, text=f"{secret} " * 1000)

    assert any(r.name == "django.db.backends" for r in all_logs.records)  # SQL was logged
    assert_nowhere(all_logs.text(), secret, token)
    assert "secret canary" not in all_logs.text()


@pytest.mark.django_db
def test_too_long_text_error_does_not_echo_the_text(user):
    secret, token = canary()
    memory = memory_create(user=user, text="My dentist is Dr Okafor")
    before = Memory.objects.filter(pk=memory.pk).values().get()

    with pytest.raises(TooLarge) as refused:
        memory_update(user=user, memory_id=memory.pk, text=f"{secret} " * 200)

    error = refused.value
    assert error.code == "too_large"
    assert error.message == "The memory is too long (7,800 characters; the limit is 4,000)."
    assert_nowhere(f"{error} {error.message} {error.fields}", secret, token)
    assert Memory.objects.filter(pk=memory.pk).values().get() == before


# c) One person never reaches another's data -------------------------------------------------


@pytest.mark.django_db
def test_other_person_cannot_read_change_or_rate_a_memory():
    owner, intruder = UserFactory(), UserFactory()
    memory = memory_create(user=owner, text="My passport number is X1234567")
    before = Memory.objects.filter(pk=memory.pk).values().get()

    with pytest.raises(NotFound):
        memory_get(user=intruder, memory_id=memory.pk)
    with pytest.raises(NotFound):
        memory_update(
            user=intruder, memory_id=memory.pk, text="hijacked", pinned=True, privacy="secret"
        )
    with pytest.raises(NotFound):
        memory_feedback(user=intruder, memory_id=memory.pk, signal="down")

    assert Memory.objects.filter(pk=memory.pk).values().get() == before
    assert not RewardEvent.objects.exists()
    assert cipher_for(owner.id).decrypt(memory_get(user=owner, memory_id=memory.pk).text_ct) == (
        "My passport number is X1234567"
    )


@pytest.mark.django_db
def test_forget_with_another_persons_ids_deletes_nothing():
    owner, intruder = UserFactory(), UserFactory()
    texts = ["I am allergic to shellfish", "My sister Aiko lives in Sapporo", "I drive a red Vespa"]
    ids = [memory_create(user=owner, text=text).pk for text in texts]
    own = memory_create(user=intruder, text="I collect vintage stamps")

    memories_forget(user=intruder, memory_ids=[*ids, own.pk])

    assert sorted(Memory.objects.filter(user=owner).values_list("pk", flat=True)) == sorted(ids)
    assert not Memory.objects.filter(pk=own.pk).exists()


@pytest.mark.django_db
def test_retrieve_never_returns_another_persons_memories():
    owner, other = UserFactory(), UserFactory()
    texts = ["I am allergic to shellfish", "My sister Aiko lives in Sapporo"]
    owned = {memory_create(user=owner, text=text).pk for text in texts}
    memory_create(user=other, text="I enjoy baking sourdough bread")

    for text in texts:
        result = retrieve(user=other, query=text, k=10, budget=None)
        assert [item.text for item in result.items] == ["I enjoy baking sourdough bread"]
        result = retrieve(
            user=other,
            query=text,
            k=10,
            budget=None,
            purpose="person",
            filters=Filters(include_history=True, reauthenticated=True),
        )
        assert not owned & {item.id for item in result.items}

    assert set(Memory.objects.filter(pk__in=owned).values_list("recall_count", flat=True)) == {0}


@pytest.mark.django_db
def test_ingest_into_another_persons_conversation_is_refused():
    owner, intruder = UserFactory(), UserFactory()
    conversation = conversation_create(user=owner)

    with pytest.raises(NotFound):
        messages_ingest(
            user=intruder,
            conversation=conversation,
            messages=[MessageIn(text="I live in Boston", sent_at=START)],
        )

    assert not Message.objects.exists()
    assert not Memory.objects.exists()
    assert Conversation.objects.get(pk=conversation.pk).last_message_at is None


@pytest.mark.django_db
def test_forget_returns_how_many_memories_were_forgotten():
    person = UserFactory()
    ids = [
        memory_create(user=person, text=text).pk for text in ("I drive a red Vespa", "I hate jazz")
    ]
    assert len(set(ids)) == 2

    assert memories_forget(user=person, memory_ids=ids) == 2


# d) Erasure ----------------------------------------------------------------------------------


def count_rows(sql: str, params: list) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0]


def populate_for_erasure(person, secret: str) -> dict:
    conversation, stored = long_conversation(person, secret)
    conversation_compress(conversation_id=conversation.id)
    memory = memory_create(user=person, text=f"My locker code is {secret}")
    result = retrieve(user=person, query="secret canary")
    memory_feedback(user=person, memory_id=result.items[0].id, signal="up")
    return {
        "memory": memory,
        "memory_ids": list(Memory.objects.filter(user=person).values_list("pk", flat=True)),
        "blobs": [bytes(m.text_ct) for m in stored] + [bytes(memory.text_ct)],
    }


def assert_erased(person_id: int, captured: dict) -> None:
    for table in (
        "memory_memory",
        "memory_message",
        "memory_conversation",
        "memory_datakey",
        "memory_episode",
        "memory_rewardevent",
    ):
        assert count_rows(f"SELECT count(*) FROM {table} WHERE user_id = %s", [person_id]) == 0
    assert count_rows("SELECT count(*) FROM accounts_user WHERE id = %s", [person_id]) == 0
    assert (
        count_rows(
            "SELECT count(*) FROM memory_memorysource WHERE memory_id = ANY(%s)",
            [captured["memory_ids"]],
        )
        == 0
    )
    [erase] = AuditEvent.objects.filter(subject_user_id=person_id, action="erase")
    assert erase.memory_ids == []
    assert erase.detail == {}


@pytest.mark.django_db
def test_erasure_deletes_every_row_and_shreds_the_key():
    person, bystander = UserFactory(), UserFactory()
    secret, token = canary()
    captured = populate_for_erasure(person, secret)
    assert len(captured["memory_ids"]) >= 3
    assert MemorySource.objects.filter(memory_id__in=captured["memory_ids"]).exists()
    kept = memory_create(user=bystander, text="My cat is called Miso")
    kept_row = Memory.objects.filter(pk=kept.pk).values().get()
    person_id = person.id

    user_erase(user=person, reason="GDPR request #42")

    assert_erased(person_id, captured)
    erase = AuditEvent.objects.get(subject_user_id=person_id, action="erase")
    assert erase.actor is None
    assert erase.purpose == "GDPR request #42"
    contents = [
        f"{e.purpose} {e.detail} {e.memory_ids}"
        for e in AuditEvent.objects.filter(subject_user_id=person_id)
    ]
    assert_nowhere("\n".join(contents), secret, token)
    # A new cipher for that id is a brand-new key: nothing captured before decrypts.
    fresh = cipher_for(person_id)
    for blob in captured["blobs"]:
        with pytest.raises(VaultError):
            fresh.decrypt(blob)
    DataKey.objects.filter(user_id=person_id).delete()  # its user is gone (deferred FK)
    # Everyone else is untouched and readable.
    assert Memory.objects.filter(pk=kept.pk).values().get() == kept_row
    assert cipher_for(bystander.id).decrypt(kept.text_ct) == "My cat is called Miso"


@pytest.mark.django_db(transaction=True)
def test_erasure_is_committed_and_unrecoverable():
    """Same, committed: the erased data key is gone for every process and connection."""
    person, bystander = UserFactory(), UserFactory()
    secret, _ = canary()
    captured = populate_for_erasure(person, secret)
    kept = memory_create(user=bystander, text="My cat is called Miso")
    person_id = person.id

    user_erase(user=person, reason="erasure request")

    assert_erased(person_id, captured)
    assert not DataKey.objects.filter(user_id=person_id).exists()
    assert (
        cipher_for(bystander.id).decrypt(Memory.objects.get(pk=kept.pk).text_ct)
        == "My cat is called Miso"
    )


@pytest.mark.django_db
def test_erase_user_command():
    person = UserFactory(email="Erase.Me@example.org")
    secret, _ = canary()
    captured = populate_for_erasure(person, secret)
    conversations = Conversation.objects.filter(user=person).count()
    messages = Message.objects.filter(user=person).count()
    memories = Memory.objects.filter(user=person).count()
    person_id, out = person.id, StringIO()

    call_command(
        "erase_user", "--email", "erase.me@EXAMPLE.org", "--reason", "ticket 7", stdout=out
    )

    assert out.getvalue().strip() == (
        f"Erased user {person_id}: data key destroyed (crypto-shredded); deleted the account "
        f"and {conversations} conversations, {messages} messages, {memories} memories. "
        "Audit event recorded (action 'erase', reason 'ticket 7').\n"
        "The master key will be retired by the next scheduled rotation."
    )
    assert_erased(person_id, captured)
    assert AuditEvent.objects.get(subject_user_id=person_id, action="erase").purpose == "ticket 7"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--email", "nobody@example.org", "--reason", "x"], "No user with e-mail"),
        (["--email", "someone@example.org", "--reason", "  "], "--reason must not be empty"),
    ],
)
def test_erase_user_command_refusals_change_nothing(args, message):
    person = UserFactory(email="someone@example.org")
    memory_create(user=person, text="I live in Boston")

    with pytest.raises(CommandError, match=message):
        call_command("erase_user", *args, stdout=StringIO())

    assert User.objects.filter(pk=person.pk).exists()
    assert DataKey.objects.filter(user=person).exists()
    assert Memory.objects.filter(user=person).count() == 1
    assert not AuditEvent.objects.filter(action="erase").exists()


# e) Reads are audited and reinforce what they return -----------------------------------------


@pytest.mark.django_db
def test_retrieve_writes_an_audit_event_and_reinforces_what_it_returned():
    person, helper = UserFactory(), UserFactory()
    returned = memory_create(user=person, text="I am allergic to penicillin")
    others = [
        memory_create(user=person, text=text).pk
        for text in ("My car is a blue Honda", "I play tennis on Tuesdays")
    ]
    now = timezone.now() + timedelta(days=3)

    result = retrieve(
        user=person,
        query="Which medicine am I allergic to?",
        k=1,
        purpose="subagent",
        actor=helper,
        now=now,
    )

    assert [item.id for item in result.items] == [returned.pk]
    event = AuditEvent.objects.get(action="retrieve")
    assert (event.actor_id, event.subject_user_id, event.purpose, event.memory_ids) == (
        helper.id,
        person.id,
        "subagent",
        [returned.pk],
    )
    assert event.detail == {}
    row = Memory.objects.get(pk=returned.pk)
    assert (row.recall_count, row.last_recalled_at, row.strength, row.strength_at) == (
        1,
        now,
        1.0,
        now,
    )
    assert set(Memory.objects.filter(pk__in=others).values_list("recall_count", flat=True)) == {0}
    assert not Memory.objects.filter(pk__in=others, last_recalled_at__isnull=False).exists()

    retrieve(user=person, query="Which medicine am I allergic to?", k=1, now=now)

    assert Memory.objects.get(pk=returned.pk).recall_count == 2
    assert AuditEvent.objects.filter(action="retrieve", subject_user_id=person.id).count() == 2
    assert AuditEvent.objects.filter(action="retrieve").last().actor_id == person.id
