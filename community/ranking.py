"""Community ranking: pure functions, no ORM, no clock. The Celery jobs in `community.tasks`
gather the numbers (through `community.services`), call `score_all` and store its output.

The formula (documented with its reasons in README.md, "Community ranking"):

    trust(u)       = min(1, active_days(u, last 28 days) / 7)        a person's weight
    usage          = (1 - e^(-1/τ)) · Σ_k w_k · e^(-k/τ)             w_k = Σ trust of distinct
                                                                     non-author users k days ago
    rating         = (m·C + Σ r_i·v_i) / (C + Σ v_i)                 Bayesian average, sceptical
                                                                     prior m=3★ (or the parent's
                                                                     posterior for a fork), C=5;
                                                                     v_i = trust × use of rater
    retention      = (p·S + kept) / (S + cohort)                     importers still active a
                                                                     week after importing
    quality        = rating/5 · (½ + ½·retention)
    own            = (usage + fork_prior) · quality                  fork_prior = β · parent
                                                                     usage · e^(-age/τ_p)
    credit         = Σ_children α · novelty(child) · max(0, child own + child credit − own)
    trending       = own + credit
    novelty(diff)  = floor + (1 - floor) · min(1, diff / scale)      damped for near-copies

Exploration: `trending_page` keeps most slots for the best scores and fills a few by Thompson
sampling (seeded) among young blueprints, from a Beta posterior on their quality.
"""

import math
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

TRUST_WINDOW_DAYS = 28
TRUST_FULL_DAYS = 7  # active days (in the window) from which a person counts fully
TAU_TRENDING = 7.0  # days; e-folding time of usage for trending
TAU_TOP = 60.0  # days; the long view for "top"
HORIZON_DAYS = 120  # older usage is below e^-17 for trending and not loaded
RATING_PRIOR_MEAN = 3.0
RATING_PRIOR_WEIGHT = 5.0
RATER_FULL_USE_DAYS = 3  # a rater who used the blueprint this many days counts fully
RATER_UNUSED_WEIGHT = 0.2  # …and one who never used it counts this much
RETENTION_AFTER_DAYS = 7
RETENTION_PRIOR = 0.5
RETENTION_PRIOR_WEIGHT = 4.0
FORK_USAGE_PRIOR = 0.2  # β: share of the parent's usage a brand-new fork starts with
FORK_PRIOR_TAU = 7.0  # τ_p: days over which that inherited prior fades
LINEAGE_ALPHA = 0.25  # α: share of a child's score credited to its parent
NOVELTY_FLOOR = 0.2
NOVELTY_SCALE = 6  # changed spec leaves at which a child counts as fully different
RISING_WINDOW = 7
TRENDING_PAGE_SIZE = 10
EXPLORATION_SLOTS = 3
EXPLORE_AGE_DAYS = 14
EXPLORE_PRIOR_STRENGTH = 4.0


def trust_weight(active_days: int) -> float:
    """How much a person counts, from their distinct active days in the last 28."""
    if active_days <= 0:
        return 0.0
    return min(1.0, active_days / TRUST_FULL_DAYS)


def rater_weight(*, trust: float, used_days: int) -> float:
    """A rating's weight: the rater's trust times how much they really used the blueprint."""
    use = RATER_UNUSED_WEIGHT + (1 - RATER_UNUSED_WEIGHT) * min(
        1.0, used_days / RATER_FULL_USE_DAYS
    )
    return trust * use


def decayed_usage(series: Sequence[float], *, tau: float) -> float:
    """Exponentially decayed daily usage, normalised so a constant n users a day gives ~n.
    `series[k]` is the (trust-weighted) number of users k days ago."""
    norm = 1.0 - math.exp(-1.0 / tau)
    return norm * sum(value * math.exp(-k / tau) for k, value in enumerate(series))


def bayes_rating(
    ratings: Iterable[tuple[float, float]],
    *,
    prior_mean: float = RATING_PRIOR_MEAN,
    prior_weight: float = RATING_PRIOR_WEIGHT,
) -> tuple[float, float]:
    """Bayesian average of (value, weight) ratings; returns (mean, effective weight)."""
    total = prior_mean * prior_weight
    weight = 0.0
    for value, w in ratings:
        total += value * w
        weight += w
    return total / (prior_weight + weight), weight


def retention_rate(*, kept: float, cohort: float, prior: float = RETENTION_PRIOR) -> float:
    """Share of importers still active a week later, shrunk toward `prior` when few."""
    return (prior * RETENTION_PRIOR_WEIGHT + kept) / (RETENTION_PRIOR_WEIGHT + cohort)


def quality(*, rating: float, retention: float) -> float:
    return (rating / 5.0) * (0.5 + 0.5 * retention)


def _leaves(value: Any, path: str = "") -> dict[str, Any]:
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            out.update(_leaves(item, f"{path}.{key}"))
        return out
    if isinstance(value, list):
        # Keyed items (fields) are matched by key so reordering is not a change.
        if value and all(isinstance(item, dict) and "key" in item for item in value):
            out = {}
            for item in value:
                out.update(_leaves(item, f"{path}[{item['key']}]"))
            return out
        out = {}
        for index, item in enumerate(value):
            out.update(_leaves(item, f"{path}[{index}]"))
        return out
    return {path: value}


def spec_diff(a: Mapping, b: Mapping) -> dict[str, list[str]]:
    """Leaf paths added, removed and changed from spec `a` to spec `b`."""
    left, right = _leaves(dict(a)), _leaves(dict(b))
    return {
        "added": sorted(set(right) - set(left)),
        "removed": sorted(set(left) - set(right)),
        "changed": sorted(k for k in set(left) & set(right) if left[k] != right[k]),
    }


def spec_diff_size(a: Mapping, b: Mapping) -> int:
    diff = spec_diff(a, b)
    return len(diff["added"]) + len(diff["removed"]) + len(diff["changed"])


def novelty(diff_size: int) -> float:
    """How different a child is from its parent, in [floor, 1]."""
    return NOVELTY_FLOOR + (1 - NOVELTY_FLOOR) * min(1.0, diff_size / NOVELTY_SCALE)


@dataclass(frozen=True)
class NodeInput:
    """What the ranking knows about one blueprint on the day being scored."""

    id: Hashable
    parent_id: Hashable | None = None
    age_days: int = 0
    usage: Sequence[float] = ()  # trust-weighted distinct users; [0] = today, [k] = k days ago
    ratings: Sequence[tuple[float, float]] = ()  # (value 1–5, weight)
    retention_kept: float = 0.0
    retention_cohort: float = 0.0
    parent_diff: int = 0
    removed: bool = False


@dataclass
class NodeScore:
    id: Hashable
    trending: float
    top: float
    rising: float
    components: dict = field(default_factory=dict)


def _rising(usage: Sequence[float]) -> float:
    recent = sum(usage[:RISING_WINDOW]) / RISING_WINDOW
    before = sum(usage[RISING_WINDOW : 2 * RISING_WINDOW]) / RISING_WINDOW
    return max(0.0, recent - before) / math.sqrt(1.0 + before)


def _topological(nodes: Mapping[Hashable, NodeInput]) -> list[Hashable]:
    """Parents before children (parents missing from `nodes` are treated as roots)."""
    order: list[Hashable] = []
    seen: set[Hashable] = set()
    for start in nodes:
        chain = []
        node_id: Hashable | None = start
        while node_id is not None and node_id in nodes and node_id not in seen:
            if node_id in chain:
                raise ValueError(f"lineage cycle at {node_id!r}")
            chain.append(node_id)
            node_id = nodes[node_id].parent_id
        for item in reversed(chain):
            seen.add(item)
            order.append(item)
    return order


def score_all(inputs: Iterable[NodeInput]) -> dict[Hashable, NodeScore]:
    """Score every node; parents' priors flow down, children's credit flows up."""
    nodes = {node.id: node for node in inputs}
    order = _topological(nodes)
    posterior: dict[Hashable, tuple[float, float, float]] = {}  # rating, retention, usage
    scores: dict[Hashable, NodeScore] = {}
    raw_own: dict[Hashable, float] = {}
    for node_id in order:
        node = nodes[node_id]
        parent = nodes.get(node.parent_id) if node.parent_id is not None else None
        if parent is not None and node.parent_id in posterior:
            prior_rating, prior_retention, parent_usage = posterior[node.parent_id]
            fork_prior = FORK_USAGE_PRIOR * parent_usage * math.exp(-node.age_days / FORK_PRIOR_TAU)
        else:
            prior_rating, prior_retention, fork_prior = RATING_PRIOR_MEAN, RETENTION_PRIOR, 0.0
        rating, rating_weight = bayes_rating(node.ratings, prior_mean=prior_rating)
        retention = retention_rate(
            kept=node.retention_kept, cohort=node.retention_cohort, prior=prior_retention
        )
        usage = decayed_usage(node.usage, tau=TAU_TRENDING)
        usage_top = decayed_usage(node.usage, tau=TAU_TOP)
        q = quality(rating=rating, retention=retention)
        posterior[node_id] = (rating, retention, usage)
        organic = 0.0 if node.removed else usage * q
        raw_own[node_id] = organic
        scores[node_id] = NodeScore(
            id=node_id,
            trending=organic + (0.0 if node.removed else fork_prior * q),
            top=0.0 if node.removed else usage_top * q,
            rising=0.0 if node.removed else _rising(node.usage) * q,
            components={
                "usage": round(usage, 4),
                "usage_top": round(usage_top, 4),
                "fork_prior_usage": round(fork_prior, 4),
                "rating": round(rating, 4),
                "rating_prior": round(prior_rating, 4),
                "rating_weight": round(rating_weight, 4),
                "retention": round(retention, 4),
                "retention_cohort": round(node.retention_cohort, 4),
                "quality": round(q, 4),
                "own": round(organic, 4),
                "novelty": round(novelty(node.parent_diff), 4) if parent is not None else None,
                "credit": 0.0,
                "removed": node.removed,
            },
        )
    # Credit flows up, children first: a parent gains a share of how far each child's organic
    # score (its own use plus its own children's credit, never the inherited prior) rises
    # above the parent's own, so borrowed merit never lifts a parent above the child it came
    # from, and a child that does no better than its parent sends nothing.
    own = {node_id: (0.0 if nodes[node_id].removed else raw_own[node_id]) for node_id in order}
    own_top = {node_id: scores[node_id].top for node_id in order}
    credit = dict.fromkeys(order, 0.0)
    credit_top = dict.fromkeys(order, 0.0)
    for node_id in reversed(order):
        parent_id = nodes[node_id].parent_id
        if parent_id is None or parent_id not in scores:
            continue
        share = LINEAGE_ALPHA * novelty(nodes[node_id].parent_diff)
        total = own[node_id] + credit[node_id]
        total_top = own_top[node_id] + credit_top[node_id]
        credit[parent_id] += share * max(0.0, total - own[parent_id])
        credit_top[parent_id] += share * max(0.0, total_top - own_top[parent_id])
    for node_id, score in scores.items():
        if not nodes[node_id].removed:
            score.trending += credit[node_id]
            score.top += credit_top[node_id]
        score.components["credit"] = round(credit[node_id], 4)
        score.components["trending"] = round(score.trending, 4)
    return scores


def exploration_posterior(node: NodeInput, *, prior_quality: float) -> tuple[float, float]:
    """Beta(a, b) on "an importer keeps using it", started from the (inherited) prior."""
    a = 1.0 + EXPLORE_PRIOR_STRENGTH * prior_quality + node.retention_kept
    b = (
        1.0
        + EXPLORE_PRIOR_STRENGTH * (1 - prior_quality)
        + (node.retention_cohort - node.retention_kept)
    )
    return a, max(b, 1e-6)


def trending_page(
    *,
    ranking: Sequence[Hashable],
    explore: Mapping[Hashable, tuple[float, float]],
    rng: np.random.Generator,
    size: int = TRENDING_PAGE_SIZE,
    slots: int = EXPLORATION_SLOTS,
) -> list[Hashable]:
    """The trending page: the best `size - slots` by score, then up to `slots` young
    blueprints picked by Thompson sampling from `explore` (id → Beta(a, b)), then the next
    best by score until the page is full."""
    if len(ranking) <= size:
        return list(ranking)
    shown = list(ranking[: size - slots])
    pool = sorted((node_id for node_id in explore if node_id not in shown), key=str)
    if pool:
        draws = {node_id: rng.beta(*explore[node_id]) for node_id in pool}
        shown += sorted(pool, key=lambda node_id: -draws[node_id])[:slots]
    for node_id in ranking:
        if len(shown) >= size:
            break
        if node_id not in shown:
            shown.append(node_id)
    return shown
