"""The process's runtime: device, mixed precision, seeding, CPU threads and DataLoader workers.

Speed: CUDA runs use bf16 autocast (fp16 + GradScaler where bf16 is missing) and cudnn autotuning;
on CPU the thread count follows the affinity mask and cgroup quota, shared among local ranks.
"""

from __future__ import annotations

import math
import os
import random
from pathlib import Path

import numpy as np
import torch

from trainer import distributed as dist
from trainer.config.schema import TrainConfig
from trainer.errors import ConfigError
from trainer.report import log


def select_device(cfg: TrainConfig) -> torch.device:
    has_cuda = torch.cuda.is_available()
    if cfg.device == "cpu" or (cfg.device == "auto" and not has_cuda):
        if cfg.gpu is not None and not has_cuda and dist.is_main():
            log(f"--gpu {cfg.gpu} given but no CUDA device is visible; training on CPU")
        return torch.device("cpu")
    if cfg.device == "mps":
        return torch.device("mps")
    if not has_cuda:
        raise ConfigError(f"device: {cfg.device!r} requested but no CUDA device is visible "
                          f"(CUDA_VISIBLE_DEVICES: {os.environ.get('CUDA_VISIBLE_DEVICES', 'unset')})")
    if dist.launched_distributed():
        index = dist.local_rank()
    elif cfg.device.startswith("cuda:"):
        index = int(cfg.device.split(":")[1])
    else:
        index = cfg.gpu or 0
    if index >= torch.cuda.device_count():
        raise ConfigError(f"gpu: index {index} but only {torch.cuda.device_count()} CUDA device(s) are visible")
    torch.cuda.set_device(index)
    return torch.device("cuda", index)


def resolve_amp(cfg: TrainConfig, device: torch.device) -> torch.dtype | None:
    if cfg.amp == "off" or (cfg.amp == "auto" and device.type != "cuda"):
        return None
    if cfg.amp == "fp16" and device.type != "cuda":
        raise ConfigError("amp: fp16 needs a CUDA device; use bf16 or off on CPU")
    if cfg.amp == "auto":
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    return torch.bfloat16 if cfg.amp == "bf16" else torch.float16


def seed_everything(seed: int, deterministic: bool) -> None:
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    if deterministic:
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
        torch.use_deterministic_algorithms(True, warn_only=True)
        torch.backends.cudnn.benchmark = False
        torch.backends.cudnn.deterministic = True
    else:
        torch.backends.cudnn.benchmark = True


def usable_cpus() -> int:
    """CPUs this process may really use: affinity mask, capped by a cgroup v2/v1 CPU quota (pods)."""
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    quota = None
    try:
        q, period = Path("/sys/fs/cgroup/cpu.max").read_text().split()[:2]
        if q != "max":
            quota = int(q) / int(period)
    except (OSError, ValueError):
        try:
            q = int(Path("/sys/fs/cgroup/cpu/cpu.cfs_quota_us").read_text())
            period = int(Path("/sys/fs/cgroup/cpu/cpu.cfs_period_us").read_text())
            quota = q / period if q > 0 else None
        except (OSError, ValueError):
            pass
    if quota:
        cpus = min(cpus, max(1, math.ceil(quota)))
    return max(1, cpus)


def set_threads(cfg: TrainConfig) -> int:
    """Too many OpenMP threads on contended or quota-limited CPUs slow training by 10x or more."""
    if cfg.threads > 0:
        torch.set_num_threads(cfg.threads)
    elif "OMP_NUM_THREADS" not in os.environ:
        local_ranks = int(os.environ.get("LOCAL_WORLD_SIZE", os.environ.get("WORLD_SIZE", "1")))
        torch.set_num_threads(max(1, usable_cpus() // max(1, local_ranks)))
    return torch.get_num_threads()


def auto_workers(device: torch.device) -> int:
    per_rank = max(1, usable_cpus() // dist.env_world_size())
    if device.type == "cuda":
        return min(8, max(1, per_rank - 1))
    # On CPU the model competes with workers for the same cores; the decoded cache is cheap to read.
    return 0 if per_rank < 8 else 2
