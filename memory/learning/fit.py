"""The fits, in numpy.

- `fit_prior`: the global prior, a pairwise logistic ranker over (log fused, features) with an
  L2 pull toward the hand policy (Newton's method; the problem is convex);
- `fit_person`: a person's adjustment from their reward events, a pairwise logistic fit of the
  rewarded memory against the others shown with it, shrunk toward zero and projected into a
  ball of radius PERSON_BOUND, so no burst of feedback moves their policy further from the
  prior than that.
"""

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from memory.learning.features import INDEX, F
from memory.learning.policy import LOGLINEAR, Policy

FUSED = INDEX["fused"]
PRIOR_PULL = 0.0005  # L2 toward the hand policy (chosen by the CV in README, learning)
PERSON_PULL = 0.05
PERSON_BOUND = 1.0  # max L2 norm of a person's adjustment (log-space: at most e^1 per feature)
MIN_FUSED_POWER, MAX_FUSED_POWER = 0.1, 5.0


def design(matrix: np.ndarray) -> np.ndarray:
    """(log fused, features): the loglinear policy is linear in these."""
    return np.column_stack([np.log(np.maximum(matrix[:, FUSED], 1e-9)), matrix])


@dataclass
class Pairs:
    """Differences between a better and a worse candidate's design rows, and pair weights."""

    differences: np.ndarray
    weights: np.ndarray

    @classmethod
    def from_questions(cls, questions: Iterable[tuple[np.ndarray, np.ndarray]]) -> "Pairs":
        """Every relevant candidate against every other, each question weighing the same."""
        parts, weights = [], []
        for matrix, labels in questions:
            z = design(matrix)
            good, bad = z[labels > 0], z[labels <= 0]
            if not len(good) or not len(bad):
                continue
            diff = (good[:, None, :] - bad[None, :, :]).reshape(-1, z.shape[1])
            parts.append(diff)
            weights.append(np.full(len(diff), 1.0 / len(diff)))
        if not parts:
            return cls(np.zeros((0, F + 1)), np.zeros(0))
        return cls(np.concatenate(parts), np.concatenate(weights))


def _newton(
    pairs: Pairs, theta0: np.ndarray, pull: float, centre: np.ndarray, iterations: int = 50
) -> np.ndarray:
    """Minimise mean_w log(1 + exp(-d.theta)) + pull * |theta - centre|^2."""
    theta = theta0.copy()
    d, w = pairs.differences, pairs.weights
    total = w.sum() or 1.0
    eye = np.eye(len(theta))
    for _ in range(iterations):
        margin = d @ theta
        p = 0.5 * (1 - np.tanh(margin / 2))  # sigmoid(-margin), stable
        grad = -(d.T @ (w * p)) / total + 2 * pull * (theta - centre)
        hess = (d.T * (w * p * (1 - p))) @ d / total + 2 * pull * eye
        step = np.linalg.solve(hess, grad)
        theta -= step
        if float(np.abs(step).max()) < 1e-7:
            break
    return theta


def fit_prior(
    pairs: Pairs, *, prior: Policy, name: str = "learned", pull: float = PRIOR_PULL
) -> Policy:
    centre = np.concatenate([[prior.fused_power], prior.weights])
    # The second stage's share is not a first-stage weight (`learn` chooses it by recall).
    differences = pairs.differences.copy()
    differences[:, 1 + INDEX["rerank"]] = 0.0
    pairs = Pairs(differences, pairs.weights)
    theta = _newton(pairs, centre, pull, centre) if len(pairs.weights) else centre
    return Policy(
        name=name,
        form=LOGLINEAR,
        weights=theta[1:],
        fused_power=float(np.clip(theta[0], MIN_FUSED_POWER, MAX_FUSED_POWER)),
    )


def project(delta: np.ndarray, bound: float = PERSON_BOUND) -> np.ndarray:
    norm = float(np.linalg.norm(delta))
    return delta if norm <= bound else delta * (bound / norm)


def fit_person(
    examples: Iterable[tuple[np.ndarray, float]],
    *,
    pull: float = PERSON_PULL,
    bound: float = PERSON_BOUND,
) -> np.ndarray:
    """A person's log-space adjustment. Each example is (x_rewarded - x_other, reward): a
    positive reward says the memory should outrank what was shown with it, a negative one
    the reverse. Never further than `bound` from the prior; `fused` and `rerank` stay put."""
    rows, weights = [], []
    for difference, reward in examples:
        if reward == 0:
            continue
        rows.append(np.sign(reward) * difference)
        weights.append(abs(reward))
    if not rows:
        return np.zeros(F)
    d = np.array(rows)
    d[:, FUSED] = 0.0
    d[:, INDEX["rerank"]] = 0.0
    pairs = Pairs(np.column_stack([np.zeros(len(d)), d]), np.array(weights))
    theta = _newton(pairs, np.zeros(F + 1), pull, np.zeros(F + 1))
    return project(theta[1:], bound)
