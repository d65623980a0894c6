"""GPUs of this machine, handed out one set per trial through CUDA_VISIBLE_DEVICES.

Discovery never imports torch (the engine stays light): CUDA_VISIBLE_DEVICES if set, else
`nvidia-smi`. On a machine without GPUs, trials that ask for `nvidia.com/gpu` run on the CPU
(a laptop run of a cluster Experiment) and the engine says so once.
"""
from __future__ import annotations

import os
import shutil
import subprocess


def visible_gpus() -> list[str]:
    env = os.environ.get("CUDA_VISIBLE_DEVICES")
    if env is not None:
        return [g.strip() for g in env.split(",") if g.strip() and g.strip() != "-1"]
    smi = shutil.which("nvidia-smi")
    if smi is None:
        return []
    try:
        out = subprocess.run([smi, "--query-gpu=index", "--format=csv,noheader"], capture_output=True,
                             text=True, timeout=10, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    return [line.strip() for line in out.splitlines() if line.strip()]


class GpuPool:
    def __init__(self, gpus: list[str] | None = None):
        self.all = list(visible_gpus() if gpus is None else gpus)
        self.free = list(self.all)

    def acquire(self, count: int) -> list[str] | None:
        """GPU ids for a trial wanting `count`; None = wait for a free set. With no GPUs here at all,
        every trial gets an empty list: CUDA_VISIBLE_DEVICES is left as it is."""
        if not self.all:
            return []
        if count > len(self.all):
            raise ValueError(f"a trial asks for {count} nvidia.com/gpu but this machine has {len(self.all)}")
        if count > len(self.free):
            return None
        taken, self.free = self.free[:count], self.free[count:]
        return taken

    def release(self, ids: list[str]) -> None:
        self.free.extend(i for i in ids if i in self.all and i not in self.free)
