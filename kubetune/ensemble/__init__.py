"""Ensembles over prediction CSVs (`id,label,prob_<class>...`): soft / weighted / hard voting,
top-k members by validation objective, and metrics of every member and the ensemble.

    from kubetune.ensemble import load_predictions, vote, evaluate, read_labels
    members = load_predictions(["a.csv", "b.csv", "c.csv"])
    ens = vote(members, "soft")
    print(evaluate(ens, read_labels("test.csv"))["accuracy"])

`run_ensemble(...)` does all of it in one call (the CLI and the pipeline use it). See docs/ensemble.md.
"""
from kubetune._lazy import lazy_exports

# Lazy, so that registering the `kubetune ensemble` command does not import numpy.
_EXPORTS = {
    **dict.fromkeys(["classification_metrics", "confusion_matrix", "evaluate"], ".metrics"),
    "scores_from_experiment": ".objectives",
    **dict.fromkeys(["EnsembleError", "Predictions", "load_predictions", "read_labels", "read_predictions",
                     "true_indices", "write_predictions"], ".predictions"),
    **dict.fromkeys(["EnsembleResult", "report_table", "run_ensemble"], ".report"),
    "select_top_k": ".selection",
    **dict.fromkeys(["METHODS", "check_weights", "vote", "weights_from_scores"], ".voting"),
}
__getattr__ = lazy_exports(__name__, _EXPORTS)
__all__ = [
    "Predictions", "EnsembleError", "load_predictions", "read_predictions", "read_labels", "true_indices",
    "write_predictions", "vote", "weights_from_scores", "check_weights", "METHODS", "select_top_k", "evaluate",
    "classification_metrics", "confusion_matrix", "run_ensemble", "EnsembleResult", "report_table",
    "scores_from_experiment",
]
