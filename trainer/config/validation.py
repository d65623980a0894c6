"""Range and consistency checks on a built TrainConfig; each error names the key and the fix."""

from __future__ import annotations

import re

from trainer.config.coercion import to_list
from trainer.config.schema import TrainConfig
from trainer.errors import ConfigError


def validate(cfg: TrainConfig) -> None:
    def bad(key: str, why: str) -> ConfigError:
        return ConfigError(f"{key}: {why} (got {cfg.get(key)!r})")

    positive = ("epochs", "batch_size", "image_size", "channels", "step_size")
    for key in positive:
        if cfg.get(key) <= 0:
            raise bad(key, "must be > 0")
    if not cfg.lr > 0:
        raise bad("lr", "must be > 0")
    if not 0 < cfg.val_ratio < 1:
        raise bad("val_ratio", "must be between 0 and 1")
    for key in ("weight_decay", "momentum", "grad_clip", "warmup_epochs", "min_lr", "smoothing", "focal_gamma",
                "stop_after_epochs", "score_params_budget", "score_macs_budget", "score_lambda"):
        if cfg.get(key) < 0:
            raise bad(key, "must be >= 0")
    if cfg.smoothing >= 1:
        raise bad("smoothing", "must be < 1")
    if not 0 < cfg.pct_start < 1:
        raise bad("pct_start", "must be between 0 and 1")
    if len(cfg.betas) != 2 or not all(0 <= b < 1 for b in cfg.betas):
        raise bad("betas", "needs two values in [0, 1), e.g. 0.9,0.999")
    if cfg.scheduler == "step" and not cfg.milestones:
        raise bad("milestones", "scheduler step needs milestones, e.g. --milestones 10,20,25")
    if cfg.optimizer != "sgd" and cfg.nesterov:
        raise bad("nesterov", "only applies to sgd")
    if cfg.best_metric == "score" and not (cfg.score_params_budget or cfg.score_macs_budget):
        raise bad("best_metric", "`score` is reported only with score_params_budget or score_macs_budget set")
    if cfg.threads < 0:
        raise bad("threads", "must be 0 (auto) or > 0")
    if cfg.workers < -1:
        raise bad("workers", "must be -1 (auto) or >= 0")
    if not (cfg.device in ("auto", "cpu", "cuda", "mps") or re.fullmatch(r"cuda:\d+", cfg.device)):
        raise bad("device", "must be auto, cpu, cuda, cuda:N or mps")
    if cfg.class_weights not in ("none", "balanced"):
        try:
            to_list(cfg.class_weights, float)
        except ValueError:
            raise bad("class_weights", "must be none, balanced, or comma-separated numbers") from None
