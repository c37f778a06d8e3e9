"""Records written before the chain existed are chained by the migration and verify."""

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from memory.models import AuditEvent, AuditStream
from memory.privacy.verify import audit_verify
from tests.factories import UserFactory

BEFORE = [("memory", "0006_message_processing_state")]


@pytest.mark.django_db(transaction=True)
def test_existing_records_are_chained_per_person():
    person, other = UserFactory(), UserFactory()
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes("memory")
    executor.migrate(BEFORE)
    try:
        with connection.cursor() as cursor:
            for subject, action, ids in (
                (person.id, "retrieve", [1, 2]),
                (other.id, "retrieve", [3]),
                (person.id, "forget", [1]),
            ):
                cursor.execute(
                    "INSERT INTO memory_auditevent (actor_id, subject_user_id, action, purpose,"
                    " memory_ids, detail, created_at) VALUES (%s, %s, %s, 'person', %s,"
                    " '{\"n\": 1}'::jsonb, now())",
                    [subject, subject, action, ids],
                )
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(latest)

    mine = list(AuditEvent.objects.filter(stream=f"user:{person.id}").order_by("sequence"))
    assert [(e.sequence, e.action, e.actor_type) for e in mine] == [
        (1, "retrieve", "person"),
        (2, "forget", "person"),
    ]
    assert mine[1].prev_hash == mine[0].hash
    assert AuditStream.objects.get(stream=f"user:{other.id}").sequence == 1
    assert all(report.broken is None for report in audit_verify())
    call_command("audit_verify")
