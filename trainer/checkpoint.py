"""Checkpoints: atomic writes, RNG state, and loading with `torch.load(weights_only=True)`.

A checkpoint is a dict of tensors and plain Python values only:
  format, epoch (completed), global_step, model, optimizer, scheduler, scaler, rng,
  config (TrainConfig.to_dict()), classes, model_name, model_kwargs, mean, std, image_size, channels,
  metrics (of that epoch), best {metric, mode, value, epoch}, params, macs.
"""

from __future__ import annotations

import os
import random
import shutil
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import torch

from trainer.errors import CheckpointError

FORMAT = "kubetune-trainer-checkpoint/1"
LAST = "last.pt"
BEST = "best.pt"


# ---------------------------------------------------------------- RNG state as tensors/lists

def rng_state() -> dict[str, Any]:
    version, state, gauss = random.getstate()
    np_name, np_keys, np_pos, np_has_gauss, np_cached = np.random.get_state()
    out: dict[str, Any] = {
        "python": {"version": int(version), "state": torch.tensor(state, dtype=torch.int64),
                   "gauss": gauss},
        "numpy": {"name": str(np_name), "keys": torch.from_numpy(np_keys.astype(np.int64)),
                  "pos": int(np_pos), "has_gauss": int(np_has_gauss), "cached_gaussian": float(np_cached)},
        "torch": torch.get_rng_state(),
        "cuda": [s for s in torch.cuda.get_rng_state_all()] if torch.cuda.is_available() else [],
    }
    return out


def set_rng_state(state: dict[str, Any]) -> None:
    py = state["python"]
    random.setstate((py["version"], tuple(int(x) for x in py["state"].tolist()), py["gauss"]))
    npst = state["numpy"]
    np.random.set_state((npst["name"], npst["keys"].numpy().astype(np.uint32), npst["pos"],
                         npst["has_gauss"], npst["cached_gaussian"]))
    torch.set_rng_state(state["torch"].cpu())
    cuda = state.get("cuda") or []
    if cuda and torch.cuda.is_available() and len(cuda) == torch.cuda.device_count():
        torch.cuda.set_rng_state_all([s.cpu() for s in cuda])


# ---------------------------------------------------------------- files

def save_atomic(obj: dict[str, Any], path: str | os.PathLike) -> None:
    """Write to a temp file in the same directory, fsync, then os.replace: readers never see half a file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            torch.save(obj, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def copy_atomic(src: str | os.PathLike, dst: str | os.PathLike) -> None:
    dst = Path(dst)
    fd, tmp = tempfile.mkstemp(prefix=f".{dst.name}.", suffix=".tmp", dir=dst.parent)
    os.close(fd)
    try:
        shutil.copyfile(src, tmp)
        os.replace(tmp, dst)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def resolve_path(path: str | os.PathLike) -> Path:
    """A checkpoint file, or a directory holding last.pt (then best.pt)."""
    p = Path(path)
    if p.is_dir():
        for name in (LAST, BEST):
            if (p / name).is_file():
                return p / name
        raise CheckpointError(f"checkpoint: directory {p} holds no {LAST} or {BEST}")
    if not p.is_file():
        raise CheckpointError(f"checkpoint: file not found: {p}")
    return p


def load(path: str | os.PathLike, map_location: str | torch.device = "cpu") -> dict[str, Any]:
    """Load a trainer checkpoint with weights_only=True; clear errors for anything else."""
    p = resolve_path(path)
    try:
        ckpt = torch.load(p, map_location=map_location, weights_only=True)
    except Exception as exc:   # pickle errors, truncated files, foreign formats
        raise CheckpointError(f"checkpoint {p}: cannot be loaded safely (weights_only): {exc}") from None
    if not isinstance(ckpt, dict) or ckpt.get("format") != FORMAT:
        found = ckpt.get("format") if isinstance(ckpt, dict) else type(ckpt).__name__
        raise CheckpointError(f"checkpoint {p}: not a kubetune trainer checkpoint (format {found!r}, expected "
                              f"{FORMAT!r}); to start from plain weights use --init-weights")
    return ckpt


def check_compatible(ckpt: dict[str, Any], *, model_name: str, model_kwargs: dict[str, Any],
                     classes: list[str], image_size: int, channels: int, source: str) -> None:
    """Resuming needs the same architecture and class set; say exactly what differs."""
    problems = []
    if ckpt["model_name"] != model_name:
        problems.append(f"model {ckpt['model_name']!r} in the checkpoint vs {model_name!r} requested")
    if ckpt.get("model_kwargs", {}) != model_kwargs:
        problems.append(f"model kwargs {ckpt.get('model_kwargs')} in the checkpoint vs {model_kwargs} requested")
    if list(ckpt["classes"]) != list(classes):
        problems.append(f"classes {_short(ckpt['classes'])} in the checkpoint vs {_short(classes)} in the data")
    if ckpt.get("image_size") != image_size:
        problems.append(f"image_size {ckpt.get('image_size')} in the checkpoint vs {image_size} requested")
    if ckpt.get("channels", 3) != channels:
        problems.append(f"channels {ckpt.get('channels')} in the checkpoint vs {channels} requested")
    if problems:
        raise CheckpointError(f"{source}: checkpoint does not match this run: " + "; ".join(problems)
                              + ". Use --init-weights to start a different model from these weights.")


def _short(items: list[str], n: int = 6) -> str:
    items = list(items)
    return str(items) if len(items) <= n else f"[{', '.join(map(repr, items[:n]))}, ... ({len(items)} classes)]"
