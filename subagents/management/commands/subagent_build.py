import json
import sys

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from macaron.errors import DomainError
from subagents.services import spec_build


class Command(BaseCommand):
    help = (
        "Build a sub-agent spec from a request. Prints the spec JSON (exit 2 when refused), or "
        "with --batch FILE.json --out OUT.jsonl writes one {id, spec} or {id, error} per request."
    )

    def add_arguments(self, parser):
        parser.add_argument("--request", help="the request in words")
        parser.add_argument("--language", default=None, help="en, ja or ko (default: detected)")
        parser.add_argument("--user", default=None, help="email of the person to build for")
        parser.add_argument(
            "--batch", default=None, help='JSON list of {"id", "request", "language"?}'
        )
        parser.add_argument("--out", default=None, help="JSONL output for --batch")

    def handle(self, *args, **options):
        user = None
        if options["user"]:
            user = get_user_model().objects.filter(email__iexact=options["user"]).first()
            if user is None:
                raise CommandError(f"No user with the email {options['user']!r}.")
        if options["batch"]:
            if not options["out"]:
                raise CommandError("--batch needs --out OUT.jsonl")
            return self._batch(options["batch"], options["out"], user)
        if options["request"] is None:
            raise CommandError("Give --request TEXT or --batch FILE.json --out OUT.jsonl")
        try:
            result = spec_build(request=options["request"], language=options["language"], user=user)
        except DomainError as error:
            self.stderr.write(error.message)
            sys.exit(2)
        self.stdout.write(json.dumps(result.spec, ensure_ascii=False, indent=2))

    def _batch(self, path: str, out: str, user) -> None:
        try:
            with open(path, encoding="utf-8") as handle:
                items = json.load(handle)
        except (OSError, ValueError) as error:
            raise CommandError(f"Cannot read {path}: {error}") from None
        if not isinstance(items, list):
            raise CommandError(f"{path} must hold a JSON list of requests.")
        built = refused = 0
        with open(out, "w", encoding="utf-8") as handle:
            for item in items:
                if not isinstance(item, dict):
                    continue
                row: dict = {"id": item.get("id")}
                try:
                    result = spec_build(
                        request=str(item.get("request") or ""),
                        language=item.get("language"),
                        user=user,
                    )
                    row["spec"] = result.spec
                    built += 1
                except DomainError as error:
                    row["error"] = error.message
                    refused += 1
                handle.write(json.dumps(row, ensure_ascii=False) + "\n")
        self.stdout.write(f"{built} built, {refused} refused → {out}")
