"""One call for a whole ensemble run (what the CLI and the pipeline component use) and its table."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import numpy as np

from kubetune.ensemble.metrics import evaluate
from kubetune.ensemble.predictions import (EnsembleError, Predictions, load_predictions, read_labels,
                                           true_indices, write_predictions)
from kubetune.ensemble.selection import select_top_k
from kubetune.ensemble.voting import METHODS, check_weights, vote, weights_from_scores


@dataclass
class EnsembleResult:
    members: list[Predictions]       # every member loaded, aligned
    selected: list[int]              # indices into members that voted
    weights: list[float]             # normalised weight of each selected member
    ensemble: Predictions
    report: dict[str, Any] = field(default_factory=dict)


def run_ensemble(paths: Sequence[str | os.PathLike[str]], method: str = "soft", *,
                 weights: Sequence[float] | None = None, scores: Sequence[float] | None = None,
                 objective_type: str = "maximize", top_k: int | None = None,
                 labels: str | os.PathLike[str] | Mapping[str, str] | None = None,
                 out: str | os.PathLike[str] | None = None,
                 names: Sequence[str] | None = None) -> EnsembleResult:
    """Load, (select top-k by scores), vote, evaluate every member and the ensemble against labels
    (when given), write the ensemble CSV (when `out`), and build the JSON-able report.

    `weights` and `scores` have one value per path. Weighted voting without weights uses
    weights_from_scores(scores). Raises EnsembleError with a clear message on bad input.
    """
    if method not in METHODS:
        raise EnsembleError(f"--method {method!r} is not one of {', '.join(METHODS)}")
    if weights is not None and method == "soft":
        raise EnsembleError("weights were given with --method soft; use --method weighted (or hard for a weighted vote)")
    for what, values in (("weights", weights), ("scores", scores)):
        if values is not None and len(values) != len(paths):
            raise EnsembleError(f"{len(values)} {what} for {len(paths)} prediction files; give one per file, same order")
    if weights is not None:
        check_weights(weights, len(paths))
    if top_k is not None and scores is None:
        raise EnsembleError("--top-k needs member scores: --scores (one per file) or --objective-from EXPERIMENT")
    if method == "weighted" and weights is None and scores is None:
        raise EnsembleError("--method weighted needs --weights, or --scores / --objective-from to derive them")

    members = load_predictions(paths, names)
    selected = select_top_k(scores, top_k, objective_type) if top_k is not None else list(range(len(members)))
    chosen = [members[i] for i in selected]
    if weights is not None:
        w = check_weights([weights[i] for i in selected], len(selected))
    elif method == "weighted":
        w = weights_from_scores([scores[i] for i in selected], objective_type)  # type: ignore[index]
    else:
        w = check_weights(np.ones(len(selected)), len(selected))
    ensemble = vote(chosen, method, w if method != "soft" else None)

    truth, labels_source = None, None
    if labels is not None:
        labels_source = os.fspath(labels) if not isinstance(labels, Mapping) else "labels"
        truth = read_labels(labels) if not isinstance(labels, Mapping) else dict(labels)
    y_true = true_indices(members[0], truth, labels_source or "labels") if truth is not None else None

    member_rows = []
    for i, m in enumerate(members):
        row: dict[str, Any] = {"name": m.name, "path": m.source, "selected": i in selected,
                               "score": None if scores is None else float(scores[i]),
                               "weight": float(w[selected.index(i)]) if i in selected else 0.0}
        if y_true is not None:
            row["metrics"] = evaluate(m, y_true)
        member_rows.append(row)
    report: dict[str, Any] = {
        "method": method, "classes": list(members[0].classes), "samples": len(members[0]),
        "objective_type": objective_type if scores is not None else None,
        "top_k": top_k, "members": member_rows,
        "ensemble": {"members": [members[i].name for i in selected], "path": None},
        "labels": labels_source,
        "all_selected_agree": float(np.mean(np.all([m.labels == chosen[0].labels for m in chosen], axis=0))),
    }
    if y_true is not None:
        report["ensemble"]["metrics"] = evaluate(ensemble, y_true)
        report["labels_unused"] = len(truth) - len(members[0])  # type: ignore[arg-type]
        best = max((r for r in member_rows if r["selected"]), key=lambda r: r["metrics"]["accuracy"])
        report["best_member"] = {"name": best["name"], "accuracy": best["metrics"]["accuracy"],
                                 "macro_f1": best["metrics"]["macro_f1"]}
        report["ensemble_gain"] = {
            "accuracy": report["ensemble"]["metrics"]["accuracy"] - best["metrics"]["accuracy"],
            "macro_f1": report["ensemble"]["metrics"]["macro_f1"] - best["metrics"]["macro_f1"]}
    if out is not None:
        report["ensemble"]["path"] = str(write_predictions(ensemble, out))
    return EnsembleResult(members=members, selected=selected, weights=[float(x) for x in w],
                          ensemble=ensemble, report=report)


def report_table(report: dict[str, Any]):
    """A rich Table: one row per member, then the ensemble."""
    from rich.table import Table

    has_metrics = "metrics" in report["ensemble"]
    table = Table(title=f"ensemble: {report['method']} voting over {len(report['ensemble']['members'])} of "
                        f"{len(report['members'])} member(s), {report['samples']} samples", header_style="bold")
    for col in ("member", "selected", "score", "weight") + (("accuracy", "macro F1") if has_metrics else ()):
        table.add_column(col, justify="left" if col == "member" else "right")

    def fmt(v: Any) -> str:
        return "-" if v is None else f"{v:.4f}" if isinstance(v, float) else str(v)

    for m in report["members"]:
        metrics = (fmt(m["metrics"]["accuracy"]), fmt(m["metrics"]["macro_f1"])) if has_metrics else ()
        table.add_row(m["name"], "yes" if m["selected"] else "no", fmt(m["score"]),
                      fmt(m["weight"]) if m["selected"] else "-", *metrics)
    e = report["ensemble"]
    metrics = ((f"[bold]{fmt(e['metrics']['accuracy'])}[/]", f"[bold]{fmt(e['metrics']['macro_f1'])}[/]")
               if has_metrics else ())
    table.add_row("[bold]ensemble[/]", "", "", "", *metrics)
    return table
