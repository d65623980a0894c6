"""torchvision classifiers, always built with weights=None (no hub download).

Pretrained weights come through `load_pretrained` from a file/URI instead. For in_channels != 3
the stem convolution is replaced by one with the same geometry and the new input channels.
These networks end in adaptive pooling, so they take any image size; `image_size` is accepted
only so a caller can pass the same kwargs to every family.
"""

from __future__ import annotations

from collections.abc import Callable

from torch import nn

from trainer.errors import ConfigError
from trainer.models.registry import register_model

__all__ = ["replace_stem_conv"]

# name -> (torchvision constructor name, dotted path of the stem conv, takes `dropout`)
_MODELS: dict[str, tuple[str, str, bool]] = {
    "resnet18": ("resnet18", "conv1", False),
    "resnet50": ("resnet50", "conv1", False),
    "mobilenet_v3_small": ("mobilenet_v3_small", "features.0.0", True),
    "mobilenet_v3_large": ("mobilenet_v3_large", "features.0.0", True),
    "tv_efficientnet_b0": ("efficientnet_b0", "features.0.0", True),
}


def replace_stem_conv(model: nn.Module, path: str, in_channels: int) -> None:
    """Swap the Conv2d at dotted `path` for one taking `in_channels` inputs (same geometry)."""
    parent_path, _, attr = path.rpartition(".")
    parent = model.get_submodule(parent_path) if parent_path else model
    old = getattr(parent, attr) if not attr.isdigit() else parent[int(attr)]
    if not isinstance(old, nn.Conv2d):
        raise TypeError(f"{path} is {type(old).__name__}, not Conv2d")
    new = nn.Conv2d(
        in_channels, old.out_channels, old.kernel_size, stride=old.stride, padding=old.padding,
        dilation=old.dilation, groups=1, bias=old.bias is not None,
    )
    if attr.isdigit():
        parent[int(attr)] = new
    else:
        setattr(parent, attr, new)


def _build(name: str, num_classes: int, in_channels: int, dropout: float | None) -> nn.Module:
    import torchvision.models as tvm

    ctor_name, stem, _ = _MODELS[name]
    if in_channels < 1:
        raise ConfigError(f"{name}: in_channels must be >= 1, found {in_channels}")
    extra = {}
    if dropout is not None:
        if not 0 <= dropout < 1:
            raise ConfigError(f"{name}: dropout must be in [0, 1), found {dropout}")
        extra["dropout"] = dropout
    model = getattr(tvm, ctor_name)(weights=None, num_classes=num_classes, **extra)
    if in_channels != 3:
        replace_stem_conv(model, stem, in_channels)
    return model


def _make_builder(name: str, takes_dropout: bool) -> Callable[..., nn.Module]:
    if takes_dropout:
        def builder(
            num_classes: int, *, in_channels: int = 3, image_size: int | None = None, dropout: float | None = None
        ) -> nn.Module:
            return _build(name, num_classes, in_channels, dropout)
    else:
        def builder(num_classes: int, *, in_channels: int = 3, image_size: int | None = None) -> nn.Module:
            return _build(name, num_classes, in_channels, None)
    builder.__name__ = builder.__qualname__ = f"build_{name}"
    builder.__doc__ = f"torchvision {_MODELS[name][0]} (weights=None)."
    return builder


for _name, (_, _, _takes_dropout) in _MODELS.items():
    register_model(_name, family="torchvision")(_make_builder(_name, _takes_dropout))
