"""Build a network from the lecture's YAML block description.

    input_channel: 3
    depth_multiple: 1.0     # repeats > 1 are scaled: max(round(repeat * depth_multiple), 1)
    width_multiple: 1.0     # channels are scaled, then rounded to a multiple of 8
    backbone:
      # [repeat, module, args]
      [[1, Conv, [16, 3, 2]], [2, InvertedResidualv2, [24, 6, 2]], ..., [1, Linear, [10]]]

A repeated entry applies its stride on the first repetition only (MobileNet convention); pools
reduce on every repetition. Channels of Linear are not width-scaled.

The classifier: when the backbone ends with a Linear, that Linear's out_features becomes
num_classes (the lecture's files hard-code 10); otherwise GlobalAvgPool (unless the map is already
1x1) + Flatten + Linear(num_classes) are appended. Errors name the layer: `backbone[3] (MBConv):
arg 2 'stride' must be 1 or 2, found 5`.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch
from torch import nn

from trainer.errors import ConfigError
from trainer.models.blocks.generators import ArgError, GlobalAvgPool, Linear, ModuleGenerator, get_generator
from trainer.yaml_text import parse_yaml

__all__ = ["BlockNetwork", "build_network", "load_config", "example_names", "EXAMPLES_DIR", "scale_repeat"]

EXAMPLES_DIR = Path(__file__).parent / "examples"
TOP_LEVEL_KEYS = ("input_channel", "depth_multiple", "width_multiple", "backbone", "description")


def example_names() -> list[str]:
    """Bundled example networks (usable as `config=<name>`)."""
    return sorted(p.stem for p in EXAMPLES_DIR.glob("*.yaml"))


def load_config(config: str | os.PathLike | Mapping[str, Any]) -> tuple[dict[str, Any], str]:
    """(config dict, label for error messages) from a dict, a YAML file, a bundled example name or YAML text."""
    if isinstance(config, Mapping):
        return copy.deepcopy(dict(config)), "yaml model config"
    text = os.fspath(config)
    path = Path(text)
    if "\n" not in text and not path.is_file() and (EXAMPLES_DIR / f"{text}.yaml").is_file():
        path = EXAMPLES_DIR / f"{text}.yaml"
    if "\n" in text:
        source, body = "yaml model config", text
    elif path.is_file():
        source, body = str(path), path.read_text(encoding="utf-8")
    else:
        raise ConfigError(f"yaml model config file not found: {text!r} (bundled examples: {', '.join(example_names())})")
    data = parse_yaml(body, source)
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: expected a mapping with a 'backbone' list, found {type(data).__name__}")
    return data, source


def scale_repeat(repeat: int, depth_multiple: float) -> int:
    """YOLO/lecture depth scaling: only repeated entries scale, never below 1."""
    return max(round(repeat * depth_multiple), 1) if repeat > 1 else repeat


class BlockNetwork(nn.Module):
    """The assembled network; `config` is the resolved YAML dict (dump it to rebuild the same net)."""

    def __init__(self, layers: list[nn.Module], config: dict[str, Any], summary: list[dict[str, Any]]) -> None:
        super().__init__()
        self.layers = nn.Sequential(*layers)
        self.config = config
        self.summary = summary

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.layers(x)


def _number(source: str, cfg: Mapping[str, Any], key: str, default: float, override: float | None, integer: bool) -> Any:
    value = override if override is not None else cfg.get(key, default)
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0
    if integer:
        ok = ok and float(value).is_integer()
    if not ok:
        rule = "an integer >= 1" if integer else "a number > 0"
        raise ConfigError(f"{source}: {key} must be {rule}, found {value!r}")
    return int(value) if integer else float(value)


class _Assembler:
    """Walks the entries, tracking channels, tensor kind (map/vector) and spatial size."""

    def __init__(self, source: str, in_channels: int, image_size: int | None, width: float, depth: float) -> None:
        self.source, self.image_size, self.width, self.depth = source, image_size, width, depth
        self.channels: int | None = in_channels
        self.kind = "map"
        self.size = image_size
        self.layers: list[nn.Module] = []
        self.summary: list[dict[str, Any]] = []
        self.entries: list[list[Any]] = []

    def fail(self, where: str, message: str) -> ConfigError:
        return ConfigError(f"{self.source}: {where}: {message}")

    def add(self, index: int, entry: Any, added: bool = False) -> None:
        where = f"backbone[{index}]"
        if not isinstance(entry, (list, tuple)) or len(entry) != 3:
            raise self.fail(where, f"expected [repeat, module, args], found {entry!r}")
        repeat, module_name, raw_args = entry
        if isinstance(repeat, bool) or not isinstance(repeat, int) or repeat < 1:
            raise self.fail(where, f"repeat must be an integer >= 1, found {repeat!r}")
        try:
            gen_cls = get_generator(module_name)
        except ArgError as exc:
            raise self.fail(where, str(exc)) from None
        where = f"{where} ({gen_cls.name}{', added classifier' if added else ''})"
        self._check_input(where, gen_cls)
        try:
            args = gen_cls.parse_args(raw_args)
            gen = gen_cls(args, self.channels or 0, self.width)
        except ArgError as exc:
            raise self.fail(where, str(exc)) from None
        n = scale_repeat(repeat, self.depth)
        self._advance_size(where, gen, n)
        self.layers.append(gen(n))
        self.entries.append([repeat, gen_cls.name, copy.deepcopy(raw_args) if raw_args is not None else []])
        self.summary.append({"index": len(self.summary), "module": gen_cls.name, "repeat": n, "args": args,
                             "in_channel": gen.in_channel, "out_channel": self.channels, "out_size": self.size})

    def _check_input(self, where: str, gen_cls: type[ModuleGenerator]) -> None:
        if gen_cls.INPUT == "map" and self.kind == "vector":
            raise self.fail(where, "needs a feature map [N, C, H, W] but its input is already flat (after Flatten)")
        if gen_cls.INPUT == "vector" and self.kind == "map":
            raise self.fail(where, "needs a flat input [N, F]; put [1, GlobalAvgPool, []] and [1, Flatten, []] before it")
        if gen_cls.INPUT == "vector" and self.channels is None:
            raise self.fail(where, "its input size depends on the image size (Flatten without GlobalAvgPool "
                                   "before it); pass image_size or add [1, GlobalAvgPool, []] before Flatten")

    def _advance_size(self, where: str, gen: ModuleGenerator, repeat: int) -> None:
        if self.kind == "map":
            if isinstance(gen, GlobalAvgPool):
                self.size = 1
            elif self.size is not None:
                for r in range(repeat):
                    before, self.size = self.size, gen.out_size(self.size, first=r == 0)
                    if self.size < 1:
                        raise self.fail(where, f"the {before}x{before} feature map (image_size {self.image_size}) "
                                               "would become empty; use a larger image or fewer reductions")
        if gen.OUTPUT == "vector" and self.kind == "map":  # Flatten
            self.kind = "vector"
            self.channels = None if self.size is None or self.channels is None else self.channels * self.size**2
        elif gen.OUTPUT != "same":
            self.channels = gen.out_channel


def build_network(
    config: str | os.PathLike | Mapping[str, Any],
    num_classes: int,
    *,
    in_channels: int | None = None,
    image_size: int | None = None,
    width_multiple: float | None = None,
    depth_multiple: float | None = None,
) -> BlockNetwork:
    """Assemble the network described by `config` (dict, YAML path, bundled example name or YAML text).

    Keyword overrides win over the file (the data decides in_channels; a search may vary the
    multiples over a fixed file). image_size is optional: given, every layer's output size is
    checked so a too-small image fails here with the layer named rather than in the first batch.
    """
    cfg, source = load_config(config)
    unknown = sorted(set(cfg) - set(TOP_LEVEL_KEYS))
    if unknown:
        raise ConfigError(f"{source}: unknown key(s) {unknown}; valid: {list(TOP_LEVEL_KEYS)}")
    channels = _number(source, cfg, "input_channel", 3, in_channels, integer=True)
    width = _number(source, cfg, "width_multiple", 1.0, width_multiple, integer=False)
    depth = _number(source, cfg, "depth_multiple", 1.0, depth_multiple, integer=False)
    if image_size is not None and image_size < 1:
        raise ConfigError(f"{source}: image_size must be >= 1, found {image_size}")
    backbone = cfg.get("backbone")
    if not isinstance(backbone, list) or not backbone:
        raise ConfigError(f"{source}: 'backbone' must be a non-empty list of [repeat, module, args], found {backbone!r}")
    backbone = [list(e) if isinstance(e, (list, tuple)) else e for e in backbone]
    _set_classifier_width(source, backbone, num_classes)

    asm = _Assembler(source, channels, image_size, width, depth)
    for i, entry in enumerate(backbone):
        asm.add(i, entry)
    if not _is_linear(backbone[-1]):
        tail: list[list[Any]] = []
        if asm.kind == "map":
            if asm.size != 1:
                tail.append([1, "GlobalAvgPool", []])
            tail.append([1, "Flatten", []])
        tail.append([1, "Linear", [num_classes]])
        for entry in tail:
            asm.add(len(asm.entries), entry, added=True)

    resolved: dict[str, Any] = {"input_channel": channels, "depth_multiple": depth, "width_multiple": width,
                                "backbone": asm.entries}
    if "description" in cfg:
        resolved["description"] = cfg["description"]
    return BlockNetwork(asm.layers, resolved, asm.summary)


def _is_linear(entry: Any) -> bool:
    if not isinstance(entry, list) or len(entry) != 3:
        return False
    try:
        return get_generator(entry[1]) is Linear
    except ArgError:
        return False


def _set_classifier_width(source: str, backbone: list[Any], num_classes: int) -> None:
    """The final Linear is the classifier: its out_features becomes num_classes."""
    last = backbone[-1]
    if not _is_linear(last):
        return
    args = last[2]
    if isinstance(args, list) and args:
        last[2] = [num_classes, *args[1:]]
    elif isinstance(args, Mapping):
        last[2] = {**args, "out_features": num_classes}
    else:
        last[2] = [num_classes]
