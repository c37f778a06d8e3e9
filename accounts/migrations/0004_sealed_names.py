"""Names a person types (their companion's name, their API tokens' names)
are stored encrypted under the person's key (macaron.sealed): existing values are encrypted,
then the plaintext columns are dropped."""

from django.db import migrations, models

# (model, old column, new column, the owner's id)
SEALED = [
    ("Companion", "name", "name_ct", "user_id"),
    ("ApiToken", "name", "name_ct", "user_id"),
]


def encrypt_names(apps, schema_editor):
    # Rows exist only in an installed database, where the data keys' table (memory.0001) does
    # too; no dependency on it, which would run it before the vector extension is created.
    from macaron.sealed import seal

    for model_name, old, new, owner in SEALED:
        model = apps.get_model("accounts", model_name)
        for row in model.objects.exclude(**{old: ""}).only("pk", owner, old).iterator():
            setattr(row, new, seal(getattr(row, owner), getattr(row, old)))
            row.save(update_fields=[new])


def decrypt_names(apps, schema_editor):
    from macaron.vault import cipher_for

    for model_name, old, new, owner in SEALED:
        model = apps.get_model("accounts", model_name)
        for row in model.objects.filter(**{f"{new}__isnull": False}).iterator():
            setattr(row, old, cipher_for(getattr(row, owner)).decrypt(getattr(row, new)))
            row.save(update_fields=[old])


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_api_tokens"),
    ]

    operations = [
        migrations.AddField(
            model_name="apitoken",
            name="name_ct",
            field=models.BinaryField(editable=False, null=True),
        ),
        migrations.AddField(
            model_name="companion",
            name="name_ct",
            field=models.BinaryField(editable=False, null=True),
        ),
        migrations.RunPython(encrypt_names, decrypt_names),
        migrations.RemoveField(model_name="apitoken", name="name"),
        migrations.RemoveField(model_name="companion", name="name"),
    ]
