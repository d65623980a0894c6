"""The pipeline's report: a Markdown leaderboard (every trial, its parameters and metrics), the
chosen model and where it was published, the ensemble against its members, the confusion matrix."""
from __future__ import annotations

from typing import Any


def _fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value).replace("|", "\\|")


def _table(header: list[str], rows: list[list[Any]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(_fmt(c) for c in row) + " |" for row in rows]
    return lines


def leaderboard_markdown(search: dict, model: dict | None, ensemble: dict | None, *, title: str = "kubetune run",
                         dataset: dict | None = None) -> str:
    """Markdown from the search step's SearchResult JSON, the export step's PublishedModel JSON and
    the ensemble step's summary (each may be None when that step did not run)."""
    metric, direction = search["objective_metric"], search["objective_type"]
    trials = search["trials"]
    top_names = [t["name"] for t in search.get("top") or []]
    best = (search.get("top") or [None])[0]
    out = [f"# {title}", ""]
    out.append(f"Experiment **{search['experiment']}** ({search['backend']} backend"
               + (f", namespace {search['namespace']}" if search.get("namespace") else "") + f"): "
               f"{len(trials)} trials, objective **{metric}** ({direction}).")
    if dataset:
        counts = dataset.get("counts") or {}
        out.append(f"Dataset `{dataset.get('source')}`: {len(dataset.get('classes') or [])} classes, "
                   f"train {counts.get('train')}, val {counts.get('val')}, test {counts.get('test')}"
                   + (f", {len(dataset['skipped'])} unreadable images skipped" if dataset.get("skipped") else "") + ".")
    out.append("")
    if best:
        out.append(f"**Chosen model:** trial `{best['name']}`, {metric} = {_fmt(best['objective'])}"
                   + (" (" + ", ".join(f"{k}={v}" for k, v in best["params"].items()) + ")" if best["params"] else ""))
    if model:
        files = model.get("files")
        count = f"{int(files)} files" if isinstance(files, (int, float)) else "files"
        out.append(f"published to `{model['model_uri']}` (serving root `{model['serving_uri']}`, "
                   f"{count} with sha256 in MANIFEST.json)")
    out += ["", "## Leaderboard", ""]
    params = list(dict.fromkeys(k for t in trials for k in t["params"]))
    metrics = list(dict.fromkeys(m for t in trials for m in t["metrics"] if m != metric))
    rows = []
    for i, t in enumerate(trials, 1):
        mark = " (ensemble)" if t["name"] in top_names else ""
        rows.append([i, f"{t['name']}{mark}", t["state"], t["objective"],
                     *[t["metrics"].get(m) for m in metrics], *[t["params"].get(p) for p in params]])
    out += _table(["#", "trial", "state", metric, *metrics, *params], rows)
    if ensemble:
        out += ["", f"## Ensemble of the top {len(ensemble['members'])} ({ensemble['method']} voting) on the "
                    f"test split ({ensemble['samples']} images)", ""]
        rows = [[m["name"], m["score"], m["accuracy"], m["macro_f1"]] for m in ensemble["members"]]
        rows += [[f"**ensemble ({name})**", None, v["accuracy"], v["macro_f1"]]
                 for name, v in ensemble["by_method"].items()]
        out += _table(["model", f"validation {metric}", "test accuracy", "test macro F1"], rows)
        gain = ensemble["gain"]
        out += ["", f"Ensemble vs best member ({ensemble['best_member']['name']}): accuracy {gain['accuracy']:+.4f}, "
                    f"macro F1 {gain['macro_f1']:+.4f}.", "", "### Confusion matrix (rows: true class, columns: "
                    "predicted)", ""]
        classes = ensemble["classes"]
        out += _table(["true \\ predicted", *classes],
                      [[c, *row] for c, row in zip(classes, ensemble["confusion_matrix"])])
    return "\n".join(out) + "\n"
