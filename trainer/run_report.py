"""What a run reports: the metric line of each epoch, the reporter it goes through, summary.json.

Metric names are documented in trainer/report.py (unprefixed = validation, train_* = training);
only rank 0 reports. Non-finite values are left out of the line (Katib cannot parse them) and logged.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from trainer.config.schema import TrainConfig
from trainer.report import MetricsReporter, finite_only, log, penalised_score
from trainer.run_state import RunState


def make_reporter(cfg: TrainConfig, out: Path) -> MetricsReporter:
    tb = str(out / "tensorboard") if cfg.tensorboard else None
    return MetricsReporter(metrics_file=cfg.metrics_file, metrics_format=cfg.metrics_format,
                           timestamps=cfg.metrics_timestamps, tensorboard_dir=tb)


def epoch_metrics(cfg: TrainConfig, epoch: int, train_m: dict[str, float], val_m: dict[str, float], elapsed: float,
                  params: int, macs: int) -> dict[str, Any]:
    """The metrics of a finished epoch, in the order of the metric line."""
    metrics: dict[str, Any] = {"epoch": epoch + 1, "accuracy": val_m["accuracy"], "loss": val_m["loss"]}
    if "top5" in val_m:
        metrics["top5"] = val_m["top5"]
    metrics.update(f1=val_m["f1"], val_accuracy=val_m["accuracy"], val_loss=val_m["loss"],
                   train_loss=train_m["loss"], train_accuracy=train_m["accuracy"],
                   lr=train_m["lr"], epoch_time=round(elapsed, 3))
    if cfg.score_params_budget or cfg.score_macs_budget:  # scalarised objective for Katib
        metrics["score"] = penalised_score(val_m["accuracy"], params, macs,
                                           params_budget=cfg.score_params_budget,
                                           macs_budget=cfg.score_macs_budget, weight=cfg.score_lambda)
    return metrics


def report_epoch(reporter: MetricsReporter, metrics: dict[str, Any]) -> None:
    kept, dropped = finite_only(metrics)
    if dropped:
        log(f"not reporting non-finite {', '.join(dropped)}")
    reporter.report(kept, step=metrics["epoch"])


def run_summary(cfg: TrainConfig, state: RunState, last: dict[str, Any], best_metric: str, best_mode: str,
                meta: dict[str, Any], out: Path) -> dict[str, Any]:
    """What `train` returns and rank 0 writes to <out>/summary.json."""
    return {"epochs_completed": state.epoch, "epochs": cfg.epochs,
            "best": {"metric": best_metric, "mode": best_mode, "value": state.best_value, "epoch": state.best_epoch},
            "final": last, "model": meta["model_name"], "model_kwargs": meta["model_kwargs"],
            "params": meta["params"], "macs": meta["macs"], "classes": meta["classes"], "output": str(out)}


def write_summary(out: Path, summary: dict[str, Any]) -> None:
    (out / "summary.json").write_text(json.dumps(summary, indent=2, default=str) + "\n", encoding="utf-8")
