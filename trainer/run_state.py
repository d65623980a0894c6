"""What a run carries from epoch to epoch and across a resume: progress, the best epoch, checkpoints.

Every epoch rank 0 writes last.pt (atomically) and copies it to best.pt when the best metric
improved; `--resume` restores optimizer, scheduler, scaler, progress and (single process) the RNG
states, so with `deterministic` a resumed run is bit-identical to an uninterrupted one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from torch import nn

from trainer import checkpoint as ckpt_io
from trainer.config.schema import TrainConfig
from trainer.errors import ConfigError

# Keys that describe this invocation, not the run: a resumed run does not inherit them.
NOT_INHERITED = ("resume", "stop_after_epochs", "init_weights", "device", "gpu", "workers", "threads",
                 "checkpoint_pool")


@dataclass
class RunState:
    epoch: int = 0               # completed epochs
    global_step: int = 0
    best_value: float | None = None
    best_epoch: int = -1


def best_rule(cfg: TrainConfig, num_classes: int) -> tuple[str, str]:
    """(metric, 'max'|'min') that selects best.pt."""
    metric = cfg.best_metric
    if metric == "top5" and num_classes < 5:
        raise ConfigError(f"best_metric: top5 is not reported for {num_classes} classes (needs at least 5)")
    mode = cfg.best_mode
    if mode == "auto":
        mode = "min" if metric.endswith("loss") else "max"
    return metric, mode


def update_best(state: RunState, metrics: dict[str, Any], metric: str, mode: str) -> bool:
    """Record this epoch as the best if it improves on the best so far; whether it did."""
    value = metrics.get(metric)
    if value is None or not math.isfinite(value):
        return False
    best = state.best_value
    if best is None or (value > best if mode == "max" else value < best):
        state.best_value, state.best_epoch = float(value), int(metrics["epoch"])
        return True
    return False


def restore(resume: dict[str, Any], optimizer, scheduler, scaler, world: int) -> RunState:
    """Load a checkpoint's optimisation state into these objects; the run's progress from it."""
    optimizer.load_state_dict(resume["optimizer"])
    scheduler.load_state_dict(resume["scheduler"])
    # The schedule is this run's (rebuilt from its config: a continued run may have a larger --epochs),
    # so the next step's LR follows it; for an unchanged config this is the LR that was saved.
    for group, base_lr, factor in zip(optimizer.param_groups, scheduler.base_lrs, scheduler.lr_lambdas):
        group["lr"] = base_lr * factor(scheduler.last_epoch)
    scheduler._last_lr = [group["lr"] for group in optimizer.param_groups]
    if scaler is not None and resume.get("scaler"):
        scaler.load_state_dict(resume["scaler"])
    best = resume.get("best") or {}
    state = RunState(epoch=int(resume["epoch"]), global_step=int(resume["global_step"]),
                     best_value=best.get("value"), best_epoch=int(best.get("epoch", -1)))
    if world == 1:
        ckpt_io.set_rng_state(resume["rng"])   # exact continuation (per-rank states are not saved)
    return state


def save_checkpoint(out: Path, cfg: TrainConfig, state: RunState, raw_model: nn.Module, optimizer, scheduler,
                    scaler, meta: dict[str, Any], metrics: dict[str, Any], improved: bool, best_metric: str,
                    best_mode: str) -> None:
    """Write <out>/last.pt (format in trainer.checkpoint); copy it to best.pt when `improved`."""
    payload = {
        "format": ckpt_io.FORMAT,
        "epoch": state.epoch,
        "global_step": state.global_step,
        "model": raw_model.state_dict(),
        "optimizer": optimizer.state_dict(),
        "scheduler": scheduler.state_dict(),
        "scaler": scaler.state_dict() if scaler is not None else {},
        "rng": ckpt_io.rng_state(),
        "config": cfg.to_dict(),
        "metrics": {k: float(v) for k, v in metrics.items()},
        "best": {"metric": best_metric, "mode": best_mode, "value": state.best_value, "epoch": state.best_epoch},
        **meta,
    }
    ckpt_io.save_atomic(payload, out / ckpt_io.LAST)
    if improved:
        ckpt_io.copy_atomic(out / ckpt_io.LAST, out / ckpt_io.BEST)
