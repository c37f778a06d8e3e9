import json
import pickle
from datetime import UTC, datetime
from pathlib import Path

from django.core.management import BaseCommand, CommandError

from memory.evaluation.learn import (
    at_decay,
    collect,
    cross_validate,
    cv_table,
    fit_decay,
    fit_gate_on,
    gate_report,
    hand_baseline,
    simulate,
    verdict,
)
from memory.evaluation.locomo import DatasetError, load_dataset
from memory.learning.gate import GATE_FEATURES
from memory.learning.policy import HAND, Policy


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
        parser.add_argument(
            "--gate-out",
            type=Path,
            help="Also fit the forget gate on all conversations and write it here, with its "
            "leave-one-conversation-out report.",
        )

    def handle(
        self, *args, dataset, out, cv, no_progress, corpus, save_corpus, gate_out=None, **options
    ):
        try:
            samples = [s for path in dataset for s in load_dataset(path)]
        except DatasetError as exc:
            raise CommandError(str(exc)) from None
        if cv and corpus is None and len(samples) < 2:
            raise CommandError("--cv needs at least two conversations.")
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
        everyone = set(range(len(recorded.samples)))
        decay_days, policy = fit_decay(recorded, everyone)
        aged = at_decay(recorded, decay_days)
        measured_with: Policy | dict[int, Policy] = policy  # the forget gate's report
        decays: dict[int, float] = dict.fromkeys(everyone, decay_days)
        effect: dict = {
            "fitted_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "datasets": [p.name for p in dataset],
            "conversations": len(recorded.samples),
            "questions": len(recorded.questions),
            "decay_days": decay_days,  # fitted with it: ship it with the gate (--gate-out)
            "in_sample": {
                "hand": simulate(hand_baseline(recorded), HAND)["overall"],
                "learned": simulate(aged, policy)["overall"],
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
            measured_with, decays = result["policies"], result["decays"]
            self.stdout.write(cv_table(result))
        else:
            effect["better_than_hand"] = False  # not measured on held-out conversations
        data = policy.to_json() | {"effect": effect}
        try:
            out.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
        except OSError as exc:
            raise CommandError(f"Cannot write {out}: {exc}") from None
        self.stdout.write(f"wrote {out} ({data['name']}, {len(recorded.questions)} questions)")
        if gate_out is not None:
            weights, threshold = fit_gate_on(recorded, everyone)
            report = gate_report(recorded, measured_with, decays)
            gate = {
                "weights": {name: float(w) for name, w in zip(GATE_FEATURES, weights, strict=True)},
                "threshold": threshold,
                "decay_days": decay_days,
                "effect": report,
            }
            gate_out.write_text(json.dumps(gate, indent=2) + "\n", encoding="utf-8")
            self.stdout.write(
                f"wrote {gate_out}: forgetting curve {decay_days:g} days; kept "
                f"{report['kept']}/{report['memories']}, r@10 "
                f"{report['before']['recall@10']} -> {report['after']['recall@10']}"
            )
