"""Offline learning: memory_learn fits through the real ingestion and retrieval, the replay of
recorded candidates gives exactly what retrieve() gives, and memory_eval takes --policy."""

import copy
import json

import pytest
from django.core.management import CommandError, call_command

from accounts.models import User
from memory.evaluation.learn import DECAY_GRID, collect, simulate
from memory.evaluation.locomo import evaluate, load_dataset
from memory.learning.gate import GATE_FEATURES
from memory.learning.policy import HAND, Policy
from tests.memory.evaluation.test_locomo import TINY

pytestmark = pytest.mark.django_db


def _two_conversations(tmp_path):
    second = copy.deepcopy(TINY[0])
    second["sample_id"] = "tiny-2"
    second["conversation"]["session_1"][0]["text"] = "I adopted a ginger dog named Biscuit today!"
    second["qa"][0] = {
        "question": "What is the name of Ana's dog?",
        "answer": "Biscuit",
        "evidence": ["D1:1"],
        "category": 4,
    }
    path = tmp_path / "two.json"
    path.write_text(json.dumps([TINY[0], second]))
    return path


def test_the_replay_gives_what_retrieve_gives(tmp_path):
    samples = load_dataset(_two_conversations(tmp_path))
    real = evaluate(samples, progress=False, policy=HAND)
    replayed = simulate(collect(samples, progress=False), HAND)
    for n in ("recall@1", "recall@5", "recall@10"):
        assert replayed["overall"][n] == real["overall"][n]
    assert not User.objects.exists()  # throwaway people erased


def test_memory_learn_writes_a_policy_with_its_cross_validation(tmp_path, capsys):
    out, gate_out = tmp_path / "policy.json", tmp_path / "gate.json"
    call_command(
        "memory_learn",
        "--dataset",
        str(_two_conversations(tmp_path)),
        "--out",
        str(out),
        "--cv",
        "--gate-out",
        str(gate_out),
        "--no-progress",
    )
    data = json.loads(out.read_text())
    policy = Policy.from_json(data)
    gate = json.loads(gate_out.read_text())
    assert list(gate["weights"]) == list(GATE_FEATURES) and 0 <= gate["threshold"] <= 1
    effect = gate["effect"]
    assert effect["kept"] + effect["faded"] == effect["memories"] > 0
    assert effect["protected_faded"] == 0 and len(effect["thresholds"]) == 2
    # the forgetting curve's time constant is fitted with it, in each fold too
    assert gate["decay_days"] == data["effect"]["decay_days"] in DECAY_GRID
    assert all(f["decay_days"] in DECAY_GRID for f in data["effect"]["cv"]["folds"])
    assert policy.form == "loglinear" and 0 < policy.fused_power <= 5
    assert [f["held_out"] for f in data["effect"]["cv"]["folds"]] == ["tiny-1", "tiny-2"]
    assert set(data["effect"]) >= {"cv", "better_than_hand", "in_sample", "recall@10_gain"}
    printed = capsys.readouterr().out
    assert "held out" in printed and "pooled" in printed
    assert not User.objects.exists()

    report = tmp_path / "report.json"
    call_command(
        "memory_eval",
        "--dataset",
        str(_two_conversations(tmp_path)),
        "--policy",
        str(out),
        "--json",
        str(report),
        "--no-progress",
    )
    assert json.loads(report.read_text())["policy"] == "learned"


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--policy", "nope.json"], "No such policy file"),
        (["--policy", "__BAD__"], "weights"),
    ],
)
def test_memory_eval_refuses_a_bad_policy(tmp_path, argv, message):
    dataset = tmp_path / "tiny.json"
    dataset.write_text(json.dumps(TINY))
    if argv[1] == "__BAD__":
        bad = tmp_path / "bad.json"
        bad.write_text('{"weights": "heavy"}')
        argv = ["--policy", str(bad)]
    with pytest.raises(CommandError, match=message):
        call_command("memory_eval", "--dataset", str(dataset), "--no-progress", *argv)
    assert not User.objects.exists()


def test_memory_learn_refuses_bad_input(tmp_path):
    with pytest.raises(CommandError, match="No such file"):
        call_command(
            "memory_learn", "--dataset", str(tmp_path / "none.json"), "--out", str(tmp_path / "p")
        )
    dataset = tmp_path / "tiny.json"
    dataset.write_text(json.dumps(TINY))
    with pytest.raises(CommandError, match="at least two conversations"):
        call_command(
            "memory_learn",
            "--dataset",
            str(dataset),
            "--out",
            str(tmp_path / "p.json"),
            "--cv",
            "--no-progress",
        )


def test_learning_bench_reports_both_policies_and_the_forget_gate(tmp_path, capsys):
    report = tmp_path / "bench.json"
    call_command(
        "learning_bench",
        "--dataset",
        str(_two_conversations(tmp_path)),
        "--queries",
        "2",
        "--json",
        str(report),
        "--no-progress",
    )
    data = json.loads(report.read_text())
    assert set(data["cv"]) == {"hand", "learned", "folds"}
    assert [f["held_out"] for f in data["cv"]["folds"]] == ["tiny-1", "tiny-2"]
    assert set(data["retrieve_ms"]) == {"hand", "learned"}
    assert all(t["n"] == 3 * 2 and t["p95"] >= t["p50"] > 0 for t in data["retrieve_ms"].values())
    for gate in data["forget_gate"].values():
        assert gate["kept"] + gate["faded"] == gate["memories"] > 0
        assert gate["protected_faded"] == 0
    printed = capsys.readouterr().out
    assert "retrieve() hand" in printed and "forget gate (learned)" in printed
    assert not User.objects.exists()  # throwaway people erased
