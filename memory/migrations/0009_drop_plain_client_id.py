from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("memory", "0008_conversation_blind_index_data"),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="message",
            name="message_client_id_once",
        ),
        migrations.RemoveField(
            model_name="message",
            name="client_id",
        ),
    ]
