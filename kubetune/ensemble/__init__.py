"""Ensembles over prediction CSVs (`id,label,prob_<class>...`): soft / weighted / hard voting,
top-k members by validation objective, and metrics of every member and the ensemble.

    from kubetune.ensemble import load_predictions, vote, evaluate, read_labels
    members = load_predictions(["a.csv", "b.csv", "c.csv"])
    ens = vote(members, "soft")
    print(evaluate(ens, read_labels("test.csv"))["accuracy"])

`run_ensemble(...)` does all of it in one call (the CLI and the pipeline use it). See docs/ensemble.md.
"""
from kubetune.ensemble.metrics import classification_metrics, confusion_matrix, evaluate
from kubetune.ensemble.objectives import scores_from_experiment
from kubetune.ensemble.predictions import (EnsembleError, Predictions, load_predictions, read_labels,
                                           read_predictions, true_indices, write_predictions)
from kubetune.ensemble.report import EnsembleResult, report_table, run_ensemble
from kubetune.ensemble.selection import select_top_k
from kubetune.ensemble.voting import METHODS, check_weights, vote, weights_from_scores

__all__ = [
    "Predictions", "EnsembleError", "load_predictions", "read_predictions", "read_labels", "true_indices",
    "write_predictions", "vote", "weights_from_scores", "check_weights", "METHODS", "select_top_k", "evaluate",
    "classification_metrics", "confusion_matrix", "run_ensemble", "EnsembleResult", "report_table",
    "scores_from_experiment",
]
