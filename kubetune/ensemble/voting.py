"""Soft, weighted-soft and hard voting over aligned Predictions (see load_predictions)."""
from __future__ import annotations

from typing import Sequence

import numpy as np

from kubetune.ensemble.predictions import EnsembleError, Predictions

METHODS = ("soft", "weighted", "hard")


def check_weights(weights: Sequence[float] | np.ndarray, count: int) -> np.ndarray:
    """Weights as a float array summing to 1; finite, >= 0, not all 0, one per member."""
    w = np.asarray(weights, dtype=np.float64).reshape(-1)
    if w.size != count:
        raise EnsembleError(f"{w.size} weight(s) for {count} member(s); give one weight per prediction file")
    if not np.all(np.isfinite(w)) or np.any(w < 0):
        raise EnsembleError(f"weights must be finite and >= 0, got {w.tolist()}")
    if w.sum() <= 0:
        raise EnsembleError(f"weights must not all be 0, got {w.tolist()}")
    return w / w.sum()


def _consistent(preds: Sequence[Predictions]) -> None:
    if not preds:
        raise EnsembleError("no members to vote with")
    first = preds[0]
    for p in preds[1:]:
        if p.ids != first.ids or p.classes != first.classes:
            raise EnsembleError(f"{p.source}: not aligned with {first.source}; load members with load_predictions()")


def vote(preds: Sequence[Predictions], method: str = "soft", weights: Sequence[float] | None = None,
         name: str = "ensemble") -> Predictions:
    """Combine aligned members.

    soft:     probabilities = (weighted) mean of the members' probabilities; label = argmax.
    weighted: soft with explicit weights (required).
    hard:     each member votes for its `label` (with its weight, default 1); the most votes win.
              Ties go to the tied class with the highest summed (weighted) probability, then to the
              class listed first. Output probabilities are the vote shares.
    Remaining argmax ties in soft voting go to the class listed first (np.argmax).
    """
    _consistent(preds)
    if method not in METHODS:
        raise EnsembleError(f"voting method {method!r} is not one of {', '.join(METHODS)}")
    if method == "weighted" and weights is None:
        raise EnsembleError("method 'weighted' needs weights (given, or derived from member scores)")
    w = check_weights(weights if weights is not None else np.ones(len(preds)), len(preds))
    stacked = np.stack([p.probs for p in preds])                 # (members, samples, classes)
    mean_probs = np.tensordot(w, stacked, axes=1)                # weighted mean (weights sum to 1)
    if method in ("soft", "weighted"):
        probs = mean_probs
        labels = probs.argmax(axis=1)
    else:
        n, c = preds[0].probs.shape
        votes = np.zeros((n, c))
        rows = np.arange(n)
        for weight, p in zip(w, preds):
            np.add.at(votes, (rows, p.labels), weight)
        top = votes.max(axis=1, keepdims=True)
        tied = np.isclose(votes, top, rtol=0, atol=1e-12)
        # among tied classes the highest summed probability; -inf hides the others
        labels = np.where(tied, mean_probs, -np.inf).argmax(axis=1)
        probs = votes / votes.sum(axis=1, keepdims=True)
    return Predictions(name=name, source="", ids=list(preds[0].ids), classes=list(preds[0].classes),
                       probs=probs, labels=labels.astype(np.int64))


def weights_from_scores(scores: Sequence[float], objective_type: str = "maximize") -> np.ndarray:
    """Weights proportional to each member's validation objective (maximize) or to its inverse
    (minimize, e.g. a loss); values must be > 0 either way."""
    s = np.asarray(scores, dtype=np.float64)
    if objective_type not in ("maximize", "minimize"):
        raise EnsembleError(f"objective type {objective_type!r} is not maximize or minimize")
    if not np.all(np.isfinite(s)) or np.any(s <= 0):
        raise EnsembleError(f"weights from scores need finite scores > 0, got {s.tolist()}; give --weights instead")
    return check_weights(s if objective_type == "maximize" else 1.0 / s, len(s))
