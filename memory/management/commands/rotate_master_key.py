from django.conf import settings
from django.core.management import BaseCommand, CommandError

from macaron.vault import VaultError, key_rotation_status, master_key_rotate


class Command(BaseCommand):
    help = (
        "Re-wrap every person's data key under a new master key (all or nothing). "
        "Stored ciphertext is not touched."
    )

    def add_arguments(self, parser):
        parser.add_argument("--new-key", required=True, help="base64 of 32 random bytes")
        parser.add_argument("--new-key-id", required=True, help="a new label, e.g. 2025-06")
        parser.add_argument("--old-key", help="base64; defaults to settings.MASTER_KEY")

    def handle(self, *args, new_key: str, new_key_id: str, old_key: str | None, **options):
        try:
            rotated = master_key_rotate(
                old_key=old_key or settings.MASTER_KEY, new_key=new_key, new_key_id=new_key_id
            )
        except VaultError as exc:
            raise CommandError(str(exc)) from None
        status = key_rotation_status()
        total = status["total"]
        self.stdout.write(
            f"Re-wrapped {rotated} data key{'s' if rotated != 1 else ''} "
            f"under master key id {new_key_id.strip()!r} ({total} in total)."
        )
        self.stdout.write(
            "Now set MASTER_KEY to the new key and MASTER_KEY_ID="
            f"{new_key_id.strip()} in every process (web, workers, beat) and restart them; "
            "then run this command again to re-wrap any key created meanwhile under the old one."
        )
