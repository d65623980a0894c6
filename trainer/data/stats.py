"""Per-channel mean/std of the training images, and normalisation of uint8 batches on the device."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import numpy as np
import torch

from .stores import DecodeStore, MemmapStore

MIN_STD = 1.0 / 255.0  # a blank channel must not blow normalised values up


def channel_mean_std(store: MemmapStore | DecodeStore, rows: Sequence[int]) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Mean and std per channel on the 0..1 scale over the given rows' pixels."""
    total, total_sq, pixels = store.channel_sums(rows)
    if pixels == 0:
        raise ValueError("cannot compute mean/std of an empty training split")
    mean = total / pixels / 255.0
    variance = np.maximum(total_sq / pixels / (255.0 * 255.0) - mean * mean, 0.0)
    std = np.maximum(np.sqrt(variance), MIN_STD)
    return tuple(float(round(m, 6)) for m in mean), tuple(float(round(s, 6)) for s in std)


def normalize_batch(x: torch.Tensor, mean: Sequence[float], std: Sequence[float]) -> torch.Tensor:
    """uint8 images [N, C, H, W] (or one [C, H, W]) -> float32 (x / 255 - mean) / std, on x's device."""
    if x.dtype != torch.uint8:
        raise TypeError(f"normalize_batch expects uint8 images (0..255), got dtype {x.dtype}")
    channel_dim = x.dim() - 3
    if channel_dim not in (0, 1):
        raise ValueError(f"normalize_batch expects [N, C, H, W] or [C, H, W], got shape {tuple(x.shape)}")
    if len(mean) != x.shape[channel_dim] or len(std) != x.shape[channel_dim]:
        raise ValueError(
            f"mean/std have {len(mean)}/{len(std)} values but the images have {x.shape[channel_dim]} channels"
        )
    scale, offset = _scale_offset(tuple(map(float, mean)), tuple(map(float, std)), x.device)
    return (x.to(torch.float32) - offset).div_(scale)


@lru_cache(maxsize=32)
def _scale_offset(mean: tuple[float, ...], std: tuple[float, ...],
                  device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    """255 * std and 255 * mean as float32 [C, 1, 1] tensors on `device`, built once per (mean, std, device)
    rather than per batch (on CUDA each build was a host-to-device copy that waited for the GPU).
    Shared by every caller: read-only."""
    shape = (-1, 1, 1)
    scale = torch.tensor([255.0 * s for s in std], dtype=torch.float32, device=device).view(shape)
    offset = torch.tensor([255.0 * m for m in mean], dtype=torch.float32, device=device).view(shape)
    return scale, offset
