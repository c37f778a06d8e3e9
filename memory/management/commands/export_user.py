from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management import BaseCommand, CommandError

from memory.transfer.jobs import export_now


class Command(BaseCommand):
    help = (
        "Export everything held about a person as a ZIP (the same archive as the web and API "
        "export), at once, without a worker."
    )

    def add_arguments(self, parser):
        parser.add_argument("--email", required=True)
        parser.add_argument("--out", required=True, help="the .zip file to write")

    def handle(self, *args, email: str, out: str, **options):
        user = get_user_model().objects.filter(email__iexact=email.strip()).first()
        if user is None:
            raise CommandError(f"No user with e-mail {email!r}.")
        path = Path(out)
        if not path.parent.is_dir():
            raise CommandError(f"The folder {str(path.parent)!r} does not exist.")
        download = export_now(user=user)
        path.write_bytes(download.data)
        path.chmod(0o600)
        self.stdout.write(f"Exported user {user.id} to {path} ({len(download.data)} bytes).")
