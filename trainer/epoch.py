"""One training epoch: forward under autocast, backward (GradScaler for fp16), clip, step, schedule.

The LR schedule steps once per optimisation step. The running loss is checked for NaN/inf every
NAN_CHECK_EVERY steps (each check synchronises with the device and the other ranks).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from torch import nn
from torch.utils.data import DataLoader

from trainer import distributed as dist
from trainer.batches import BatchPrep
from trainer.errors import TrainingDiverged
from trainer.run_state import RunState
from trainer.tally import Tally

NAN_CHECK_EVERY = 20          # steps between (synchronising) NaN checks on the running loss


@dataclass
class Optimisation:
    optimizer: torch.optim.Optimizer
    scheduler: Any                          # a torch LR scheduler, stepped per optimisation step
    scaler: torch.amp.GradScaler | None     # fp16 only
    criterion: nn.Module
    grad_clip: float                        # max gradient norm; 0 = off

    def step(self, model: nn.Module, loss: torch.Tensor) -> None:
        optimizer, scaler, clip = self.optimizer, self.scaler, self.grad_clip
        optimizer.zero_grad(set_to_none=True)
        if scaler is not None:
            scaler.scale(loss).backward()
            if clip > 0:
                scaler.unscale_(optimizer)
                nn.utils.clip_grad_norm_(model.parameters(), clip)
            scaler.step(optimizer)
            scaler.update()
        else:
            loss.backward()
            if clip > 0:
                nn.utils.clip_grad_norm_(model.parameters(), clip)
            optimizer.step()
        self.scheduler.step()


def train_epoch(model: nn.Module, loader: DataLoader, opt: Optimisation, batches: BatchPrep, num_classes: int,
                epoch: int, state: RunState, *, base_lr: float) -> dict[str, float]:
    """Train metrics of one epoch (reduced over ranks) plus `lr`, the LR of its last step."""
    model.train()
    tally = Tally(num_classes, batches.device)
    lr = opt.optimizer.param_groups[0]["lr"]
    for step, (x, y) in enumerate(loader):
        x, y = batches.images(x), batches.targets(y)
        lr = opt.optimizer.param_groups[0]["lr"]
        with batches.autocast():
            logits = model(x)
            loss = opt.criterion(logits.float(), y)
        opt.step(model, loss)
        state.global_step += 1
        tally.add(logits, y, loss)
        if (step + 1) % NAN_CHECK_EVERY == 0 or step + 1 == len(loader):
            check_finite(tally.loss_sum, epoch, step, base_lr)
    out = tally.reduce()
    out["lr"] = lr
    return out


def check_finite(loss_sum: torch.Tensor, epoch: int, step: int, base_lr: float) -> None:
    """Stop the run (on every rank) once the loss is NaN or infinite on any rank."""
    flag = (~torch.isfinite(loss_sum)).double().reshape(1)
    dist.all_reduce_sum(flag)
    if flag.item() > 0:
        raise TrainingDiverged(
            f"training diverged: the loss became NaN or infinite in epoch {epoch + 1} (by step {step + 1}); "
            f"lower the learning rate (lr {base_lr}), add warm-up or gradient clipping, or use amp off")
