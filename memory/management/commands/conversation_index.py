from django.core.management import BaseCommand, CommandError

from memory.services import conversation_index_fill


class Command(BaseCommand):
    help = (
        "Fill the conversation search's blind index for messages and titles stored before it "
        "existed (batched, resumable, safe under traffic); --rebuild re-indexes every row after "
        "the search tokeniser changed."
    )

    def add_arguments(self, parser):
        parser.add_argument("--rebuild", action="store_true", help="re-index every row")
        parser.add_argument("--batch-size", type=int, default=500)

    def handle(self, *args, rebuild: bool, batch_size: int, **options):
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        done = conversation_index_fill(rebuild=rebuild, batch_size=batch_size)
        self.stdout.write(
            f"Indexed {done.messages} messages and {done.titles} conversation titles"
            + (f"; {done.skipped} rows do not decrypt and stay unindexed." if done.skipped else ".")
        )
