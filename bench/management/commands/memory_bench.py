from pathlib import Path

from django.core.management import BaseCommand, CommandError

from bench.synthetic import DEFAULT_DATASET, BenchConfig, run


class Command(BaseCommand):
    help = (
        "Scale benchmark of the memory engine in its own database: COPY-load synthetic "
        "memories, build indexes, time retrieve() and ingestion, replay memory_eval."
    )

    def add_arguments(self, parser):
        parser.add_argument("--memories", type=int, default=1_000_000)
        parser.add_argument("--users", type=int, default=1_000)
        parser.add_argument("--big-user", type=int, default=100_000)
        parser.add_argument("--queries", type=int, default=200)
        parser.add_argument("--ingest-turns", type=int, default=300)
        parser.add_argument("--skip-eval", action="store_true")
        parser.add_argument("--dataset", type=Path, default=DEFAULT_DATASET)
        parser.add_argument("--database", default="macaron_bench")
        parser.add_argument(
            "--keep-database", action="store_true", help="Leave the benchmark database in place."
        )
        parser.add_argument("--seed", type=int, default=7)

    def handle(self, *args, **options):
        config = BenchConfig(
            memories=options["memories"],
            users=options["users"],
            big_user=options["big_user"],
            queries=options["queries"],
            ingest_turns=options["ingest_turns"],
            skip_eval=options["skip_eval"],
            dataset=options["dataset"],
            database=options["database"],
            keep_database=options["keep_database"],
            seed=options["seed"],
        )
        if config.users < 2 or not 0 < config.big_user < config.memories:
            raise CommandError("Need --users >= 2 and 0 < --big-user < --memories.")
        if config.queries < 1:
            raise CommandError("--queries must be at least 1.")
        report = run(config, write=self.stdout.write)
        self.stdout.write("")
        self.stdout.write("memory_bench summary")
        width = max(len(name) for name, _ in report.lines)
        for name, value in report.lines:
            self.stdout.write(f"  {name.ljust(width)}  {value}")
