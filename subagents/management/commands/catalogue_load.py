from django.core.management.base import BaseCommand

from subagents.services import catalogue_load


class Command(BaseCommand):
    help = "Re-sync the CatalogueBlueprint table with subagents/catalogue/*.json (idempotent)."

    def handle(self, *args, **options):
        counts = catalogue_load()
        self.stdout.write(
            "catalogue: {total} blueprints ({created} created, {updated} updated, "
            "{deleted} deleted)".format(**counts)
        )
