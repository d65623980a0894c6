"""Device-side metric sums for one pass over a loader: loss, accuracy, top-5, macro F1.

Sums stay on the device (no per-step synchronisation) and are reduced over DDP ranks once, at the end.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch

from trainer import distributed as dist


@dataclass
class Tally:
    """Device-side sums for one pass; reduced over ranks before reading."""

    num_classes: int
    device: torch.device
    loss_sum: torch.Tensor = field(init=False)
    count: torch.Tensor = field(init=False)
    top5: torch.Tensor = field(init=False)
    confusion: torch.Tensor = field(init=False)

    def __post_init__(self) -> None:
        z = lambda: torch.zeros((), dtype=torch.float64, device=self.device)  # noqa: E731
        self.loss_sum, self.count, self.top5 = z(), z(), z()
        self.confusion = torch.zeros(self.num_classes * self.num_classes, dtype=torch.float64, device=self.device)

    def add(self, logits: torch.Tensor, target: torch.Tensor, loss: torch.Tensor) -> None:
        n = target.shape[0]
        self.loss_sum += loss.detach().double() * n
        self.count += n
        pred = logits.detach().argmax(dim=1)
        self.confusion += torch.bincount(target * self.num_classes + pred,
                                         minlength=self.num_classes ** 2).double()
        if self.num_classes >= 5:
            top = logits.detach().topk(5, dim=1).indices
            self.top5 += (top == target[:, None]).any(dim=1).sum().double()

    def reduce(self) -> dict[str, float]:
        packed = torch.cat([torch.stack([self.loss_sum, self.count, self.top5]), self.confusion])
        dist.all_reduce_sum(packed)
        loss_sum, count, top5 = packed[:3].tolist()
        cm = packed[3:].view(self.num_classes, self.num_classes).cpu()
        count = max(count, 1.0)
        tp = cm.diag()
        precision = tp / cm.sum(0).clamp(min=1e-12)
        recall = tp / cm.sum(1).clamp(min=1e-12)
        f1 = torch.where(precision + recall > 0, 2 * precision * recall / (precision + recall), torch.zeros_like(tp))
        present = (cm.sum(0) + cm.sum(1)) > 0          # as sklearn: labels in truth or predictions
        out = {"loss": loss_sum / count, "accuracy": float(tp.sum()) / count,
               "f1": float(f1[present].mean()) if present.any() else 0.0}
        if self.num_classes >= 5:
            out["top5"] = top5 / count
        return out
