"""Resolve the time expressions of a case file with the resolver ingestion, reminders and
retrieval use: `manage.py resolve_time --cases FILE.json --out OUT.jsonl`."""

import json
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.core.management import BaseCommand, CommandError

from macaron.timeexpr import resolve_time

REQUIRED = ("id", "text", "now")


def _zone(case: dict) -> ZoneInfo:
    name = case.get("tz") or "UTC"
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise CommandError(f"Case {case['id']!r}: unknown time zone {name!r}.") from None


def _now(case: dict) -> datetime:
    try:
        return datetime.fromisoformat(str(case["now"]))
    except ValueError:
        raise CommandError(
            f"Case {case['id']!r}: now {case['now']!r} is not an ISO date-time."
        ) from None


def load_cases(path: Path) -> list[dict]:
    try:
        cases = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise CommandError(f"Cannot read {path}: {exc.strerror or exc}.") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CommandError(f"{path} is not valid JSON: {exc}.") from None
    if not isinstance(cases, list):
        raise CommandError(f"{path} must hold a JSON list of cases.")
    for index, case in enumerate(cases):
        if not isinstance(case, dict):
            raise CommandError(f"Case {index} is not an object.")
        missing = [key for key in REQUIRED if key not in case]
        if missing:
            raise CommandError(f"Case {index} lacks {', '.join(missing)}.")
        if not isinstance(case["text"], str):
            raise CommandError(f"Case {case['id']!r}: text must be a string.")
        _zone(case), _now(case)
    return cases


def resolve_case(case: dict) -> dict:
    found = resolve_time(case["text"], _now(case), tz=_zone(case), language=case.get("lang"))
    if found is None:
        return {"id": case["id"], "none": True}
    return {"id": case["id"], "start": found.start_text(), "end": found.end_text()}


class Command(BaseCommand):
    help = "Resolve the time expression of each case (person's local time) into a JSONL file."
    requires_system_checks: list = []  # pure computation: no database, templates or URLs

    def add_arguments(self, parser):
        parser.add_argument("--cases", required=True, type=Path)
        parser.add_argument("--out", required=True, type=Path)

    def handle(self, *args, cases: Path, out: Path, **options):
        rows = [resolve_case(case) for case in load_cases(Path(cases))]
        try:
            with Path(out).open("w", encoding="utf-8") as handle:
                for row in rows:
                    handle.write(json.dumps(row, ensure_ascii=False) + "\n")
        except OSError as exc:
            raise CommandError(f"Cannot write {out}: {exc.strerror or exc}.") from None
        resolved = sum(1 for row in rows if "start" in row)
        self.stdout.write(f"{len(rows)} cases, {resolved} with a time → {out}")
