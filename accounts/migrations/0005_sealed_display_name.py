"""The display name is stored encrypted under the person's key too (macaron.sealed): existing
names are encrypted, then the plaintext column is dropped."""

from django.db import migrations, models


def encrypt_names(apps, schema_editor):
    from macaron.sealed import seal

    User = apps.get_model("accounts", "User")
    for user in User.objects.exclude(display_name="").only("pk", "display_name").iterator():
        user.display_name_ct = seal(user.pk, user.display_name)
        user.save(update_fields=["display_name_ct"])


def decrypt_names(apps, schema_editor):
    from macaron.vault import cipher_for

    User = apps.get_model("accounts", "User")
    for user in User.objects.filter(display_name_ct__isnull=False).iterator():
        user.display_name = cipher_for(user.pk).decrypt(user.display_name_ct)
        user.save(update_fields=["display_name"])


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_sealed_names"),
    ]

    operations = [
        migrations.AddField(
            model_name="user",
            name="display_name_ct",
            field=models.BinaryField(editable=False, null=True),
        ),
        migrations.RunPython(encrypt_names, decrypt_names),
        migrations.RemoveField(model_name="user", name="display_name"),
    ]
