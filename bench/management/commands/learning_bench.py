import json
import pickle
import time
from pathlib import Path

from django.core.management import BaseCommand, CommandError

from bench.synthetic import DEFAULT_DATASET
from macaron.embeddings import get_embedder
from memory.evaluation.learn import (
    collect,
    cross_validate,
    cv_table,
    gate_report,
    hand_baseline,
    verdict,
)
from memory.evaluation.locomo import DatasetError, eval_user, ingest_sample, load_dataset
from memory.learning.policy import HAND, Policy, PolicyError, named_policy
from memory.privacy.erasure import user_erase
from memory.retrieval.search import retrieve


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 2)


def time_retrieve(user, sample, now, policies: dict[str, Policy], queries: int, rounds: int = 3):
    """Wall-clock of the real retrieve() (the companion's read, reinforcement off so every
    round sees the same data), each policy in turn for every question, `rounds` times. The
    questions are embedded beforehand, as the same for both: what is timed is the search, where
    the policy scores."""
    questions = [qa.question for qa in sample.questions][:queries]
    embedder = get_embedder()
    vectors = [embedder.embed_query(question) for question in questions]
    timings: dict[str, list[float]] = {name: [] for name in policies}

    def read(i: int, policy: Policy) -> None:
        retrieve(
            user=user,
            query=questions[i],
            query_vector=vectors[i],
            k=10,
            now=now,
            policy=policy,
            reinforce=False,
        )

    for policy in policies.values():  # warm caches once for each
        read(0, policy)
    for _ in range(rounds):
        for i in range(len(questions)):
            for name, policy in policies.items():
                started = time.perf_counter()
                read(i, policy)
                timings[name].append((time.perf_counter() - started) * 1000)
    return {
        name: {"p50": percentile(v, 0.5), "p95": percentile(v, 0.95), "n": len(v)}
        for name, v in timings.items()
    }


def latency(sample, policies: dict[str, Policy], queries: int) -> dict:
    """`time_retrieve` on a throwaway person holding `sample` (when no ingestion is at hand)."""
    user = eval_user()
    try:
        now = ingest_sample(user, sample, progress=False)
        return time_retrieve(user, sample, now, policies, queries)
    finally:
        user_erase(user=user, reason="learning_bench throwaway user")


class Command(BaseCommand):
    help = (
        "Hand-set vs learned scoring policy on LoCoMo-format data: leave-one-conversation-out "
        "recall by category, retrieve() p50/p95 both ways, and the forget gate's memories kept "
        "and recall before/after."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dataset", type=Path, action="append")
        parser.add_argument("--policy", default="learned", help="learned, or a policy JSON file")
        parser.add_argument("--queries", type=int, default=100, help="questions timed")
        parser.add_argument("--corpus", type=Path, help="candidates saved by --save-corpus")
        parser.add_argument("--save-corpus", type=Path)
        parser.add_argument("--json", dest="json_out", type=Path)
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args, **options):
        datasets = options["dataset"] or [DEFAULT_DATASET]
        if options["queries"] < 1:
            raise CommandError("--queries must be at least 1.")
        try:
            learned = named_policy(options["policy"])
            samples = [s for path in datasets for s in load_dataset(path)]
        except (DatasetError, PolicyError) as exc:
            raise CommandError(str(exc)) from None
        if len(samples) < 2:
            raise CommandError("Cross-validation needs at least two conversations.")
        progress = not options["no_progress"]
        policies = {"hand": HAND, "learned": learned}
        timing: dict = {}

        def timed(index, user, sample, end) -> None:  # on the first conversation's ingestion
            if index == 0:
                timing.update(time_retrieve(user, sample, end, policies, options["queries"]))

        if options["corpus"] is not None:
            try:
                corpus = pickle.loads(options["corpus"].read_bytes())
            except (OSError, pickle.UnpicklingError) as exc:
                raise CommandError(f"Cannot read {options['corpus']}: {exc}") from None
            timing = latency(samples[0], policies, options["queries"])
        else:
            corpus = collect(samples, progress=progress, visit=timed)
        if options["save_corpus"] is not None:
            options["save_corpus"].write_bytes(pickle.dumps(corpus))
        cv = cross_validate(corpus, progress=progress)
        # the learned policy as in the CV: each conversation's fitted without it
        gate = {
            "hand": gate_report(hand_baseline(corpus), HAND),
            "learned": gate_report(corpus, cv["policies"], cv["decays"]),
        }
        report = {
            "datasets": [p.name for p in datasets],
            "cv": {"hand": cv["hand"], "learned": cv["learned"], "folds": cv["folds"]},
            **verdict(cv),
            "retrieve_ms": timing,
            "forget_gate": gate,
        }
        self.stdout.write("learning_bench: hand vs learned, leave one conversation out")
        self.stdout.write(cv_table(cv))
        self.stdout.write(
            f"gain r@10 {report['recall@10_gain']:+.4f}, worst category "
            f"{report['worst_category_change']:+.4f}, meets target: {report['meets_target']}"
        )
        for name, t in timing.items():
            self.stdout.write(
                f"retrieve() {name:<8} p50 {t['p50']} ms  p95 {t['p95']} ms  (n={t['n']})"
            )
        for name, g in gate.items():
            self.stdout.write(
                f"forget gate ({name}): kept {g['kept']}/{g['memories']} memories, faded "
                f"{g['faded']} (protected faded: {g['protected_faded']}); r@10 "
                f"{g['before']['recall@10']:.4f} -> {g['after']['recall@10']:.4f} "
                f"(if dropped: {g['after_if_dropped']['recall@10']:.4f})"
            )
        if options["json_out"]:
            options["json_out"].write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
