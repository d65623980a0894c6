"""Accuracy, macro F1, per-class precision/recall/F1 and the confusion matrix (numpy only).

Conventions (the same as scikit-learn's defaults): macro F1 averages over the classes that occur
in the true or the predicted labels; a precision/recall/F1 whose denominator is 0 counts as 0.
"""
from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from kubetune.ensemble.predictions import EnsembleError, Predictions, true_indices


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, n_classes: int) -> np.ndarray:
    """cm[i, j] = samples of true class i predicted as class j."""
    cm = np.zeros((n_classes, n_classes), dtype=np.int64)
    np.add.at(cm, (y_true, y_pred), 1)
    return cm


def _safe_div(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    return np.divide(num, den, out=np.zeros_like(num, dtype=np.float64), where=den > 0)


def classification_metrics(y_true: np.ndarray, y_pred: np.ndarray, classes: list[str]) -> dict[str, Any]:
    y_true, y_pred = np.asarray(y_true, dtype=np.int64), np.asarray(y_pred, dtype=np.int64)
    if y_true.shape != y_pred.shape or y_true.ndim != 1 or y_true.size == 0:
        raise EnsembleError(f"need two equally long, non-empty label vectors, got {y_true.shape} and {y_pred.shape}")
    cm = confusion_matrix(y_true, y_pred, len(classes))
    tp = np.diag(cm).astype(np.float64)
    predicted, support = cm.sum(axis=0).astype(np.float64), cm.sum(axis=1).astype(np.float64)
    precision, recall = _safe_div(tp, predicted), _safe_div(tp, support)
    f1 = _safe_div(2 * precision * recall, precision + recall)
    present = (support > 0) | (predicted > 0)
    return {
        "samples": int(y_true.size),
        "accuracy": float(tp.sum() / y_true.size),
        "macro_f1": float(f1[present].mean()),
        "per_class": {c: {"precision": float(precision[i]), "recall": float(recall[i]), "f1": float(f1[i]),
                          "support": int(support[i])} for i, c in enumerate(classes)},
        "classes": list(classes),
        "confusion_matrix": cm.tolist(),
    }


def evaluate(pred: Predictions, labels: Mapping[str, str] | np.ndarray, source: str = "labels") -> dict[str, Any]:
    """Metrics of `pred` against the true labels: an id -> label mapping (read_labels) or an array of
    class indices aligned with pred.ids."""
    y_true = np.asarray(labels, dtype=np.int64) if isinstance(labels, np.ndarray) else true_indices(pred, labels, source)
    if y_true.shape != pred.labels.shape:
        raise EnsembleError(f"{source}: {y_true.size} true labels for {len(pred)} predictions")
    return classification_metrics(y_true, pred.labels, pred.classes)
