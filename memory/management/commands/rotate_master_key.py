import os
import sys

from django.core.management import BaseCommand, CommandError

from macaron.keyring import KeyringError, key_decode, root_key_add, root_keys_retire
from macaron.vault import VaultError, key_rotation_status, master_key_rotate

NEW_KEY_ENV = "MACARON_NEW_MASTER_KEY"
NEW_ROOT_ENV = "MACARON_NEW_ROOT_KEY"


def _key_material(*, from_stdin: bool, env_name: str, required: bool) -> bytes | None:
    """New key material from stdin or the environment, never from the command line."""
    if from_stdin:
        return key_decode(sys.stdin.readline())
    if os.environ.get(env_name):
        return key_decode(os.environ[env_name])
    if required:
        raise CommandError(f"Give the new key on stdin (--stdin) or in ${env_name}.")
    return None


class Command(BaseCommand):
    help = (
        "Retire the keyring's master keys: make a fresh one active, re-wrap every data key under "
        "it in batches (resumable, safe under traffic) and destroy the old ones. Stored "
        "ciphertext is not touched. With --root: add wraps under a new root key (MASTER_KEY); "
        "with --retire-old-roots (after restarting every process with the new MASTER_KEY): drop "
        "the old root's wraps."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--stdin",
            action="store_true",
            help=f"read the new key (base64 of 32 bytes) from stdin; else ${NEW_KEY_ENV} / "
            f"${NEW_ROOT_ENV} if set; a new master key is otherwise generated",
        )
        parser.add_argument("--root", action="store_true", help="add a new root key")
        parser.add_argument("--retire-old-roots", action="store_true")
        parser.add_argument("--batch-size", type=int, default=500)
        parser.add_argument("--status", action="store_true", help="only show the key status")

    def handle(self, *args, stdin: bool, root: bool, retire_old_roots: bool, **options):
        try:
            if options["status"]:
                self.stdout.write(str(key_rotation_status()))
                return
            if root:
                new_root = _key_material(from_stdin=stdin, env_name=NEW_ROOT_ENV, required=True)
                assert new_root is not None
                wrapped = root_key_add(new_root=new_root)
                self.stdout.write(
                    f"Wrapped {wrapped} master keys under the new root key as well. Set MASTER_KEY "
                    "to it in every process (web, workers, beat), restart them, then run "
                    "`rotate_master_key --retire-old-roots`."
                )
                return
            if retire_old_roots:
                dropped = root_keys_retire()
                self.stdout.write(f"Dropped {dropped} wraps made by old root keys.")
                return
            new_key = _key_material(from_stdin=stdin, env_name=NEW_KEY_ENV, required=False)
            rotation = master_key_rotate(new_key=new_key, batch_size=options["batch_size"])
        except (VaultError, KeyringError) as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            f"{'Resumed' if rotation.resumed else 'Started'} rotation to master key "
            f"{rotation.key_id}: re-wrapped {rotation.rewrapped} data keys; destroyed "
            f"{len(rotation.destroyed)} old master keys ({', '.join(rotation.destroyed) or '-'})."
        )
