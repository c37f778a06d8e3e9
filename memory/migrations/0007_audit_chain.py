"""Chain the audit log: stream, sequence, actor type and hashes; records already there are
chained per person in the order they were written, then UPDATE/DELETE are refused by a trigger."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

from memory.privacy.chain import person_stream, record_hash

IMMUTABLE_SQL = """
CREATE FUNCTION memory_auditevent_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' AND current_setting('macaron.audit_prune', true) = 'on' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'memory_auditevent is append-only: % refused', TG_OP;
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER memory_auditevent_append_only
    BEFORE UPDATE OR DELETE ON memory_auditevent
    FOR EACH ROW EXECUTE FUNCTION memory_auditevent_append_only();
"""
IMMUTABLE_REVERSE = """
DROP TRIGGER IF EXISTS memory_auditevent_append_only ON memory_auditevent;
DROP FUNCTION IF EXISTS memory_auditevent_append_only();
"""


def chain_existing(apps, schema_editor):
    AuditEvent = apps.get_model("memory", "AuditEvent")
    AuditStream = apps.get_model("memory", "AuditStream")
    heads: dict[str, tuple[int, str]] = {}
    for event in AuditEvent.objects.order_by("created_at", "id").iterator(chunk_size=2000):
        stream = person_stream(event.subject_user_id)
        sequence, prev = heads.get(stream, (0, ""))
        event.stream, event.sequence, event.prev_hash = stream, sequence + 1, prev
        event.actor_type = "system" if event.actor_id is None else "person"
        event.hash = record_hash(
            stream=stream,
            sequence=event.sequence,
            actor_type=event.actor_type,
            actor_id=event.actor_id,
            subject_user_id=event.subject_user_id,
            action=event.action,
            purpose=event.purpose,
            memory_ids=event.memory_ids,
            detail=event.detail,
            created_at=event.created_at,
            prev_hash=prev,
        )
        event.save(update_fields=["stream", "sequence", "prev_hash", "actor_type", "hash"])
        heads[stream] = (event.sequence, event.hash)
    AuditStream.objects.bulk_create(
        AuditStream(stream=stream, sequence=sequence, hash=digest)
        for stream, (sequence, digest) in heads.items()
    )


class Migration(migrations.Migration):
    dependencies = [
        ("memory", "0006_message_processing_state"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="AuditStream",
            fields=[
                ("stream", models.CharField(max_length=40, primary_key=True, serialize=False)),
                ("sequence", models.BigIntegerField(default=0)),
                ("hash", models.CharField(blank=True, max_length=64)),
            ],
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="actor",
            field=models.ForeignKey(
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="auditevent",
            name="actor_type",
            field=models.CharField(
                choices=[
                    ("person", "person"),
                    ("companion", "companion"),
                    ("subagent", "sub-agent"),
                    ("staff", "staff"),
                    ("system", "system"),
                ],
                default="system",
                max_length=16,
            ),
        ),
        migrations.AddField(
            model_name="auditevent",
            name="stream",
            field=models.CharField(default="", max_length=40),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="auditevent",
            name="sequence",
            field=models.BigIntegerField(null=True),
        ),
        migrations.AddField(
            model_name="auditevent",
            name="prev_hash",
            field=models.CharField(blank=True, max_length=64),
        ),
        migrations.AddField(
            model_name="auditevent",
            name="hash",
            field=models.CharField(default="", max_length=64),
            preserve_default=False,
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="created_at",
            field=models.DateTimeField(db_index=True, default=django.utils.timezone.now),
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="subject_user_id",
            field=models.BigIntegerField(null=True),
        ),
        migrations.RunPython(chain_existing, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="auditevent",
            name="sequence",
            field=models.BigIntegerField(),
        ),
        migrations.AddConstraint(
            model_name="auditevent",
            constraint=models.UniqueConstraint(
                fields=("stream", "sequence"), name="auditevent_stream_seq"
            ),
        ),
        migrations.AddIndex(
            model_name="auditevent",
            index=models.Index(fields=["subject_user_id", "-created_at"], name="auditevent_subject_at"),
        ),
        migrations.RunSQL(IMMUTABLE_SQL, IMMUTABLE_REVERSE),
    ]
