"""The pipeline's report: a Markdown leaderboard (every trial, its parameters and metrics), the
chosen model and where it was published, the ensemble against its members, the confusion matrix."""
from __future__ import annotations

from typing import Any

from kubetune.numbers import human, signed


def _fmt(value: Any) -> str:
    """A cell: numbers (and numeric assignment strings) with a few significant digits."""
    return human(value).replace("|", "\\|")


def confusion_summary(classes: list[str], matrix: list[list[float]], top: int = 3) -> str:
    """One line about a confusion matrix: how much is on the diagonal, and the most frequent
    confusions ("3 -> 8: 4 images"), so nobody has to read a 10x10 grid to see what goes wrong."""
    total = sum(sum(row) for row in matrix)
    right = sum(matrix[i][i] for i in range(min(len(matrix), len(classes))))
    mistakes = sorted(((matrix[i][j], classes[i], classes[j]) for i in range(len(matrix))
                       for j in range(len(matrix[i])) if i != j and matrix[i][j]), key=lambda m: -m[0])
    text = f"{int(right)} of {int(total)} test images right ({human(right / total if total else 0.0)})"
    if mistakes:
        text += "; most confused: " + ", ".join(f"{t} -> {p} ({int(n)}x)" for n, t, p in mistakes[:top])
    return text


def ensemble_lines(ensemble: dict) -> list[str]:
    """Like with like, on the test split: the best trial (by validation) against the ensemble."""
    best = ensemble["best_member"]
    first = (ensemble.get("members") or [{}])[0]
    gain = ensemble["gain"]
    lines = []
    if first.get("name"):
        lines.append(f"test accuracy of the chosen trial {first['name']}: {human(first['accuracy'])}")
    lines.append(f"test accuracy of the ensemble ({ensemble['method']} voting, {len(ensemble['members'])} members): "
                 f"{human(ensemble['accuracy'])}, {signed(gain['accuracy'])} over its best member {best['name']} "
                 f"({human(best['accuracy'])}); macro F1 {human(ensemble['macro_f1'])} ({signed(gain['macro_f1'])})")
    return lines


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
        out.append(f"**Chosen model:** trial `{best['name']}`, validation {metric} = {_fmt(best['objective'])}"
                   + (" (" + ", ".join(f"{k}={_fmt(v)}" for k, v in best["params"].items()) + ")"
                      if best["params"] else ""))
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
        classes = ensemble["classes"]
        out += [""] + [f"- {line}" for line in ensemble_lines(ensemble)]
        out += [f"- {confusion_summary(classes, ensemble['confusion_matrix'])}"]
        out += ["", "### Confusion matrix (rows: true class, columns: predicted)", ""]
        out += _table(["true \\ predicted", *classes],
                      [[c, *row] for c, row in zip(classes, ensemble["confusion_matrix"])])
    return "\n".join(out) + "\n"
