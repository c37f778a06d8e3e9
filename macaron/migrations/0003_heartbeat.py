from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("macaron", "0002_cache_table")]

    operations = [
        migrations.CreateModel(
            name="Heartbeat",
            fields=[
                ("name", models.CharField(max_length=32, primary_key=True, serialize=False)),
                ("seen_at", models.DateTimeField()),
            ],
        ),
    ]
