"""torchvision families: weights=None, num_classes, stem replaced for other channel counts."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from trainer.models import create_model


@pytest.mark.parametrize(("name", "stem"), [("resnet18", "conv1"), ("resnet50", "conv1"),
                                            ("mobilenet_v3_small", "features.0.0"),
                                            ("mobilenet_v3_large", "features.0.0"),
                                            ("tv_efficientnet_b0", "features.0.0")])
def test_stem_replaced_with_same_geometry(name: str, stem: str) -> None:
    rgb = create_model(name, 4)
    gray = create_model(name, 4, in_channels=1)
    old, new = rgb.get_submodule(stem), gray.get_submodule(stem)
    assert isinstance(new, nn.Conv2d) and new.in_channels == 1 and old.in_channels == 3
    assert (new.out_channels, new.kernel_size, new.stride, new.padding) == (
        old.out_channels, old.kernel_size, old.stride, old.padding)


def test_dropout_kwarg_reaches_the_classifier() -> None:
    model = create_model("mobilenet_v3_small", 2, dropout=0.35)
    assert any(isinstance(m, nn.Dropout) and m.p == 0.35 for m in model.modules())
    with pytest.raises(ValueError, match="dropout"):
        create_model("tv_efficientnet_b0", 2, dropout=1.5)
    with pytest.raises(ValueError, match="'dropout'"):
        create_model("resnet18", 2, dropout=0.1)  # resnet has no dropout


def test_random_init_differs_between_seeds() -> None:
    torch.manual_seed(0)
    a = create_model("resnet18", 2)
    torch.manual_seed(1)
    b = create_model("resnet18", 2)
    assert not torch.equal(a.conv1.weight, b.conv1.weight)
