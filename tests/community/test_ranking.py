"""Unit tests of the pure ranking functions (no database)."""

import math

import numpy as np
import pytest

from community import ranking
from community.ranking import NodeInput


def test_trust_grows_with_sustained_activity_and_caps_at_one():
    assert ranking.trust_weight(0) == 0.0
    assert ranking.trust_weight(1) == pytest.approx(1 / 7)
    assert ranking.trust_weight(7) == 1.0
    assert ranking.trust_weight(28) == 1.0


def test_rater_weight_needs_real_use():
    assert ranking.rater_weight(trust=1.0, used_days=0) == pytest.approx(0.2)
    assert ranking.rater_weight(trust=1.0, used_days=3) == 1.0
    assert ranking.rater_weight(trust=1 / 7, used_days=0) == pytest.approx(0.2 / 7)


def test_decayed_usage_of_a_constant_series_is_about_that_constant():
    assert ranking.decayed_usage([10.0] * 200, tau=7.0) == pytest.approx(10.0, rel=1e-6)
    old = [0.0] * 30 + [100.0] * 10  # heavy use a month ago
    assert ranking.decayed_usage(old, tau=7.0) < ranking.decayed_usage([5.0] * 40, tau=7.0)


def test_bayes_rating_respects_uncertainty():
    two_fives, _ = ranking.bayes_rating([(5, 1.0)] * 2)
    many_good, _ = ranking.bayes_rating([(4, 1.0)] * 10 + [(5, 1.0)] * 10)
    assert two_fives == pytest.approx((3 * 5 + 10) / 7)
    assert many_good > two_fives
    nothing, weight = ranking.bayes_rating([])
    assert (nothing, weight) == (3.0, 0.0)


def test_retention_shrinks_to_the_prior_with_few_importers():
    assert ranking.retention_rate(kept=0, cohort=0) == 0.5
    assert ranking.retention_rate(kept=1, cohort=1) == pytest.approx(3 / 5)
    assert ranking.retention_rate(kept=90, cohort=100) == pytest.approx(92 / 104)


def test_spec_diff_matches_fields_by_key_and_counts_changed_leaves():
    a = {"name": "A", "fields": [{"key": "x", "type": "number"}, {"key": "y", "type": "text"}]}
    b = {"name": "B", "fields": [{"key": "y", "type": "text"}, {"key": "x", "type": "number"}]}
    assert ranking.spec_diff(a, b) == {"added": [], "removed": [], "changed": [".name"]}
    c = {"name": "A", "fields": [{"key": "x", "type": "integer"}]}
    diff = ranking.spec_diff(a, c)
    assert diff["changed"] == [".fields[x].type"]
    assert diff["removed"] == [".fields[y].key", ".fields[y].type"]
    assert ranking.spec_diff_size(a, a) == 0


def test_novelty_is_damped_for_near_copies():
    assert ranking.novelty(0) == pytest.approx(0.2)
    assert ranking.novelty(3) == pytest.approx(0.6)
    assert ranking.novelty(100) == 1.0


def test_lineage_credit_flows_up_damped_by_novelty():
    parent = NodeInput(id="p", usage=[5.0] * 30)
    sibling = NodeInput(id="s", usage=[5.0] * 30)
    child = NodeInput(id="c", parent_id="p", age_days=30, usage=[50.0] * 30, parent_diff=10)
    copy = NodeInput(id="c", parent_id="p", age_days=30, usage=[50.0] * 30, parent_diff=0)
    with_child = ranking.score_all([parent, sibling, child])
    with_copy = ranking.score_all([parent, sibling, copy])
    assert with_child["p"].trending > with_copy["p"].trending > with_child["s"].trending
    credit = with_child["p"].components["credit"]
    gap = with_child["c"].components["own"] - with_child["p"].components["own"]
    assert credit == pytest.approx(0.25 * gap, rel=1e-3)
    # a child earning a lot still ranks above a parent that only borrows from it
    assert with_child["c"].trending > with_child["p"].trending


def test_credit_reaches_grandparents_and_a_new_fork_inherits_a_prior():
    nodes = [
        NodeInput(id="g", usage=[1.0] * 10),
        NodeInput(id="p", parent_id="g", age_days=10, usage=[1.0] * 10, parent_diff=10),
        NodeInput(id="c", parent_id="p", age_days=10, usage=[40.0] * 10, parent_diff=10),
        NodeInput(id="new", parent_id="g", age_days=0, usage=[], parent_diff=10),
    ]
    scores = ranking.score_all(nodes)
    p_total = scores["p"].components["own"] + scores["p"].components["credit"]
    assert scores["p"].components["credit"] > 0
    assert scores["g"].components["credit"] == pytest.approx(
        0.25 * (p_total - scores["g"].components["own"]), abs=1e-3
    )
    assert scores["new"].components["fork_prior_usage"] == pytest.approx(
        0.2 * scores["g"].components["usage"], abs=1e-3
    )
    assert scores["new"].trending > 0
    later = ranking.score_all([nodes[0], NodeInput(id="new", parent_id="g", age_days=28)])
    assert later["new"].trending < scores["new"].trending * math.exp(-3)


def test_a_child_no_better_than_its_parent_sends_no_credit():
    scores = ranking.score_all(
        [
            NodeInput(id="p", usage=[10.0] * 10),
            NodeInput(id="c", parent_id="p", age_days=10, usage=[4.0] * 10, parent_diff=10),
        ]
    )
    assert scores["p"].components["credit"] == 0.0


def test_removed_nodes_score_zero_but_keep_passing_credit():
    nodes = [
        NodeInput(id="root", usage=[2.0] * 10),
        NodeInput(id="gone", parent_id="root", usage=[9.0] * 10, removed=True, parent_diff=10),
        NodeInput(id="kid", parent_id="gone", usage=[20.0] * 10, parent_diff=10),
    ]
    scores = ranking.score_all(nodes)
    assert scores["gone"].trending == 0.0
    assert scores["root"].components["credit"] > 0


def test_lineage_cycles_are_detected():
    with pytest.raises(ValueError):
        ranking.score_all([NodeInput(id="a", parent_id="b"), NodeInput(id="b", parent_id="a")])


def test_trending_page_keeps_exploration_slots_for_young_blueprints():
    ranked = [f"b{i}" for i in range(20)]
    explore = {"b19": (2.0, 2.0), "b18": (2.0, 2.0)}
    page = ranking.trending_page(ranking=ranked, explore=explore, rng=np.random.default_rng(1))
    assert len(page) == 10 and page[:7] == ranked[:7]
    assert {"b18", "b19"} <= set(page)
    assert page[-1] == "b7"  # the third exploration slot falls back to the next best
    small = ranking.trending_page(ranking=ranked[:5], explore={}, rng=np.random.default_rng(1))
    assert small == ranked[:5]


def test_thompson_sampling_is_seeded_and_spreads_exposure():
    ranked = [f"b{i}" for i in range(30)]
    explore = {f"b{i}": (2.0, 3.0) for i in range(15, 30)}
    first = ranking.trending_page(ranking=ranked, explore=explore, rng=np.random.default_rng(7))
    again = ranking.trending_page(ranking=ranked, explore=explore, rng=np.random.default_rng(7))
    assert first == again
    seen = set()
    for day in range(10):
        seen |= set(
            ranking.trending_page(
                ranking=ranked, explore=explore, rng=np.random.default_rng([7, day])
            )
        )
    assert len(seen & set(explore)) >= 10
