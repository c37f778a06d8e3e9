"""Embeddings keyed per person (macaron.vectorkey): existing rows are marked as stored in clear
(`vector_key` 0) and rotated under their person's key, one person per transaction; new rows are
written keyed. Not atomic as a whole, so an interrupted run keeps the people already done."""

from django.db import migrations, models


def rotate_existing(apps, schema_editor):
    from memory.ingest.write import memories_vectors_key

    memories_vectors_key(memory_model=apps.get_model("memory", "Memory"))


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("memory", "0006_message_processing_state"),
    ]

    operations = [
        migrations.AddField(
            model_name="memory",
            name="vector_key",
            field=models.PositiveSmallIntegerField(default=0),
        ),
        migrations.AlterField(
            model_name="memory",
            name="vector_key",
            field=models.PositiveSmallIntegerField(default=1),
        ),
        migrations.RunPython(rotate_existing, migrations.RunPython.noop),
    ]
