from django.db import migrations


def forward(apps, schema_editor):
    """Until now a blueprint without an author counted as removed; from now on only its status
    says so (a kept, anonymised one has no author and stays active). Keep the old meaning for
    existing rows."""
    Blueprint = apps.get_model("community", "Blueprint")
    Blueprint.objects.filter(author__isnull=True, status="active").update(status="removed")


class Migration(migrations.Migration):
    dependencies = [("community", "0002_import_consent_collaborators")]

    operations = [migrations.RunPython(forward, migrations.RunPython.noop)]
