from django.core.management import BaseCommand

from bench.chat import run


class Command(BaseCommand):
    help = "Chat-send latency under concurrent clients and ingestion throughput (store-first)."

    def add_arguments(self, parser):
        parser.add_argument("--clients", type=int, default=20)
        parser.add_argument("--rounds", type=int, default=5)
        parser.add_argument("--turns", type=int, default=600)
        parser.add_argument("--workers", type=int, default=2)
        parser.add_argument("--database", default="macaron_chatbench")
        parser.add_argument(
            "--ingestion-only",
            action="store_true",
            help="Measure only ingestion end to end (no chat clients, no long message).",
        )

    def handle(self, *args, clients, rounds, turns, workers, database, ingestion_only, **options):
        lines = run(
            clients=clients,
            rounds=rounds,
            turns=turns,
            workers=workers,
            database=database,
            write=self.stdout.write,
            ingestion_only=ingestion_only,
        )
        self.stdout.write("\nchat_bench summary")
        width = max(len(name) for name, _ in lines)
        for name, value in lines:
            self.stdout.write(f"  {name.ljust(width)}  {value}")
