"""The validation pass after each epoch: make the model ready to be measured, then measure it.

`Evaluator.__call__` first puts the model in the state it is measured in (today: rank 0's buffers,
e.g. BatchNorm running statistics, broadcast so every DDP rank evaluates the same model), then
runs the validation split without gradients. A step that changes the model before measuring
(e.g. re-estimating BatchNorm statistics on training batches) belongs in `_prepare`.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.utils.data import DataLoader

from trainer import distributed as dist
from trainer.batches import BatchPrep
from trainer.tally import Tally


class Evaluator:
    def __init__(self, loader: DataLoader, criterion: nn.Module, batches: BatchPrep, num_classes: int):
        self.loader, self.criterion, self.batches, self.num_classes = loader, criterion, batches, num_classes

    def __call__(self, model: nn.Module) -> dict[str, float]:
        """Validation metrics of `model` (the unwrapped model, not its DDP wrapper), reduced over ranks."""
        self._prepare(model)
        return self._measure(model)

    def _prepare(self, model: nn.Module) -> None:
        dist.broadcast_buffers(model)

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
