"""The forget gate: how likely a memory is to be recalled and useful later, from what is known
when it is stored (importance, kind, source, length, whether it has a date), fitted as a
logistic model in numpy, its threshold keeping KEEP_USEFUL of the memories that were useful
in the fitting data; memories it does not expect to help fade (their strength drops to 0,
so they rank lower, and they stay on the person's page). Nothing pinned or important fades,
and nothing recalled or younger than GRACE_DAYS.

The forgetting curve's time constant is fitted with it (`memory_learn --gate-out`, chosen by
recall on the fitting conversations) and shipped in the same file: `shipped_decay_days`."""

import json
import math
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
from django.db.models import Q
from django.utils import timezone

from memory.models import Memory

GATE_COLUMNS = ("importance", "kind", "source", "token_count", "pinned", "event_time")
GATE_FEATURES = (
    "bias",
    "importance",
    "episode",
    "preference",
    "event",
    "plan",
    "stated",
    "dated",
    "length",
)
PROTECTED_IMPORTANCE = 0.8  # as important as this: never fades
# The threshold keeps this share of the memories that turned out useful in the fitting data:
# the gate fades only what looks less useful than nearly all of those.
KEEP_USEFUL = 0.95
GRACE_DAYS = 30
GATE_PULL = 0.01
SHIPPED_GATE = Path(__file__).with_name("shipped_gate.json")
HAND_DECAY_DAYS = 30.0  # the hand-set time constant, used until a fitted one is shipped
DECAY_DAYS_RANGE = (1.0, 3650.0)


def gate_row(row: dict) -> np.ndarray:
    kind = row["kind"]
    return np.array(
        [
            1.0,
            float(row["importance"]),
            1.0 if kind == "episode" else 0.0,
            1.0 if kind == "preference" else 0.0,
            1.0 if kind == "event" else 0.0,
            1.0 if kind == "plan" else 0.0,
            0.0 if row["source"] in ("chat", "compression") else 1.0,
            0.0 if row["event_time"] is None else 1.0,
            math.log1p(row["token_count"] or 0) / math.log(200),
        ]
    )


def fit_gate(matrix: np.ndarray, useful: np.ndarray, pull: float = GATE_PULL) -> np.ndarray:
    """Logistic regression (Newton, L2 except on the bias): P(recalled and useful later)."""
    w = np.zeros(matrix.shape[1])
    penalty = np.full(matrix.shape[1], 2 * pull)
    penalty[0] = 0.0
    # balanced classes: the useful are few
    positive = max(1.0, float(useful.sum()))
    negative = max(1.0, float(len(useful) - useful.sum()))
    weights = np.where(useful > 0, 0.5 / positive, 0.5 / negative)
    for _ in range(50):
        p = 1 / (1 + np.exp(-(matrix @ w)))
        grad = matrix.T @ (weights * (p - useful)) + penalty * w
        hess = (
            (matrix.T * (weights * p * (1 - p))) @ matrix + np.diag(penalty) + 1e-9 * np.eye(len(w))
        )
        step = np.linalg.solve(hess, grad)
        w -= step
        if float(np.abs(step).max()) < 1e-8:
            break
    return w


def usefulness(weights: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-(matrix @ weights)))


def gate_threshold(
    weights: np.ndarray, matrix: np.ndarray, useful: np.ndarray, keep: float = KEEP_USEFUL
) -> float:
    """The usefulness below which a memory fades: the (1 - keep) quantile of the useful ones'
    (0.0, nothing fades, when none was useful)."""
    p = usefulness(weights, matrix)[useful > 0]
    return float(np.quantile(p, 1 - keep)) if len(p) else 0.0


def protected(row: dict) -> bool:
    return bool(row["pinned"]) or float(row["importance"]) >= PROTECTED_IMPORTANCE


def fades(rows: list[dict], weights: np.ndarray, threshold: float) -> np.ndarray:
    """Which of these memories the gate lets fade (never a protected one)."""
    if not rows:
        return np.zeros(0, dtype=bool)
    p = usefulness(weights, np.stack([gate_row(row) for row in rows]))
    return (p < threshold) & ~np.array([protected(row) for row in rows])


def shipped_gate() -> tuple[np.ndarray, float] | None:
    if not SHIPPED_GATE.exists():
        return None
    data = json.loads(SHIPPED_GATE.read_text(encoding="utf-8"))
    weights = np.array([float(data["weights"][name]) for name in GATE_FEATURES])
    return weights, float(data["threshold"])


def shipped_decay_days(path: Path = SHIPPED_GATE) -> float:
    """The forgetting curve's time constant in days (`memory.retrieval.scoring`): the fitted one
    shipped with the gate, the hand-set one when none is (or it is not a sane number)."""
    try:
        value = json.loads(path.read_text(encoding="utf-8")).get("decay_days")
    except (OSError, ValueError, AttributeError):
        return HAND_DECAY_DAYS
    low, high = DECAY_DAYS_RANGE
    if isinstance(value, int | float) and low <= value <= high:
        return float(value)
    return HAND_DECAY_DAYS


def memories_fade(
    *, user_id: int, now: datetime | None = None, gate: tuple[np.ndarray, float] | None = None
) -> int:
    """Let the person's memories that the gate does not expect to help fade: older than
    GRACE_DAYS, never recalled, not pinned, not important, strength not already 0. Idempotent
    (a faded memory is not picked again); returns how many faded."""
    gate = gate or shipped_gate()
    if gate is None:
        return 0
    now = now or timezone.now()
    candidates = list(
        Memory.objects.filter(
            user_id=user_id,
            forgotten_at__isnull=True,
            recall_count=0,
            pinned=False,
            importance__lt=PROTECTED_IMPORTANCE,
            valid_from__lt=now - timedelta(days=GRACE_DAYS),
        )
        .filter(~Q(strength=0.0))
        .values("id", *GATE_COLUMNS)
    )
    faded = [
        row["id"] for row, fade in zip(candidates, fades(candidates, *gate), strict=True) if fade
    ]
    if faded:
        # re-checked in the update: a memory pinned or marked important meanwhile stays
        Memory.objects.filter(
            pk__in=faded, pinned=False, importance__lt=PROTECTED_IMPORTANCE
        ).update(strength=0.0, strength_at=now)
    return len(faded)


def people_fade(*, now: datetime | None = None) -> int:
    """The beat job's work: `memories_fade` for every person with memories old enough."""
    gate = shipped_gate()
    if gate is None:
        return 0
    now = now or timezone.now()
    people = (
        Memory.objects.filter(valid_from__lt=now - timedelta(days=GRACE_DAYS), recall_count=0)
        .values_list("user_id", flat=True)
        .distinct()
    )
    return sum(memories_fade(user_id=user_id, now=now, gate=gate) for user_id in people)
