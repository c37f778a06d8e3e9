from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management import BaseCommand, CommandError
from django.core.validators import validate_email

from macaron.errors import DomainError
from memory.models import TransferJob
from memory.transfer.jobs import import_now


class Command(BaseCommand):
    help = (
        "Import an exported archive into the account with this e-mail, at once, without a "
        "worker. The account is created (without a usable password: its owner sets one through "
        "'Forgot your password?') when it does not exist yet."
    )

    def add_arguments(self, parser):
        parser.add_argument("--archive", required=True, help="a .zip made by an export")
        parser.add_argument("--email", required=True)

    def handle(self, *args, archive: str, email: str, **options):
        path = Path(archive)
        if not path.is_file():
            raise CommandError(f"No archive at {archive!r}.")
        User = get_user_model()
        email = email.strip()
        user = User.objects.filter(email__iexact=email).first()
        created = user is None
        if user is None:
            try:
                validate_email(email)
            except ValidationError:
                raise CommandError(f"{email!r} is not an e-mail address.") from None
            user = User.objects.create_user(email=email, password=None)
        job: TransferJob | None = None
        try:
            job = import_now(user=user, data=path.read_bytes())
            error = job.error or "The import failed."
        except DomainError as problem:
            error = problem.message
        if job is None or job.status != TransferJob.Status.DONE:
            if created:
                user.delete()  # nothing was restored: leave no empty account behind
            raise CommandError(error)
        counts = ", ".join(f"{n} {what}" for what, n in sorted(job.counts.items()))
        self.stdout.write(
            f"Imported into {'new' if created else 'existing'} user {user.id} ({email}): "
            f"{counts or 'nothing'}."
        )
