from django.core.management import BaseCommand

from community.seed import community_seed


class Command(BaseCommand):
    help = "Seed a realistic demo community (idempotent): authors, blueprints, forks, use."

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=7)

    def handle(self, *args, seed: int, **options):
        result = community_seed(seed=seed)
        self.stdout.write(
            f"community_seed: {result.created} published now, {result.blueprints} demo "
            f"blueprints, {result.scored_days} day(s) scored"
        )
