"""The validation pass after each epoch: make the model ready to be measured, then measure it.

`Evaluator.__call__` first puts the model in the state it is measured in (`_prepare`): rank 0's
buffers broadcast so every DDP rank evaluates the same model, then, for a model with BatchNorm,
its running statistics re-estimated with the final weights on a few training batches ("precise
BN", trainer.batchnorm; `precise_bn_batches`, 0 = off). Then it runs the validation split without
gradients. The re-estimated statistics stay in the model, so the checkpoint saved after the
evaluation holds the statistics that were measured.
"""

from __future__ import annotations

from typing import Iterable

import torch
from torch import nn
from torch.utils.data import DataLoader

from trainer import distributed as dist
from trainer.batchnorm import recompute_statistics
from trainer.batches import BatchPrep
from trainer.tally import Tally


class Evaluator:
    def __init__(self, loader: DataLoader, criterion: nn.Module, batches: BatchPrep, num_classes: int, *,
                 bn_loader: Iterable | None = None, bn_batches: int = 0):
        self.loader, self.criterion, self.batches, self.num_classes = loader, criterion, batches, num_classes
        self.bn_loader, self.bn_batches = bn_loader, bn_batches

    def __call__(self, model: nn.Module) -> dict[str, float]:
        """Validation metrics of `model` (the unwrapped model, not its DDP wrapper), reduced over ranks."""
        self._prepare(model)
        return self._measure(model)

    def _prepare(self, model: nn.Module) -> None:
        dist.broadcast_buffers(model)
        if self.bn_loader is not None and self.bn_batches > 0:
            recompute_statistics(model, self.bn_loader, self.bn_batches, self.batches)

    @torch.no_grad()
    def _measure(self, model: nn.Module) -> dict[str, float]:
        model.eval()
        tally = Tally(self.num_classes, self.batches.device)
        for x, y in self.loader:
            x, y = self.batches.images(x), self.batches.targets(y)
            with self.batches.autocast():
                logits = model(x)
            logits = logits.float()
            tally.add(logits, y, self.criterion(logits, y))
        return tally.reduce()
