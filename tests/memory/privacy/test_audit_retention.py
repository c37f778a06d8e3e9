import json
from datetime import datetime, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from macaron.celery import app
from memory.models import AuditEvent
from memory.privacy.audit import Actor, AuditAction, audit_record
from memory.privacy.retention import audit_reads_compact
from memory.privacy.verify import audit_verify
from tests.factories import UserFactory

RETENTION_DAYS = 30


def noon() -> datetime:
    """Today at noon (UTC): the old reads' days stay the same days whatever the hour the test runs."""
    return timezone.now().replace(hour=12, minute=0, second=0, microsecond=0)


def read(person, *, days_ago: float, purpose="companion", ids=(1, 2), installation=None):
    return audit_record(
        action=AuditAction.RETRIEVE,
        subject_user_id=person.id,
        actor=person,
        actor_type=Actor.SUBAGENT if purpose == "subagent" else Actor.COMPANION,
        purpose=purpose,
        memory_ids=list(ids),
        detail={"installation_id": installation} if installation else None,
        at=noon() - timedelta(days=days_ago),
    )


def history(person):
    """Old reads interleaved with events that are kept, then recent reads."""
    read(person, days_ago=40.2)
    read(person, days_ago=40.1, ids=(3,))
    read(person, days_ago=40.0, purpose="subagent", ids=(4,), installation=7)
    audit_record(action=AuditAction.LOGIN, subject_user_id=person.id, actor=person, purpose="web")
    read(person, days_ago=35)
    audit_record(action=AuditAction.FORGET, subject_user_id=person.id, actor=person, purpose="x")
    read(person, days_ago=31)
    read(person, days_ago=2)  # within the retention: kept as it is
    read(person, days_ago=1)


def verified() -> bool:
    return all(report.broken is None for report in audit_verify())


def tamper(sql: str, params: list) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "ALTER TABLE memory_auditevent DISABLE TRIGGER memory_auditevent_append_only"
        )
        cursor.execute(sql, params)
        cursor.execute("ALTER TABLE memory_auditevent ENABLE TRIGGER memory_auditevent_append_only")


@pytest.fixture(autouse=True)
def _retention(settings):
    settings.AUDIT_READ_RETENTION_DAYS = RETENTION_DAYS


@pytest.mark.django_db
def test_old_reads_become_daily_summaries_and_the_chain_still_verifies():
    person, other = UserFactory(), UserFactory()
    history(person)
    read(other, days_ago=50)
    stream = f"user:{person.id}"

    assert audit_reads_compact() == 6

    kept = list(AuditEvent.objects.filter(stream=stream).order_by("sequence"))
    assert [(e.sequence, e.action) for e in kept] == [
        (4, "login"),
        (6, "forget"),
        (8, "retrieve"),
        (9, "retrieve"),
        (10, "read_summary"),
        (11, "read_summary"),
        (12, "read_summary"),
        (13, "read_summary"),
        (14, "compaction"),
    ]
    day = (noon() - timedelta(days=40)).date().isoformat()
    summaries = sorted(
        (
            e.detail["day"],
            e.actor_type,
            e.purpose,
            e.detail["reads"],
            e.detail["memories"],
            e.detail.get("installation_id"),
        )
        for e in kept
        if e.action == "read_summary"
    )
    assert sorted(s[0] for s in summaries) == sorted(
        [
            day,
            day,
            (noon() - timedelta(days=35)).date().isoformat(),
            (noon() - timedelta(days=31)).date().isoformat(),
        ]
    )
    assert (day, "companion", "companion", 2, 3, None) in summaries
    assert (day, "subagent", "subagent", 1, 1, 7) in summaries
    checkpoint = kept[-1].detail
    assert checkpoint["removed"] == 5
    assert [segment[:2] for segment in checkpoint["segments"]] == [[1, 3], [5, 5], [7, 7]]
    assert not AuditEvent.objects.filter(
        action="retrieve", created_at__lt=timezone.now() - timedelta(days=RETENTION_DAYS)
    ).exists()
    out = StringIO()
    call_command("audit_verify", stdout=out)
    assert out.getvalue().strip() == "OK: 2 streams, 11 records verified."

    # Idempotent: a second run finds nothing more to fold.
    assert audit_reads_compact() == 0
    assert verified()


@pytest.mark.django_db
def test_after_compaction_tampering_is_still_detected():
    person = UserFactory()
    history(person)
    audit_reads_compact()
    assert verified()
    stream = f"user:{person.id}"
    login = AuditEvent.objects.get(stream=stream, action="login")

    tamper("UPDATE memory_auditevent SET purpose = 'api' WHERE id = %s", [login.id])
    [report] = audit_verify(stream=stream)
    assert (report.broken.sequence, report.broken.event_id) == (4, login.id)
    tamper("UPDATE memory_auditevent SET purpose = 'web' WHERE id = %s", [login.id])
    assert verified()

    # A kept record deleted is a gap no checkpoint accounts for.
    forget = AuditEvent.objects.get(stream=stream, action="forget")
    tamper("DELETE FROM memory_auditevent WHERE id = %s", [forget.id])
    [report] = audit_verify(stream=stream)
    assert report.broken.reason == "records 6..6 are missing"


@pytest.mark.django_db
def test_a_forged_checkpoint_is_detected():
    person = UserFactory()
    history(person)
    audit_reads_compact()
    stream = f"user:{person.id}"
    checkpoint = AuditEvent.objects.get(stream=stream, action="compaction")

    # Claiming the kept login record (sequence 4) was compacted, to hide its deletion: the
    # forged segment links up, but the checkpoint's own hash no longer matches.
    login = AuditEvent.objects.get(stream=stream, action="login")
    first, fifth, seventh = checkpoint.detail["segments"]
    detail = {**checkpoint.detail, "segments": [[1, 5, "", fifth[3], first[4]], seventh]}
    tamper("DELETE FROM memory_auditevent WHERE id = %s", [login.id])
    tamper(
        "UPDATE memory_auditevent SET detail = %s::jsonb WHERE id = %s",
        [json.dumps(detail), checkpoint.id],
    )
    [report] = audit_verify(stream=stream)
    assert (report.broken.event_id, report.broken.reason) == (
        checkpoint.id,
        "its content does not match its hash",
    )


@pytest.mark.django_db(transaction=True)
def test_the_beat_task_compacts_on_a_real_worker(celery_worker):
    person = UserFactory()
    history(person)

    # The worker runs with the default retention (90 days): pass through its own settings.
    folded = app.send_task("memory.audit_compact").get(timeout=60)

    assert folded == 0  # nothing is older than 90 days
    read(person, days_ago=100)
    assert app.send_task("memory.audit_compact").get(timeout=60) == 1
    assert AuditEvent.objects.filter(stream=f"user:{person.id}", action="read_summary").count() == 1
    assert verified()
