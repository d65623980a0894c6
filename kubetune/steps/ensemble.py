"""The pipeline's ensemble step: predict the held-out test split with each top-k trial's checkpoint
(trainer.predict), then vote soft and hard over those predictions (kubetune.ensemble) and compare
every member with both ensembles.

Writes into out_dir: members/<trial>/preds.csv, ensemble-soft.csv, ensemble-hard.csv, report.json
(both kubetune.ensemble reports plus a summary).
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable

from kubetune.steps import say as say_line

METHODS = ("soft", "hard", "weighted")


class EnsembleStepError(ValueError):
    pass


def predict_members(trials: list[dict], test_csv: str, out_dir: str, *, device: str = "auto",
                    say: Callable[[str], None] = say_line) -> list[str]:
    """One prediction CSV per trial (dicts with `name` and `checkpoint`), in the trials' order."""
    from trainer.predict import predict

    paths = []
    for t in trials:
        out = Path(out_dir) / "members" / t["name"] / "preds.csv"
        if not Path(t["checkpoint"]).is_file():
            raise EnsembleStepError(f"trial {t['name']}: checkpoint {t['checkpoint']} does not exist (is the models "
                                    "volume mounted at the same path as in the trials?)")
        summary = predict(t["checkpoint"], test_csv, str(out), device=device)
        say(f"predicted {summary['images']} test images with {t['name']}"
            + (f": accuracy {summary['accuracy']:.4f}" if "accuracy" in summary else ""))
        paths.append(str(out))
    return paths


def ensemble_top_k(trials: list[dict], test_csv: str, out_dir: str, *, method: str = "soft",
                   objective_type: str = "maximize", device: str = "auto",
                   say: Callable[[str], None] = say_line) -> dict[str, Any]:
    """Predict, vote (soft and hard, plus `method` when it is weighted), evaluate. Returns the summary
    (also in report.json): chosen method, its metrics and confusion matrix, each member's metrics."""
    from kubetune.ensemble import EnsembleError, run_ensemble

    if method not in METHODS:
        raise EnsembleStepError(f"ensemble method {method!r}: must be one of {', '.join(METHODS)}")
    if not trials:
        raise EnsembleStepError("no trials to ensemble: the search step returned none")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = predict_members(trials, test_csv, out_dir, device=device, say=say)
    names = [t["name"] for t in trials]
    scores = [float(t["objective"]) for t in trials] if all(t.get("objective") is not None for t in trials) else None
    reports = {}
    try:
        for m in dict.fromkeys(["soft", "hard", method]):
            result = run_ensemble(paths, m, scores=scores if m == "weighted" else None, objective_type=objective_type,
                                  labels=test_csv, out=str(out / f"ensemble-{m}.csv"), names=names)
            reports[m] = result.report
    except EnsembleError as e:
        raise EnsembleStepError(str(e)) from None
    chosen = reports[method]["ensemble"]["metrics"]
    members = [{"name": r["name"], "score": s, "accuracy": r["metrics"]["accuracy"], "macro_f1": r["metrics"]["macro_f1"]}
               for r, s in zip(reports[method]["members"], scores or [None] * len(names))]
    summary = {
        "method": method,
        "members": members,
        "classes": chosen["classes"],
        "confusion_matrix": chosen["confusion_matrix"],
        "accuracy": chosen["accuracy"],
        "macro_f1": chosen["macro_f1"],
        "by_method": {m: {"accuracy": r["ensemble"]["metrics"]["accuracy"],
                          "macro_f1": r["ensemble"]["metrics"]["macro_f1"]} for m, r in reports.items()},
        "best_member": reports[method]["best_member"],
        "gain": reports[method]["ensemble_gain"],
        "predictions": str(out / f"ensemble-{method}.csv"),
        "samples": reports[method]["samples"],
    }
    (out / "report.json").write_text(json.dumps({"summary": summary, "reports": reports}, indent=2) + "\n",
                                     encoding="utf-8")
    say(f"ensemble of {len(trials)} ({method}): accuracy {summary['accuracy']:.4f}, macro F1 {summary['macro_f1']:.4f}; "
        f"best member {summary['best_member']['name']} {summary['best_member']['accuracy']:.4f}; "
        + ", ".join(f"{m} {v['accuracy']:.4f}" for m, v in summary["by_method"].items()))
    return summary
