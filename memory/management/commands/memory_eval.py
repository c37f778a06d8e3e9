import json
from pathlib import Path

from django.core.management import BaseCommand, CommandError

from memory.evaluation.locomo import DatasetError, evaluate, load_dataset
from memory.learning.policy import HAND, PolicyError, named_policy, shipped_policy


class Command(BaseCommand):
    help = "Replay a LoCoMo-format benchmark through the real memory engine and report recall."

    def add_arguments(self, parser):
        parser.add_argument("--dataset", required=True, type=Path)
        parser.add_argument("--k", type=int, default=10)
        parser.add_argument("--json", dest="json_out", type=Path)
        parser.add_argument("--limit-conversations", type=int)
        parser.add_argument("--no-progress", action="store_true")
        parser.add_argument(
            "--policy",
            help="hand, learned (the shipped policy) or a policy JSON file; default: the shipped "
            "learned policy if it measured better than hand, else hand.",
        )
        parser.add_argument(
            "--reply",
            action="store_true",
            help="Also produce the companion's reply to each question (the chat's code path) "
            "and report reply_answer_token_recall and reply_tokens.",
        )

    def handle(
        self,
        *args,
        dataset: Path,
        k: int,
        json_out: Path | None,
        limit_conversations,
        no_progress,
        reply: bool = False,
        policy: str | None = None,
        **options,
    ):
        if not 1 <= k <= 100:
            raise CommandError("--k must be between 1 and 100.")
        if limit_conversations is not None and limit_conversations < 1:
            raise CommandError("--limit-conversations must be at least 1.")
        try:
            scoring = named_policy(policy) if policy else (shipped_policy() or HAND)
        except PolicyError as exc:
            raise CommandError(str(exc)) from None
        try:
            samples = load_dataset(dataset)
        except DatasetError as exc:
            raise CommandError(str(exc)) from None
        if limit_conversations:
            samples = samples[:limit_conversations]
        report = evaluate(samples, k=k, progress=not no_progress, reply=reply, policy=scoring)
        text = json.dumps(report, indent=2)
        if json_out:
            json_out.write_text(text + "\n", encoding="utf-8")
        self.stdout.write(text)
