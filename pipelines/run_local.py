"""The whole pipeline on kfp.local's SubprocessRunner (no cluster, no Docker): search backend
`local`, a local directory as the store, everything under one output directory:

    <out>/model/               the exported model fetched back from the store (verified): ONNX,
                               metadata.json, Triton layout, MANIFEST.json
    <out>/leaderboard.md       the report step's Markdown
    <out>/metrics.json         search and ensemble metrics (what the KFP UI shows)
    <out>/confusion_matrix.csv the ensemble's confusion matrix (also in leaderboard.md)
    <out>/predictions.csv      the ensemble's test predictions
    <out>/experiment.yaml      the Katib Experiment the search ran (the same one Katib would get)
    <out>/summary.json         all of the above, with the paths
    <out>/pipeline.log         every step's full log
    <out>/store/  <out>/work/  <out>/kfp/   the store, trial outputs + engine state, KFP's own outputs
"""
from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import re
import shutil
import sys
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from kubetune.steps import say as say_line


class LocalRunError(RuntimeError):
    pass


@dataclass
class LocalRunResult:
    out_dir: Path
    run_dir: Path                      # kfp.local's directory of this run
    seconds: float
    files: dict[str, str] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)
    model_uri: str = ""
    ensemble: dict[str, Any] = field(default_factory=dict)  # the ensemble step's summary (report.json)
    trial: str = ""  # the chosen (best) trial


def _single(pattern: str, root: Path) -> Path:
    found = sorted(root.glob(pattern))
    if len(found) != 1:
        raise LocalRunError(f"expected one {pattern} under {root}, found {len(found)}")
    return found[0]


def _executor_metadata(task_dir: Path, output: str) -> dict:
    """An output artifact's metadata from kfp.local's executor_output.json."""
    data = json.loads((task_dir / "executor_output.json").read_text(encoding="utf-8"))
    artifacts = (data.get("artifacts") or {}).get(output, {}).get("artifacts") or [{}]
    return artifacts[0].get("metadata") or {}


_ANSI = re.compile(r"\x1b\[[0-9;]*m")
# kfp's executor bookkeeping: every step logs where it looked for its component and wrote its output
_CHATTER = ("[KFP Executor", "Streamed logs:")


class _StepLog(io.TextIOBase):
    """stdout while kfp.local runs: everything goes to <out>/pipeline.log; the terminal gets the steps'
    own lines and kfp's "Executing task" / "finished with status" lines, without the executor-input
    JSON kfp prints at the start of every step (dozens of lines each) and its executor chatter
    (`verbose` keeps the chatter). Escape codes reach only a terminal."""

    def __init__(self, terminal, log_file, verbose: bool = False):
        self.terminal, self.log_file, self.verbose = terminal, log_file, verbose
        self.partial = ""
        self.skipping = False
        try:
            self.tty = terminal.isatty() and "NO_COLOR" not in os.environ
        except (AttributeError, ValueError):
            self.tty = False

    def write(self, text: str) -> int:
        self.log_file.write(text)
        self.partial += text
        *lines, self.partial = self.partial.split("\n")
        for line in lines:
            if self.skipping:
                self.skipping = line.rstrip() != "    }"  # the dump's closing brace (kfp indents by 4)
                continue
            if "Got executor_input:" in line:
                self.skipping = True
                continue
            plain = _ANSI.sub("", line)
            if not self.verbose and (any(c in plain for c in _CHATTER) or not plain.strip()):
                continue
            self.terminal.write((line if self.tty else plain) + "\n")
        return len(text)

    def flush(self) -> None:
        self.log_file.flush()
        self.terminal.flush()


def run_local_pipeline(out_dir: str | os.PathLike[str], *, dataset: str, arguments: dict[str, Any] | None = None,
                       store: str | None = None, say: Callable[[str], None] = say_line,
                       verbose: bool = False) -> LocalRunResult:
    """Run the pipeline with kfp.local and collect its outputs into out_dir (see the module doc).
    `arguments` are further pipeline parameters (model, max_trials, epochs, ...)."""
    from kfp import local

    from pipelines.kubetune_pipeline import build_pipeline
    from kubetune.store import store_from_uri

    out = Path(out_dir).absolute()
    if out.exists() and any(out.iterdir()):
        raise LocalRunError(f"output directory {out} is not empty: give a new one")
    out.mkdir(parents=True, exist_ok=True)
    dataset_path = dataset if "://" in dataset else str(Path(dataset).absolute())
    params = {"backend": "local", "gpus_per_trial": 0, **(arguments or {}), "dataset": dataset_path,
              "work_dir": str(out / "work"), "store": store or str(out / "store")}
    pipeline_root = out / "kfp"
    local.init(runner=local.SubprocessRunner(use_venv=False), pipeline_root=str(pipeline_root),
               raise_on_error=True, enable_caching=False)
    started = time.monotonic()
    say(f"running the kubetune pipeline with kfp.local (SubprocessRunner) into {out}")
    log_path = out / "pipeline.log"
    try:
        with warnings.catch_warnings(), open(log_path, "w", encoding="utf-8") as log_file, \
                contextlib.redirect_stdout(_StepLog(sys.stdout, log_file, verbose)):
            # expected under kfp.local: the images are not used, display names do nothing
            warnings.filterwarnings("ignore", message=".*non-Python base image.*")
            warnings.filterwarnings("ignore", message=".*have no effect in the current local runner.*")
            task = build_pipeline(for_local=True)(**params)
    except RuntimeError as e:  # kfp.local: "Pipeline 'kubetune' finished with status FAILURE..."
        plain = _ANSI.sub("", str(e))  # kfp colours its messages
        raise LocalRunError(f"{plain} (each step's log is above and in {log_path}; its files are under "
                            f"{pipeline_root})") from None
    seconds = time.monotonic() - started
    run_dir = _single("kubetune-*", pipeline_root)
    return _collect(out, run_dir, task.outputs, seconds, store_from_uri(params["store"]), say)


def _collect(out: Path, run_dir: Path, outputs: dict, seconds: float, store, say) -> LocalRunResult:
    model, leaderboard = outputs["model"], outputs["leaderboard"]
    ens_metrics, confusion = outputs["metrics"], outputs["confusion_matrix"]
    result = LocalRunResult(out_dir=out, run_dir=run_dir, seconds=seconds, model_uri=model.metadata["store_uri"])

    store_root = Path(store.uri(""))
    prefix = Path(result.model_uri).relative_to(store_root).as_posix()
    store.fetch(prefix, out / "model")  # verified against MANIFEST.json
    shutil.copyfile(leaderboard.path, out / "leaderboard.md")
    search_dir = _single("search", run_dir)
    shutil.copyfile(search_dir / "experiment" / "experiment.yaml", out / "experiment.yaml")
    predictions = _single("ensemble", run_dir) / "predictions"
    summary = json.loads((predictions / "report.json").read_text(encoding="utf-8"))["summary"]
    result.ensemble, result.trial = summary, str(model.metadata.get("trial") or "")
    shutil.copyfile(summary["predictions"], out / "predictions.csv")

    matrix = confusion.metadata["confusionMatrix"]
    classes = [spec["displayName"] for spec in matrix["annotationSpecs"]]
    with open(out / "confusion_matrix.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["true\\predicted", *classes])
        for name, row in zip(classes, matrix["rows"]):
            writer.writerow([name, *[int(v) for v in row["row"]]])
    result.metrics = {"search": _executor_metadata(search_dir, "metrics"), "ensemble": dict(ens_metrics.metadata)}
    (out / "metrics.json").write_text(json.dumps(result.metrics, indent=2) + "\n", encoding="utf-8")
    result.files = {name: str(out / name) for name in ("model", "leaderboard.md", "metrics.json", "confusion_matrix.csv",
                                                        "predictions.csv", "experiment.yaml")}
    (out / "summary.json").write_text(json.dumps({
        "seconds": round(seconds, 1), "model_uri": result.model_uri,
        "serving_uri": model.metadata.get("serving_uri"), "trial": model.metadata.get("trial"),
        "files": result.files, "metrics": result.metrics, "kfp_run_dir": str(run_dir)}, indent=2) + "\n",
        encoding="utf-8")
    result.files["summary.json"] = str(out / "summary.json")
    result.files["pipeline.log"] = str(out / "pipeline.log")
    return result
