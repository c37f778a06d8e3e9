"""The forgetting curve's time constant is fitted with the forget gate: the replay at another
constant is what retrieve() records at it, the fit picks from its grid by recall, and the
shipped constant is what reads and the decay job use."""

import json

import pytest

from memory.evaluation.learn import DECAY_GRID, at_decay, collect, fit_decay
from memory.evaluation.locomo import load_dataset
from memory.learning.features import INDEX
from memory.learning.gate import HAND_DECAY_DAYS, SHIPPED_GATE, shipped_decay_days
from memory.learning.policy import Policy
from memory.retrieval import scoring
from tests.memory.learning.test_offline import _two_conversations

pytestmark = pytest.mark.django_db
STRENGTH = INDEX["strength"]


def _strengths(corpus) -> list[dict[tuple, float]]:
    """Each question's candidates' strength, by what the memory came from (ids differ by run)."""
    return [
        {
            tuple(sorted(corpus.sources.get(m, ()))): float(question.matrix[i, STRENGTH])
            for i, m in enumerate(question.ids)
            if corpus.sources.get(m)
        }
        for question in corpus.questions
    ]


def test_the_replayed_forgetting_curve_is_what_retrieve_records_at_that_constant(
    tmp_path, monkeypatch
):
    samples = load_dataset(_two_conversations(tmp_path))
    recorded = collect(samples, progress=False)
    monkeypatch.setattr(scoring, "DECAY_DAYS", 90.0)
    slower = collect(samples, progress=False)
    assert (recorded.decay_days, slower.decay_days) == (scoring.shipped_decay_days(), 90.0)

    replayed = at_decay(recorded, 90.0)
    compared = 0
    for real, replay, before in zip(
        _strengths(slower), _strengths(replayed), _strengths(recorded), strict=True
    ):
        for key in real.keys() & replay.keys():
            assert replay[key] == pytest.approx(real[key], rel=1e-6)
            compared += 1
        # six weeks between the sessions: the first session's memories have faded a little
        assert min(before.values()) < 1.0
    assert compared > 0
    assert at_decay(recorded, recorded.decay_days) is recorded


def test_fit_decay_picks_a_constant_of_its_grid_and_the_policy_fitted_at_it(tmp_path):
    corpus = collect(load_dataset(_two_conversations(tmp_path)), progress=False)
    days, policy = fit_decay(corpus, {0, 1})
    assert days in DECAY_GRID and isinstance(policy, Policy)
    # Two tiny conversations cannot tell the constants apart: the hand-set one wins the tie.
    assert days == HAND_DECAY_DAYS


def test_the_shipped_constant_is_read_and_checked(tmp_path):
    path = tmp_path / "gate.json"
    path.write_text(json.dumps({"decay_days": 120.0}))
    assert shipped_decay_days(path) == 120.0
    for bad in ('{"decay_days": -4}', '{"decay_days": "long"}', "{}", "not json", "[1]"):
        path.write_text(bad)
        assert shipped_decay_days(path) == HAND_DECAY_DAYS
    assert shipped_decay_days(tmp_path / "missing.json") == HAND_DECAY_DAYS
    shipped = json.loads(SHIPPED_GATE.read_text())
    assert scoring.DECAY_DAYS == shipped_decay_days() == shipped["decay_days"]
