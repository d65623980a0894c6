"""The nn.Modules the block generators assemble (lecture candidates, MobileNet/EfficientNet style)."""

from __future__ import annotations

import math

import torch
from torch import nn

from trainer.models.blocks.activations import make_activation

__all__ = [
    "make_divisible", "autopad", "Conv", "DWConv", "Bottleneck", "SqueezeExcitation",
    "InvertedResidualv2", "InvertedResidualv3", "MBConv",
]


def make_divisible(v: float, divisor: int = 8, min_value: int | None = None) -> int:
    """Round a channel count to a multiple of `divisor`, never more than 10% down.

    The TensorFlow/MobileNet rule the lecture's module generators (and YOLO's width scaling) use.
    """
    min_value = divisor if min_value is None else min_value
    new_v = max(min_value, int(v + divisor / 2) // divisor * divisor)
    if new_v < 0.9 * v:
        new_v += divisor
    return new_v


def autopad(kernel_size: int, padding: int | None = None) -> int:
    """'Same' padding for odd kernels when not given."""
    return kernel_size // 2 if padding is None else padding


class Conv(nn.Module):
    """Conv2d (no bias) + BatchNorm + activation."""

    def __init__(self, in_ch: int, out_ch: int, kernel_size: int = 1, stride: int = 1,
                 padding: int | None = None, groups: int = 1, activation: str | None = "ReLU") -> None:
        super().__init__()
        self.conv = nn.Conv2d(in_ch, out_ch, kernel_size, stride, autopad(kernel_size, padding), groups=groups, bias=False)
        self.bn = nn.BatchNorm2d(out_ch)
        self.act = make_activation(activation)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.bn(self.conv(x)))


class DWConv(Conv):
    """Depth-wise conv: groups = gcd(in, out) (pure depth-wise when in == out)."""

    def __init__(self, in_ch: int, out_ch: int, kernel_size: int = 3, stride: int = 1,
                 padding: int | None = None, activation: str | None = "ReLU") -> None:
        super().__init__(in_ch, out_ch, kernel_size, stride, padding, groups=math.gcd(in_ch, out_ch), activation=activation)


class Bottleneck(nn.Module):
    """1x1 reduce -> 3x3 conv, with a residual add when shapes allow (the lecture's simplified one)."""

    def __init__(self, in_ch: int, out_ch: int, shortcut: bool = True, groups: int = 1,
                 expansion: float = 0.5, activation: str | None = "ReLU") -> None:
        super().__init__()
        hidden = bottleneck_hidden(out_ch, expansion, groups)
        self.cv1 = Conv(in_ch, hidden, 1, 1, activation=activation)
        self.cv2 = Conv(hidden, out_ch, 3, 1, groups=groups, activation=activation)
        self.add = shortcut and in_ch == out_ch

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.cv2(self.cv1(x))
        return x + y if self.add else y


def bottleneck_hidden(out_ch: int, expansion: float, groups: int) -> int:
    hidden = max(1, int(out_ch * expansion))
    return max(groups, hidden // groups * groups)  # grouped 3x3 needs hidden % groups == 0


class SqueezeExcitation(nn.Module):
    def __init__(self, channels: int, squeeze: int, gate: str = "sigmoid", activation: str = "ReLU") -> None:
        super().__init__()
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc1 = nn.Conv2d(channels, squeeze, 1)
        self.act = make_activation(activation)
        self.fc2 = nn.Conv2d(squeeze, channels, 1)
        self.gate = nn.Hardsigmoid() if gate == "hardsigmoid" else nn.Sigmoid()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.gate(self.fc2(self.act(self.fc1(self.pool(x)))))


class InvertedResidualv2(nn.Module):
    """MobileNetV2 block: 1x1 expand -> 3x3 depth-wise (stride) -> 1x1 linear projection."""

    def __init__(self, in_ch: int, out_ch: int, expansion: float, stride: int, activation: str | None = "ReLU6") -> None:
        super().__init__()
        hidden = max(1, int(round(in_ch * expansion)))
        layers: list[nn.Module] = []
        if hidden != in_ch:
            layers.append(Conv(in_ch, hidden, 1, activation=activation))
        layers += [Conv(hidden, hidden, 3, stride, groups=hidden, activation=activation),
                   Conv(hidden, out_ch, 1, activation="Identity")]
        self.block = nn.Sequential(*layers)
        self.use_res = stride == 1 and in_ch == out_ch

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.block(x) if self.use_res else self.block(x)


class InvertedResidualv3(nn.Module):
    """MobileNetV3 block: expand -> depth-wise k x k -> optional SE -> project; HS or ReLU."""

    def __init__(self, in_ch: int, hidden: int, out_ch: int, kernel_size: int, stride: int,
                 use_se: bool, use_hs: bool) -> None:
        super().__init__()
        act = "Hardswish" if use_hs else "ReLU"
        layers: list[nn.Module] = []
        if hidden != in_ch:
            layers.append(Conv(in_ch, hidden, 1, activation=act))
        layers.append(Conv(hidden, hidden, kernel_size, stride, groups=hidden, activation=act))
        if use_se:
            layers.append(SqueezeExcitation(hidden, make_divisible(hidden // 4), gate="hardsigmoid"))
        layers.append(Conv(hidden, out_ch, 1, activation="Identity"))
        self.block = nn.Sequential(*layers)
        self.use_res = stride == 1 and in_ch == out_ch

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.block(x) if self.use_res else self.block(x)


class MBConv(nn.Module):
    """EfficientNet block: expand -> depth-wise k x k -> SE(0.25 of input) -> project."""

    def __init__(self, in_ch: int, out_ch: int, expansion: float, stride: int, kernel_size: int = 3,
                 activation: str | None = "SiLU") -> None:
        super().__init__()
        hidden = max(1, int(round(in_ch * expansion)))
        layers: list[nn.Module] = []
        if hidden != in_ch:
            layers.append(Conv(in_ch, hidden, 1, activation=activation))
        layers += [
            Conv(hidden, hidden, kernel_size, stride, groups=hidden, activation=activation),
            SqueezeExcitation(hidden, max(1, in_ch // 4), activation=activation or "Identity"),
            Conv(hidden, out_ch, 1, activation="Identity"),
        ]
        self.block = nn.Sequential(*layers)
        self.use_res = stride == 1 and in_ch == out_ch

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.block(x) if self.use_res else self.block(x)
