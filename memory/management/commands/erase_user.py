from django.contrib.auth import get_user_model
from django.core.management import BaseCommand, CommandError

from accounts.hooks import ErasureOptions
from macaron.vault import master_key_rotate
from memory.models import Conversation, Memory, Message
from memory.services import user_erase


class Command(BaseCommand):
    help = "Erase a person: destroy their data key (crypto-shredding), then delete their rows."

    def add_arguments(self, parser):
        parser.add_argument("--email", required=True)
        parser.add_argument("--reason", required=True, help="recorded in the audit log")
        parser.add_argument(
            "--keep-published",
            action="store_true",
            help="the person chose to keep their published sub-agents for the community, "
            "anonymised (otherwise they become anonymous removed entries of their lineage)",
        )
        parser.add_argument(
            "--rotate-now",
            action="store_true",
            help="retire the master key at once instead of at the next scheduled run",
        )

    def handle(
        self,
        *args,
        email: str,
        reason: str,
        rotate_now: bool = False,
        keep_published: bool = False,
        **options,
    ):
        reason = reason.strip()
        if not reason:
            raise CommandError("--reason must not be empty.")
        user = get_user_model().objects.filter(email__iexact=email.strip()).first()
        if user is None:
            raise CommandError(f"No user with e-mail {email!r}.")
        user_id = user.id
        counts = {
            "conversations": Conversation.objects.filter(user_id=user_id).count(),
            "messages": Message.objects.filter(user_id=user_id).count(),
            "memories": Memory.objects.filter(user_id=user_id).count(),
        }
        user_erase(user=user, reason=reason, options=ErasureOptions(keep_published=keep_published))
        summary = ", ".join(f"{n} {what}" for what, n in counts.items())
        self.stdout.write(
            f"Erased user {user_id}: data key destroyed (crypto-shredded); deleted the account "
            f"and {summary}. Audit event recorded (action 'erase', reason {reason[:120]!r})."
        )
        if rotate_now:
            rotation = master_key_rotate()
            self.stdout.write(
                f"Master key rotated to {rotation.key_id}; destroyed {len(rotation.destroyed)}."
            )
        else:
            self.stdout.write("The master key will be retired by the next scheduled rotation.")
