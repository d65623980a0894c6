"""Optimizers and learning-rate schedules by name.

Every schedule is a per-iteration factor of the base LR, so `step` milestones fall exactly on epoch
boundaries while cosine/onecycle move smoothly, and all of them compose with linear warm-up.
The scheduler is a LambdaLR over a closure: its state_dict holds only numbers (weights_only-safe).
"""

from __future__ import annotations

import math
from typing import Callable, Iterable, Sequence

import torch

from trainer.config.schema import OPTIMIZERS, SCHEDULERS, TrainConfig
from trainer.errors import ConfigError


def create_optimizer(name: str, params: Iterable[torch.nn.Parameter], *, lr: float, momentum: float = 0.9,
                     nesterov: bool = False, weight_decay: float = 0.0,
                     betas: Sequence[float] = (0.9, 0.999), eps: float = 1e-8) -> torch.optim.Optimizer:
    params = [p for p in params if p.requires_grad]
    if name == "sgd":
        return torch.optim.SGD(params, lr=lr, momentum=momentum, nesterov=nesterov and momentum > 0,
                               weight_decay=weight_decay)
    if name == "adam":
        return torch.optim.Adam(params, lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay)
    if name == "adamw":
        return torch.optim.AdamW(params, lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay)
    if name == "rmsprop":
        return torch.optim.RMSprop(params, lr=lr, momentum=momentum, eps=eps, weight_decay=weight_decay)
    raise ConfigError(f"optimizer: unknown optimizer {name!r}; valid: {', '.join(OPTIMIZERS)}")


def lr_factor_fn(name: str, *, epochs: int, steps_per_epoch: int, warmup_epochs: float = 0.0,
                 milestones: Sequence[int] = (), gamma: float = 0.1, step_size: int = 1,
                 min_lr_ratio: float = 0.0, pct_start: float = 0.3) -> Callable[[int], float]:
    """factor(step) for 0-based global optimizer step `step`."""
    if name not in SCHEDULERS:
        raise ConfigError(f"scheduler: unknown schedule {name!r}; valid: {', '.join(SCHEDULERS)}")
    spe = max(1, steps_per_epoch)
    total = max(1, epochs * spe)
    warmup = int(round(warmup_epochs * spe))
    marks = sorted(int(m) for m in milestones)

    def main(step: int) -> float:
        epoch = step // spe
        if name == "none":
            return 1.0
        if name == "step":
            return gamma ** sum(1 for m in marks if epoch >= m)
        if name == "steplr":
            return gamma ** (epoch // step_size)
        progress = min(1.0, max(0.0, (step - warmup) / max(1, total - warmup)))
        if name == "cosine":
            return min_lr_ratio + (1 - min_lr_ratio) * 0.5 * (1 + math.cos(math.pi * progress))
        # onecycle (torch's OneCycleLR shape, cosine annealing): lr/25 -> lr -> lr/25e4
        start, end = 1 / 25, 1 / 25e4
        if progress < pct_start:
            t = progress / pct_start
            return start + (1 - start) * 0.5 * (1 - math.cos(math.pi * t))
        t = (progress - pct_start) / (1 - pct_start)
        return end + (1 - end) * 0.5 * (1 + math.cos(math.pi * t))

    def factor(step: int) -> float:
        f = main(step)
        if warmup > 0 and step < warmup:
            f *= (step + 1) / warmup
        return f

    return factor


def create_scheduler(optimizer: torch.optim.Optimizer, name: str, **kwargs) -> torch.optim.lr_scheduler.LambdaLR:
    """A per-iteration scheduler: call `.step()` after every optimizer step."""
    return torch.optim.lr_scheduler.LambdaLR(optimizer, lr_factor_fn(name, **kwargs))


def build_optimizer(model: torch.nn.Module, cfg: TrainConfig) -> torch.optim.Optimizer:
    return create_optimizer(cfg.optimizer, model.parameters(), lr=cfg.lr, momentum=cfg.momentum,
                            nesterov=cfg.nesterov, weight_decay=cfg.weight_decay, betas=cfg.betas, eps=cfg.eps)


def build_scheduler(optimizer: torch.optim.Optimizer, cfg: TrainConfig,
                    steps_per_epoch: int) -> torch.optim.lr_scheduler.LambdaLR:
    return create_scheduler(optimizer, cfg.scheduler, epochs=cfg.epochs, steps_per_epoch=steps_per_epoch,
                            warmup_epochs=cfg.warmup_epochs, milestones=cfg.milestones, gamma=cfg.lr_gamma,
                            step_size=cfg.step_size, min_lr_ratio=cfg.min_lr / cfg.lr, pct_start=cfg.pct_start)
