from django.core.management import BaseCommand, CommandError

from memory.privacy.verify import audit_streams, audit_verify


class Command(BaseCommand):
    help = "Check the audit hash chains; print OK or name the first broken link (exit 1)."

    def add_arguments(self, parser):
        parser.add_argument("--stream", help="one stream (user:<id> or system); default all")

    def handle(self, *args, stream: str | None = None, **options):
        if stream is not None and stream not in audit_streams():
            raise CommandError(f"No audit stream {stream!r}.")
        reports = audit_verify(stream=stream)
        broken = [report.broken for report in reports if report.broken is not None]
        if broken:
            raise CommandError(str(broken[0]), returncode=1)
        records = sum(report.records for report in reports)
        self.stdout.write(f"OK: {len(reports)} streams, {records} records verified.")
