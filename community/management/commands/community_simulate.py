"""python manage.py community_simulate --scenario FILE.json --json OUT.json [--seed N]"""

import json

from django.core.management.base import BaseCommand, CommandError

from community.simulation import scenario_run


class Command(BaseCommand):
    help = "Replay a ranking scenario on a simulated clock in throwaway data; write the daily rankings."

    def add_arguments(self, parser):
        parser.add_argument("--scenario", required=True)
        parser.add_argument("--json", required=True, dest="out")
        parser.add_argument("--seed", type=int, default=0)

    def handle(self, *args, scenario, out, seed, **options):
        try:
            with open(scenario, encoding="utf-8") as handle:
                data = json.load(handle)
        except (OSError, ValueError) as error:
            raise CommandError(f"Cannot read the scenario: {error}") from error
        for key in ("days", "users", "blueprints", "events"):
            if key not in data:
                raise CommandError(f"The scenario has no {key!r}.")
        result, stats = scenario_run(scenario=data, seed=seed)
        with open(out, "w", encoding="utf-8") as handle:
            json.dump(result, handle, ensure_ascii=False)
        self.stdout.write(json.dumps({"days": len(result["days"]), **dict(sorted(stats.items()))}))
