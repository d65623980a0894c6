"""count_params / count_macs against hand formulas."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from trainer.models import count_macs, count_params, create_model


def test_single_conv_macs_equal_the_formula() -> None:
    conv = nn.Conv2d(3, 8, kernel_size=3, stride=1, padding=1)
    # output 8 x 16 x 16, each element: 3 * 3 * 3 multiply-adds
    assert count_macs(conv, (1, 3, 16, 16)) == 8 * 16 * 16 * 3 * 3 * 3


def test_strided_grouped_conv_and_batch() -> None:
    conv = nn.Conv2d(8, 16, kernel_size=5, stride=2, padding=2, groups=4, bias=False)
    # output 16 x 8 x 8 per sample; each element sees 8/4 input channels * 5 * 5
    assert count_macs(conv, (2, 8, 16, 16)) == 2 * 16 * 8 * 8 * (8 // 4) * 25


def test_single_linear_macs_equal_the_formula() -> None:
    assert count_macs(nn.Linear(10, 5), (1, 10)) == 10 * 5
    assert count_macs(nn.Linear(10, 5), (3, 7, 10)) == 3 * 7 * 10 * 5  # applied per token


def test_vit_counts_projections_mlp_and_attention_matmuls() -> None:
    image, patch, dim, heads, dim_head, mlp, classes = 16, 4, 32, 2, 8, 24, 3
    model = create_model("vit", classes, image_size=image, patch_size=patch, dim=dim, depth=1, heads=heads,
                         mlp_dim=mlp, dim_head=dim_head)
    patches = (image // patch) ** 2
    tokens = patches + 1  # cls token
    inner = heads * dim_head
    expected = (
        patches * (3 * patch * patch) * dim  # patch embedding Linear
        + tokens * dim * 3 * inner  # to_qkv
        + 2 * heads * tokens * tokens * dim_head  # q @ k^T and attn @ v
        + tokens * inner * dim  # to_out
        + tokens * dim * mlp + tokens * mlp * dim  # feed-forward
        + dim * classes  # head
    )
    assert count_macs(model, (1, 3, image, image)) == expected


def test_multihead_attention() -> None:
    class Wrap(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.mha = nn.MultiheadAttention(16, 4, batch_first=True)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.mha(x, x, x)[0]

    n, e = 5, 16
    assert count_macs(Wrap(), (2, n, e)) == 2 * (4 * n * e * e + 2 * n * n * e)


def test_count_params_and_mode_restored() -> None:
    model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.Flatten(), nn.LazyLinear(2))
    model(torch.zeros(1, 3, 5, 5))
    assert count_params(model) == (3 * 4 * 9 + 4) + (4 + 4) + (4 * 3 * 3 * 2 + 2)
    model[0].weight.requires_grad_(False)
    assert count_params(model, trainable_only=True) == count_params(model) - 3 * 4 * 9
    model.train()
    count_macs(model, (1, 3, 5, 5))
    assert model.training


@pytest.mark.parametrize("name", ["efficientnet-b0", "resnet18", "cells"])
def test_cnn_macs_are_positive_and_grow_with_resolution(name: str) -> None:
    kwargs = {"image_size": 32} if name == "efficientnet-b0" else {}
    model = create_model(name, 2, **kwargs)
    small, large = count_macs(model, (1, 3, 32, 32)), count_macs(model, (1, 3, 64, 64))
    assert 0 < small < large
