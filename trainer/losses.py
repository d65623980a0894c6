"""Loss functions by name: cross_entropy, focal, label_smoothing, f1 (seed 002's set)."""

from __future__ import annotations

from typing import Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F

from trainer.config.schema import LOSSES
from trainer.errors import ConfigError


class FocalLoss(nn.Module):
    """Cross-entropy scaled by (1 - p_true)^gamma, so easy examples count less (Lin et al. 2017)."""

    def __init__(self, gamma: float = 2.0, weight: torch.Tensor | None = None):
        super().__init__()
        self.gamma = gamma
        self.register_buffer("weight", weight if weight is not None else None, persistent=False)

    def forward(self, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        log_prob = F.log_softmax(logits.float(), dim=1)
        prob = log_prob.exp()
        return F.nll_loss((1 - prob) ** self.gamma * log_prob, target, weight=self.weight)


class F1Loss(nn.Module):
    """1 - macro soft-F1 over the batch, from softmax probabilities (seed 002's F1Loss).

    Class weights, when given, weight the per-class F1 terms."""

    def __init__(self, num_classes: int, eps: float = 1e-7, weight: torch.Tensor | None = None):
        super().__init__()
        self.num_classes = num_classes
        self.eps = eps
        self.register_buffer("weight", weight if weight is not None else None, persistent=False)

    def forward(self, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        y_true = F.one_hot(target, self.num_classes).float()
        y_pred = F.softmax(logits.float(), dim=1)
        tp = (y_true * y_pred).sum(dim=0)
        fp = ((1 - y_true) * y_pred).sum(dim=0)
        fn = (y_true * (1 - y_pred)).sum(dim=0)
        precision = tp / (tp + fp + self.eps)
        recall = tp / (tp + fn + self.eps)
        f1 = (2 * precision * recall / (precision + recall + self.eps)).clamp(self.eps, 1 - self.eps)
        if self.weight is None:
            return 1 - f1.mean()
        w = self.weight / self.weight.sum()
        return 1 - (f1 * w).sum()


def create_loss(name: str, num_classes: int, *, focal_gamma: float = 2.0, smoothing: float = 0.1,
                class_weights: torch.Tensor | None = None) -> nn.Module:
    """A criterion `fn(logits [N, C], target [N]) -> scalar` by name; unknown name lists the valid ones."""
    if class_weights is not None and class_weights.numel() != num_classes:
        raise ConfigError(f"class_weights: {class_weights.numel()} values given for {num_classes} classes")
    if name == "cross_entropy":
        return nn.CrossEntropyLoss(weight=class_weights)
    if name == "label_smoothing":
        return nn.CrossEntropyLoss(weight=class_weights, label_smoothing=smoothing)
    if name == "focal":
        return FocalLoss(gamma=focal_gamma, weight=class_weights)
    if name == "f1":
        return F1Loss(num_classes, weight=class_weights)
    raise ConfigError(f"loss: unknown loss {name!r}; valid: {', '.join(LOSSES)}")


def class_weights_from(spec: str, targets: Sequence[int], num_classes: int) -> torch.Tensor | None:
    """`none` -> None; `balanced` -> n / (C * count_c); else comma-separated explicit weights."""
    if spec == "none":
        return None
    if spec == "balanced":
        counts = torch.bincount(torch.as_tensor(list(targets), dtype=torch.long), minlength=num_classes).float()
        return len(targets) / (num_classes * counts.clamp(min=1))
    values = [float(v) for v in spec.replace(" ", "").strip("[]").split(",") if v]
    if len(values) != num_classes:
        raise ConfigError(f"class_weights: {len(values)} values given for {num_classes} classes")
    return torch.tensor(values, dtype=torch.float32)
