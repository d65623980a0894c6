"""A batch on its way into the model: to the device, normalised, channels_last, under autocast.

Datasets yield uint8 images; normalising on the device is much faster than per image in workers.
The train epoch, the evaluation pass (and anything else that runs the model on a loader) share this.
"""

from __future__ import annotations

from contextlib import nullcontext
from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class BatchPrep:
    device: torch.device
    mean: tuple[float, ...]
    std: tuple[float, ...]
    channels_last: bool
    amp_dtype: torch.dtype | None   # None: full precision

    def images(self, x: torch.Tensor) -> torch.Tensor:
        from trainer.data import normalize_batch
        x = normalize_batch(x.to(self.device, non_blocking=True), self.mean, self.std)
        return x.contiguous(memory_format=torch.channels_last) if self.channels_last else x

    def targets(self, y: torch.Tensor) -> torch.Tensor:
        return y.to(self.device, non_blocking=True)

    def autocast(self):
        if self.amp_dtype is None:
            return nullcontext()
        return torch.autocast(self.device.type, dtype=self.amp_dtype)
