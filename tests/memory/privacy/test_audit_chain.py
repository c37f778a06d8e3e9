import threading
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, connections, transaction

from memory.models import AuditEvent, AuditImmutableError, AuditStream
from memory.privacy.audit import AuditAction, audit_record
from memory.privacy.verify import audit_verify
from memory.retrieval.search import retrieve
from memory.services import memories_forget, memory_create, user_erase
from tests.factories import UserFactory


def verify_output(*args: str) -> str:
    out = StringIO()
    call_command("audit_verify", *args, stdout=out)
    return out.getvalue().strip()


def tamper(sql: str, params: list) -> None:
    """What someone with raw database access could do: switch the trigger off and write."""
    with connection.cursor() as cursor:
        cursor.execute(
            "ALTER TABLE memory_auditevent DISABLE TRIGGER memory_auditevent_append_only"
        )
        cursor.execute(sql, params)
        cursor.execute("ALTER TABLE memory_auditevent ENABLE TRIGGER memory_auditevent_append_only")


@pytest.mark.django_db
def test_records_are_chained_per_stream_and_verify():
    person, other = UserFactory(), UserFactory()
    memory = memory_create(user=person, text="I am allergic to penicillin")
    retrieve(user=person, query="allergies", purpose="companion")
    retrieve(user=other, query="anything", purpose="api")
    memories_forget(user=person, memory_ids=[memory.pk])
    audit_record(action=AuditAction.LOGIN_FAILED, subject_user_id=None, purpose="unknown account")

    mine = list(AuditEvent.objects.filter(stream=f"user:{person.id}").order_by("sequence"))
    assert [(e.sequence, e.action, e.actor_type) for e in mine] == [
        (1, "retrieve", "companion"),
        (2, "forget", "person"),
    ]
    assert mine[0].prev_hash == "" and mine[1].prev_hash == mine[0].hash
    assert len(mine[0].hash) == 64
    [theirs] = AuditEvent.objects.filter(stream=f"user:{other.id}")
    assert (theirs.sequence, theirs.prev_hash, theirs.actor_type) == (1, "", "person")
    [system] = AuditEvent.objects.filter(stream="system")
    assert (system.sequence, system.subject_user_id, system.actor_type) == (1, None, "system")
    head = AuditStream.objects.get(stream=f"user:{person.id}")
    assert (head.sequence, head.hash) == (2, mine[1].hash)
    assert verify_output() == "OK: 3 streams, 4 records verified."
    assert verify_output("--stream", f"user:{person.id}") == "OK: 1 streams, 2 records verified."


@pytest.mark.django_db
def test_a_raw_update_is_named_by_audit_verify():
    person = UserFactory()
    for query in ("first", "second", "third"):
        retrieve(user=person, query=query, purpose="companion")
    stream = f"user:{person.id}"
    second = AuditEvent.objects.get(stream=stream, sequence=2)

    tamper("UPDATE memory_auditevent SET purpose = 'api' WHERE id = %s", [second.id])

    with pytest.raises(CommandError) as refused:
        verify_output()
    assert str(refused.value) == (
        f"BROKEN: stream {stream}, sequence 2, id {second.id}: its content does not match its hash"
    )
    assert refused.value.returncode == 1


@pytest.mark.django_db
def test_a_recomputed_hash_breaks_the_next_link_and_a_deleted_tail_the_head():
    person = UserFactory()
    for query in ("first", "second", "third"):
        retrieve(user=person, query=query, purpose="companion")
    stream = f"user:{person.id}"
    first, second, third = AuditEvent.objects.filter(stream=stream).order_by("sequence")

    tamper("UPDATE memory_auditevent SET hash = %s WHERE id = %s", ["0" * 64, first.id])
    [report] = audit_verify(stream=stream)
    assert (report.broken.sequence, report.broken.event_id) == (1, first.id)

    tamper("UPDATE memory_auditevent SET hash = %s WHERE id = %s", [first.hash, first.id])
    tamper("DELETE FROM memory_auditevent WHERE id = %s", [third.id])
    [report] = audit_verify(stream=stream)
    assert str(report.broken) == (
        f"BROKEN: stream {stream}, sequence 3, the stream head: the chain does not end where "
        "the stream head says (records missing at the end)"
    )

    tamper("DELETE FROM memory_auditevent WHERE id = %s", [first.id])
    [report] = audit_verify(stream=stream)
    assert str(report.broken) == (
        f"BROKEN: stream {stream}, sequence 2, id {second.id}: records 1..1 are missing"
    )


@pytest.mark.django_db
def test_records_cannot_be_changed_or_deleted():
    person = UserFactory()
    event = audit_record(action=AuditAction.LOGIN, subject_user_id=person.id, purpose="web")

    event.purpose = "changed"
    with pytest.raises(AuditImmutableError):
        event.save()
    with pytest.raises(AuditImmutableError):
        event.delete()
    with pytest.raises(AuditImmutableError):
        AuditEvent.objects.filter(pk=event.pk).update(purpose="changed")
    with pytest.raises(AuditImmutableError):
        AuditEvent.objects.filter(pk=event.pk).delete()
    for sql in (
        "UPDATE memory_auditevent SET purpose = 'changed' WHERE id = %s",
        "DELETE FROM memory_auditevent WHERE id = %s",
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql, [event.pk])
    assert AuditEvent.objects.get(pk=event.pk).purpose == "web"
    assert verify_output() == "OK: 1 streams, 1 records verified."


@pytest.mark.django_db
def test_unknown_stream_is_refused():
    with pytest.raises(CommandError, match="No audit stream 'user:999999'"):
        verify_output("--stream", "user:999999")


@pytest.mark.django_db
def test_erasure_drops_the_stream_and_leaves_a_tombstone_that_verifies():
    person, staff = UserFactory(), UserFactory(is_staff=True)
    retrieve(user=person, query="anything", purpose="companion")
    retrieve(user=person, query="anything else", purpose="subagent")
    head = AuditStream.objects.get(stream=f"user:{person.id}")
    person_id = person.id

    user_erase(user=person, actor=staff, reason="ticket 9")

    [tombstone] = AuditEvent.objects.filter(stream="system")
    assert (tombstone.action, tombstone.actor_id, tombstone.actor_type) == (
        "erase",
        staff.id,
        "staff",
    )
    assert tombstone.detail == {
        "stream": f"user:{person_id}",
        "sequence": 2,
        "hash": head.hash,
        "events": 2,
    }
    assert not AuditStream.objects.filter(stream=f"user:{person_id}").exists()
    assert verify_output() == "OK: 1 streams, 1 records verified."


@pytest.mark.django_db(transaction=True)
def test_concurrent_appends_keep_one_valid_chain():
    person = UserFactory()
    errors: list[BaseException] = []
    start = threading.Barrier(6)

    def append(worker: int) -> None:
        try:
            start.wait()
            for n in range(10):
                with transaction.atomic():
                    audit_record(
                        action=AuditAction.TOKEN_USE,
                        subject_user_id=person.id,
                        purpose=f"worker {worker} call {n}",
                    )
        except BaseException as error:  # collected and re-raised in the test's thread
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=append, args=(w,)) for w in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    sequences = list(
        AuditEvent.objects.filter(stream=f"user:{person.id}")
        .order_by("sequence")
        .values_list("sequence", flat=True)
    )
    assert sequences == list(range(1, 61))
    assert verify_output() == "OK: 1 streams, 60 records verified."
