"""The scoring/gating policy: how a candidate's features become its score, vectorised.

Two forms:
- `boost` (the hand-set weights): score = fused * (1 + sum_j w_j x_j), summed in FEATURES order
  so the hand policy gives exactly the scores of the per-row re-scoring it replaced;
- `loglinear` (fitted): score = fused ** fused_power * exp(sum_j w_j x_j), so a pairwise
  logistic ranker's weights are its parameters, and its prior is the hand policy's first-order
  form (fused_power 1, the same weights).

A person's adjustment multiplies either by exp(delta . x): small, bounded (`fit.PERSON_BOUND`).
"""

import json
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from memory.learning.features import FEATURES, INDEX

BOOST, LOGLINEAR = "boost", "loglinear"
FUSED = INDEX["fused"]
# The second stage's score is known only after the first stage has ordered the candidates: its
# weight is the second stage's share (`memory.retrieval.rerank`), never part of the first score.
RERANK = INDEX["rerank"]

HAND_WEIGHTS = {
    "importance": 0.15,
    "strength": 0.05,
    "recency": 0.05,
    "domain": 0.1,
    "time_match": 0.5,
    "pinned": 0.2,
    "entity": 0.3,
    "rerank": 2.0,
}


class PolicyError(ValueError):
    pass


def vector(weights: dict[str, float]) -> np.ndarray:
    unknown = set(weights) - set(FEATURES)
    if unknown:
        raise PolicyError(f"Unknown features: {', '.join(sorted(unknown))}.")
    values = np.zeros(len(FEATURES), dtype=np.float64)
    for name, value in weights.items():
        if not isinstance(value, int | float) or not np.isfinite(value):
            raise PolicyError(f"The weight of {name} is not a finite number.")
        values[INDEX[name]] = float(value)
    return values


@dataclass(frozen=True)
class Policy:
    name: str
    form: str
    weights: np.ndarray
    fused_power: float = 1.0
    adjustment: np.ndarray | None = None  # the person's, in log space
    effect: dict = field(default_factory=dict, compare=False)

    def score(self, matrix: np.ndarray, ids: Sequence[int] = ()) -> np.ndarray:
        """Scores for a candidates' feature matrix (one row each, the candidates `ids`),
        higher is better. `ids` are for policies that record what they scored."""
        weights = self.weights.copy()
        weights[RERANK] = 0.0
        if self.form == BOOST:
            boost = np.zeros(matrix.shape[0], dtype=np.float64)
            for j in np.flatnonzero(weights):  # FEATURES order: the hand sum's order
                boost = boost + weights[j] * matrix[:, j]
            scores = matrix[:, FUSED] * (1 + boost)
        else:
            fused = np.maximum(matrix[:, FUSED], 1e-9)
            scores = np.exp(self.fused_power * np.log(fused) + matrix @ weights)
        if self.adjustment is not None and self.adjustment.any():
            adjustment = self.adjustment.copy()
            adjustment[RERANK] = 0.0
            scores = scores * np.exp(matrix @ adjustment)
        return scores

    @property
    def second_stage(self) -> float:
        """The second stage's share against the first stage's score (0: first stage only)."""
        return max(0.0, float(self.weights[RERANK]))

    def with_second_stage(self, weight: float) -> "Policy":
        weights = self.weights.copy()
        weights[RERANK] = weight
        return replace(self, weights=weights)

    def contributions(self, row: np.ndarray) -> dict[str, float]:
        """How much each feature moved one candidate's log-score (what moved it up)."""
        if self.form == BOOST:
            parts = self.weights * row / max(1e-9, 1 + float(self.weights @ row))
        else:
            parts = self.weights * row
        if self.adjustment is not None:
            parts = parts + self.adjustment * row
        return {name: float(parts[i]) for i, name in enumerate(FEATURES) if parts[i]}

    def with_adjustment(self, delta: np.ndarray | None) -> "Policy":
        if delta is None or not np.any(delta):
            return self
        return Policy(self.name, self.form, self.weights, self.fused_power, delta, self.effect)

    def to_json(self) -> dict:
        return {
            "name": self.name,
            "form": self.form,
            "fused_power": self.fused_power,
            "weights": {
                n: float(self.weights[i]) for i, n in enumerate(FEATURES) if self.weights[i]
            },
            "effect": self.effect,
        }

    @classmethod
    def from_json(cls, data: object) -> "Policy":
        if not isinstance(data, dict) or not isinstance(data.get("weights"), dict):
            raise PolicyError("A policy is a JSON object with a `weights` object.")
        form = data.get("form", LOGLINEAR)
        if form not in (BOOST, LOGLINEAR):
            raise PolicyError(f"Unknown policy form {form!r}; use {BOOST} or {LOGLINEAR}.")
        power = data.get("fused_power", 1.0)
        if not isinstance(power, int | float) or not 0.0 < power <= 5.0:
            raise PolicyError("fused_power must be a number in (0, 5].")
        effect = data.get("effect")
        # A policy written before the second stage existed has no share for it: the hand one.
        weights = {"rerank": HAND_WEIGHTS["rerank"], **data["weights"]}
        return cls(
            name=str(data.get("name") or "learned")[:40],
            form=form,
            weights=vector(weights),
            fused_power=float(power),
            effect=effect if isinstance(effect, dict) else {},
        )


HAND = Policy(name="hand", form=BOOST, weights=vector(HAND_WEIGHTS))
SHIPPED_PATH = Path(__file__).with_name("shipped_policy.json")


def load_policy_file(path: Path) -> Policy:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PolicyError(f"No such policy file: {path}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise PolicyError(f"{path} is not JSON: {exc}") from None
    return Policy.from_json(data)


def shipped_policy() -> Policy | None:
    """The learned policy shipped in the repository, if it measured better than hand."""
    if not SHIPPED_PATH.exists():
        return None
    policy = load_policy_file(SHIPPED_PATH)
    return policy if policy.effect.get("better_than_hand") else None


def named_policy(name: str) -> Policy:
    """`hand`, `learned` (the shipped one) or a path to a policy JSON file."""
    if name == "hand":
        return HAND
    if name == "learned":
        if not SHIPPED_PATH.exists():
            raise PolicyError("No learned policy is shipped yet (memory_learn writes one).")
        return load_policy_file(SHIPPED_PATH)
    return load_policy_file(Path(name))
