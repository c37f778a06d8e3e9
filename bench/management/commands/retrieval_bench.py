from pathlib import Path

from django.conf import settings
from django.core.management import BaseCommand, CommandError

from bench.retrieval import run

DATA = settings.BASE_DIR.parent / "shared" / "data"


class Command(BaseCommand):
    help = (
        "Retrieval with its first stage only and with the second (late interaction) on the "
        "LoCoMo dev and cross-lingual dev sets: recall, words, latency, ingestion, storage."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dataset", type=Path, default=DATA / "locomo-dev.json")
        parser.add_argument("--crosslingual", type=Path, default=DATA / "crosslingual-dev.json")
        parser.add_argument("--limit-conversations", type=int)
        parser.add_argument("--progress", action="store_true")

    def handle(self, *args, dataset, crosslingual, limit_conversations, progress, **options):
        if limit_conversations is not None and limit_conversations < 1:
            raise CommandError("--limit-conversations must be at least 1.")
        lines = run(
            dataset=dataset,
            crosslingual=crosslingual,
            write=self.stdout.write,
            progress=progress,
            limit=limit_conversations,
        )
        self.stdout.write("\nretrieval_bench summary")
        width = max(len(name) for name, _ in lines)
        for name, value in lines:
            self.stdout.write(f"  {name.ljust(width)}  {value}")
