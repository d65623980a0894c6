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
    if cfg.precise_bn_batches < 0:
        raise bad("precise_bn_batches", "must be 0 (off) or a positive number of batches")
    if cfg.bn_momentum is not None and not 0 < cfg.bn_momentum <= 1:
        raise bad("bn_momentum", "must be in (0, 1] (PyTorch's convention; TensorFlow's 0.99 is 0.01 here)")
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


# option -> (the choice that decides whether it is read, the values that read it)
READ_BY = {
    "momentum": ("optimizer", ("sgd", "rmsprop")),
    "betas": ("optimizer", ("adam", "adamw")),
    "eps": ("optimizer", ("adam", "adamw", "rmsprop")),
    "lr_gamma": ("scheduler", ("step", "steplr")),
    "milestones": ("scheduler", ("step",)),
    "step_size": ("scheduler", ("steplr",)),
    "min_lr": ("scheduler", ("cosine",)),
    "pct_start": ("scheduler", ("onecycle",)),
    "focal_gamma": ("loss", ("focal",)),
    "smoothing": ("loss", ("label_smoothing",)),
}


def ignored_options(cfg: TrainConfig) -> list[str]:
    """Options set away from their default that the chosen optimizer, schedule or loss does not read,
    each as one sentence (the run logs them and lists them in summary.json: a search over them is wasted)."""
    from trainer.config.schema import SPECS
    out = []
    for key, (choice_key, readers) in READ_BY.items():
        value, choice = cfg.get(key), cfg.get(choice_key)
        if value != SPECS[key].default and choice not in readers:
            out.append(f"{key} {value!r} has no effect with {choice_key} {choice} (read by {choice_key} "
                       f"{' / '.join(readers)})")
    return out
