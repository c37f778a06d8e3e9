from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("memory", "0005_write_path_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="message",
            name="claimed_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="message",
            name="processed_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        # Messages stored before store-first ingestion were processed when they were stored.
        migrations.RunSQL(
            "UPDATE memory_message SET processed_at = created_at", migrations.RunSQL.noop
        ),
        migrations.AddIndex(
            model_name="message",
            index=models.Index(
                condition=models.Q(("processed_at__isnull", True)),
                fields=["created_at"],
                name="message_unprocessed",
            ),
        ),
    ]
