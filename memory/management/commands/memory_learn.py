import json
import pickle
from datetime import UTC, datetime
from pathlib import Path

from django.core.management import BaseCommand, CommandError

from memory.evaluation.learn import collect, cross_validate, learn, simulate
from memory.evaluation.locomo import DatasetError, load_dataset
from memory.learning.policy import HAND

TARGET_GAIN = 0.03  # recall@10 in cross-validation (issue #13)
CATEGORY_SLACK = 0.02


def verdict(cv: dict) -> dict:
    """Whether the learned policy measured better than hand in cross-validation."""
    hand, learned = cv["hand"], cv["learned"]
    gain = learned["overall"]["recall@10"] - hand["overall"]["recall@10"]
    worst = min(
        (learned["by_category"][c]["recall@10"] - hand["by_category"][c]["recall@10"])
        for c in hand["by_category"]
        if c in learned["by_category"] and hand["by_category"][c].get("recall@10") is not None
    )
    return {
        "recall@10_gain": round(gain, 4),
        "worst_category_change": round(worst, 4),
        "better_than_hand": bool(gain > 0 and worst >= -CATEGORY_SLACK),
        "meets_target": bool(gain >= TARGET_GAIN and worst >= -CATEGORY_SLACK),
    }


def table(cv: dict) -> str:
    lines = [f"{'held out':<14}{'hand r@10':>10}{'learned r@10':>14}"]
    for fold in cv["folds"]:
        lines.append(
            f"{fold['held_out']:<14}{fold['hand']['recall@10']:>10.4f}"
            f"{fold['learned']['recall@10']:>14.4f}"
        )
    lines.append(f"{'pooled':<14}{'r@1':>7}{'r@5':>7}{'r@10':>7}   (hand / learned)")
    for name in ("hand", "learned"):
        o = cv[name]["overall"]
        lines.append(f"{name:<14}{o['recall@1']:>7.4f}{o['recall@5']:>7.4f}{o['recall@10']:>7.4f}")
    for category, block in cv["hand"]["by_category"].items():
        other = cv["learned"]["by_category"].get(category, {})
        lines.append(
            f"  cat {category:<16} r@10 {block['recall@10']:.4f} -> "
            f"{other.get('recall@10', float('nan')):.4f}  ({block['questions']} q)"
        )
    return "\n".join(lines)


class Command(BaseCommand):
    help = (
        "Fit the scoring policy's global prior from LoCoMo-format conversations (evidence ids as "
        "rewards) through the real ingestion and retrieval, and write it as JSON."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dataset", required=True, type=Path, action="append")
        parser.add_argument("--out", required=True, type=Path)
        parser.add_argument(
            "--cv",
            action="store_true",
            help="Leave-one-conversation-out cross-validation, hand vs learned (printed and "
            "stored in the policy's effect).",
        )
        parser.add_argument("--no-progress", action="store_true")
        parser.add_argument(
            "--corpus", type=Path, help="Reuse candidates recorded by --save-corpus (no ingest)."
        )
        parser.add_argument("--save-corpus", type=Path)

    def handle(self, *args, dataset, out, cv, no_progress, corpus, save_corpus, **options):
        try:
            samples = [s for path in dataset for s in load_dataset(path)]
        except DatasetError as exc:
            raise CommandError(str(exc)) from None
        if corpus is not None:
            try:
                recorded = pickle.loads(corpus.read_bytes())
            except (OSError, pickle.UnpicklingError) as exc:
                raise CommandError(f"Cannot read {corpus}: {exc}") from None
        else:
            recorded = collect(samples, progress=not no_progress)
        if save_corpus is not None:
            save_corpus.write_bytes(pickle.dumps(recorded))
        if len(recorded.samples) < 2 and cv:
            raise CommandError("--cv needs at least two conversations.")
        policy = learn(recorded)
        effect: dict = {
            "fitted_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "datasets": [p.name for p in dataset],
            "conversations": len(recorded.samples),
            "questions": len(recorded.questions),
            "in_sample": {
                "hand": simulate(recorded, HAND)["overall"],
                "learned": simulate(recorded, policy)["overall"],
            },
        }
        if cv:
            result = cross_validate(recorded, progress=not no_progress)
            effect["cv"] = {
                "hand": result["hand"],
                "learned": result["learned"],
                "folds": result["folds"],
            }
            effect.update(verdict(result))
            self.stdout.write(table(result))
        else:
            effect["better_than_hand"] = False  # not measured on held-out conversations
        data = policy.to_json() | {"effect": effect}
        try:
            out.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
        except OSError as exc:
            raise CommandError(f"Cannot write {out}: {exc}") from None
        self.stdout.write(f"wrote {out} ({data['name']}, {len(recorded.questions)} questions)")
