from django.core.management import BaseCommand, CommandError

from macaron.vectorkey import VECTOR_KEY_VERSION
from memory.models import Memory
from memory.services import memories_vectors_key


class Command(BaseCommand):
    help = (
        "Rotate embeddings stored in clear under each person's key (the migration that added "
        "keying does it too; rerun this if rows were written in clear since). Idempotent."
    )

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=500)

    def handle(self, *args, batch_size: int, **options):
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        done = memories_vectors_key(batch_size=batch_size)
        left = Memory.objects.exclude(vector_key=VECTOR_KEY_VERSION).count()
        self.stdout.write(f"Rotated {done} vectors under their person's key; {left} left in clear.")
