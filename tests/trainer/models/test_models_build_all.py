"""Every registered model builds at a tiny size and trains one step (forward + backward)."""

from __future__ import annotations

from typing import Any

import pytest
import torch
import torchvision.models  # noqa: F401  (import cost at collection, not in the first torchvision test)

from trainer.models import create_model, list_models

NUM_CLASSES = 3
IMAGE = 32

# Small kwargs per registered name. A newly registered name must be added here (see the test
# below), so every model in the registry is exercised.
TINY: dict[str, dict[str, Any]] = {
    **{f"efficientnet-b{i}": {"image_size": IMAGE} for i in range(8)},
    "vit": {"image_size": IMAGE, "patch_size": 8, "dim": 32, "depth": 1, "heads": 2, "mlp_dim": 32, "dim_head": 16},
    "resnet18": {},
    "resnet50": {},
    "mobilenet_v3_small": {},
    "mobilenet_v3_large": {},
    "tv_efficientnet_b0": {},
    "yaml": {"config": "tiny_mobilenet", "image_size": IMAGE},
    "cells": {"base_channels": 8, "n_repeat": 1, "normal_cell": "MBConv", "reduction_cell": "InvertedResidualv3",
              "image_size": IMAGE},
}


def test_every_registered_model_has_tiny_kwargs() -> None:
    assert set(TINY) == set(list_models())


def _train_step(model: torch.nn.Module, channels: int) -> torch.Tensor:
    model.train()
    x = torch.randn(2, channels, IMAGE, IMAGE)
    out = model(x)
    loss = torch.nn.functional.cross_entropy(out, torch.tensor([0, 2]))
    loss.backward()
    return out


@pytest.mark.parametrize("name", sorted(TINY))
def test_builds_and_trains_one_step(name: str) -> None:
    torch.manual_seed(0)
    model = create_model(name, NUM_CLASSES, **TINY[name])
    out = _train_step(model, 3)
    assert out.shape == (2, NUM_CLASSES)
    assert torch.isfinite(out).all()
    grads = [p.grad for p in model.parameters() if p.requires_grad]
    assert grads and all(g is not None for g in grads[:1] + grads[-1:])
    assert any(g.abs().sum() > 0 for g in grads if g is not None)


@pytest.mark.parametrize("name", ["efficientnet-b0", "vit", "resnet18", "mobilenet_v3_small",
                                  "tv_efficientnet_b0", "yaml", "cells"])
def test_single_channel_input(name: str) -> None:
    kwargs = dict(TINY[name])
    kwargs["in_channels"] = 1
    model = create_model(name, NUM_CLASSES, **kwargs)
    assert _train_step(model, 1).shape == (2, NUM_CLASSES)
    with pytest.raises(RuntimeError):
        model(torch.randn(2, 3, IMAGE, IMAGE))  # the stem really takes one channel now
