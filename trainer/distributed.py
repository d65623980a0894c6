"""Rank helpers for runs launched by torchrun (PyTorchJob / TrainJob trials) or as one process.

torchrun sets RANK, WORLD_SIZE, LOCAL_RANK (and MASTER_ADDR/PORT); without them everything here
behaves as a single process of rank 0.
"""

from __future__ import annotations

import datetime
import os

import torch
import torch.distributed as dist


def env_world_size() -> int:
    return int(os.environ.get("WORLD_SIZE", "1"))


def launched_distributed() -> bool:
    """True when started by torchrun with more than one process."""
    return env_world_size() > 1 and "RANK" in os.environ


def is_initialized() -> bool:
    return dist.is_available() and dist.is_initialized()


def rank() -> int:
    return dist.get_rank() if is_initialized() else int(os.environ.get("RANK", "0"))


def world_size() -> int:
    return dist.get_world_size() if is_initialized() else 1


def local_rank() -> int:
    return int(os.environ.get("LOCAL_RANK", "0"))


def is_main() -> bool:
    return rank() == 0


def init(device: torch.device) -> None:
    """Join the process group (nccl on CUDA, gloo on CPU) when launched by torchrun."""
    if not launched_distributed() or is_initialized():
        return
    backend = "nccl" if device.type == "cuda" else "gloo"
    kwargs = {"device_id": device} if device.type == "cuda" else {}
    dist.init_process_group(backend=backend, timeout=datetime.timedelta(minutes=30), **kwargs)


def barrier() -> None:
    if is_initialized():
        dist.barrier()


def all_reduce_sum(tensor: torch.Tensor) -> torch.Tensor:
    """Sum over ranks in place (no-op on one process)."""
    if is_initialized():
        dist.all_reduce(tensor, op=dist.ReduceOp.SUM)
    return tensor


def broadcast_buffers(module: torch.nn.Module) -> None:
    """Give every rank rank 0's buffers (BatchNorm running stats drift apart in the last training step),
    so all ranks evaluate the model that rank 0 checkpoints."""
    if is_initialized():
        for buf in module.buffers():
            dist.broadcast(buf, src=0)


def broadcast_object(obj):
    """Rank 0's value on every rank."""
    if not is_initialized():
        return obj
    box = [obj]
    dist.broadcast_object_list(box, src=0)
    return box[0]


def shutdown() -> None:
    if is_initialized():
        dist.destroy_process_group()
