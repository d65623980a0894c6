"""Module generators: the lecture's parsing interface, one registered class per block module.

A generator takes the YAML args of one `[repeat, module, args]` entry plus the input channels and
the width multiple, validates the args, knows its output channels (`out_channel`) and spatial size
(`out_size`), and builds the nn.Module (`__call__(repeat)`). Adding a module to the YAML language
is one class:

    @register_module
    class MyBlock(ModuleGenerator):
        ARGS = (Arg("out_channel", int, check=positive, rule=">= 1"),)
        @property
        def out_channel(self) -> int:
            return self.scaled(self.args["out_channel"])
        def build_one(self, in_channel: int, first: bool) -> nn.Module:
            return MyModule(in_channel, self.out_channel)

Args may be given as a list (the lecture's positional form) or as a dict by name.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from torch import nn

from trainer.models.blocks import layers as L
from trainer.models.blocks.activations import canonical_activation

__all__ = [
    "Arg", "ArgError", "ModuleGenerator", "register_module", "get_generator", "module_names", "MODULES",
    "positive", "non_negative", "one_or_two", "odd_positive", "probability",
]

REQUIRED: Any = object()


class ArgError(ValueError):
    """A bad argument of one module; the builder prefixes the layer index and module name."""


@dataclass(frozen=True)
class Arg:
    """One positional/named argument of a module: its type, default and allowed values."""

    name: str
    kind: Any  # int, float, bool, or "activation"
    default: Any = REQUIRED
    check: Callable[[Any], bool] | None = None
    rule: str = ""  # what `check` demands, for the error message ("1 or 2")
    nullable: bool = False  # null/None is a valid value (e.g. Conv padding -> automatic)


def positive(v: float) -> bool:
    return v > 0


def non_negative(v: float) -> bool:
    return v >= 0


def one_or_two(v: int) -> bool:
    return v in (1, 2)


def odd_positive(v: int) -> bool:
    return v > 0 and v % 2 == 1


def probability(v: float) -> bool:
    return 0 <= v < 1


_KIND_NAMES = {int: "an integer", float: "a number", bool: "true or false", "activation": "an activation"}


def _convert(arg: Arg, value: Any) -> Any:
    """Convert one YAML value to the arg's kind; ValueError with the rule text when impossible."""
    kind = arg.kind
    if kind == "activation":
        return canonical_activation(value)
    if kind is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, int) and value in (0, 1):
            return bool(value)
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
    elif kind is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
    elif kind is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
    raise ValueError(f"must be {_KIND_NAMES[kind]}")


class ModuleGenerator:
    """Interface every block module implements (the lecture's ModuleGenerator)."""

    name: ClassVar[str] = ""
    ARGS: ClassVar[tuple[Arg, ...]] = ()
    INPUT: ClassVar[str] = "map"  # what it consumes: "map" [N,C,H,W], "vector" [N,F] or "any"
    OUTPUT: ClassVar[str] = "map"  # what it produces: "map", "vector" or "same" (as its input)
    STRIDE_ON_FIRST_ONLY: ClassVar[bool] = True  # repeats after the first run at stride 1

    def __init__(self, args: Mapping[str, Any], in_channel: int, width_multiple: float = 1.0) -> None:
        self.args = dict(args)
        self.in_channel = in_channel
        self.width_multiple = width_multiple
        self.validate()

    # --- parsing --------------------------------------------------------------------------
    @classmethod
    def parse_args(cls, raw: Any) -> dict[str, Any]:
        """Positional list or dict -> {name: typed value}; ArgError names the arg and the rule."""
        names = [a.name for a in cls.ARGS]
        if raw is None:
            given: dict[int, Any] = {}
        elif isinstance(raw, (list, tuple)):
            if len(raw) > len(cls.ARGS):
                raise ArgError(f"takes at most {len(cls.ARGS)} args {names}, found {len(raw)}: {list(raw)!r}")
            given = dict(enumerate(raw))
        elif isinstance(raw, Mapping):
            unknown = [k for k in raw if k not in names]
            if unknown:
                raise ArgError(f"unknown arg(s) {unknown}; valid: {names}")
            given = {names.index(k): v for k, v in raw.items()}
        else:
            raise ArgError(f"args must be a list (or a mapping by name), found {raw!r}")
        parsed: dict[str, Any] = {}
        for i, arg in enumerate(cls.ARGS):
            if i not in given:
                if arg.default is REQUIRED:
                    raise ArgError(f"missing arg {i} '{arg.name}' (args: {names})")
                default = arg.default
                parsed[arg.name] = canonical_activation(default) if arg.kind == "activation" else default
                continue
            parsed[arg.name] = cls._parse_one(i, arg, given[i])
        return parsed

    @staticmethod
    def _parse_one(index: int, arg: Arg, value: Any) -> Any:
        if value is None and (arg.nullable or arg.kind == "activation"):
            return canonical_activation(None) if arg.kind == "activation" else None
        try:
            typed = _convert(arg, value)
        except ValueError as exc:
            raise ArgError(f"arg {index} '{arg.name}' {exc}, found {value!r}") from None
        if arg.check is not None and not arg.check(typed):
            raise ArgError(f"arg {index} '{arg.name}' must be {arg.rule}, found {value!r}")
        return typed

    def arg_error(self, name: str, message: str) -> ArgError:
        index = [a.name for a in self.ARGS].index(name)
        return ArgError(f"arg {index} '{name}' {message}")

    def validate(self) -> None:
        """Checks that involve several args or the input channels (override when needed)."""

    # --- shape ----------------------------------------------------------------------------
    def scaled(self, channels: float) -> int:
        """Channels times width_multiple, rounded to a multiple of 8 (lecture / YOLO rule)."""
        return L.make_divisible(channels * self.width_multiple)

    @property
    def out_channel(self) -> int:
        return self.in_channel

    def out_size(self, size: int, first: bool = True) -> int:
        """Spatial size (per side) after one repetition."""
        return size

    # --- building -------------------------------------------------------------------------
    def build_one(self, in_channel: int, first: bool) -> nn.Module:
        raise NotImplementedError

    def __call__(self, repeat: int = 1) -> nn.Module:
        blocks = [self.build_one(self.in_channel, True)]
        blocks += [self.build_one(self.out_channel, False) for _ in range(repeat - 1)]
        return blocks[0] if len(blocks) == 1 else nn.Sequential(*blocks)

    def stride_for(self, first: bool) -> int:
        stride = self.args.get("stride") or 1
        return stride if first or not self.STRIDE_ON_FIRST_ONLY else 1


MODULES: dict[str, type[ModuleGenerator]] = {}


def register_module(cls: type[ModuleGenerator]) -> type[ModuleGenerator]:
    """Class decorator: make `cls` usable as a YAML module under its class name (or `cls.name`)."""
    name = cls.name or cls.__name__.removesuffix("Generator")
    cls.name = name
    MODULES[name] = cls
    return cls


def module_names() -> list[str]:
    return sorted(MODULES)


def get_generator(name: Any) -> type[ModuleGenerator]:
    """Generator class by module name (case-insensitive); ArgError lists the valid names."""
    if isinstance(name, str):
        if name in MODULES:
            return MODULES[name]
        for key, cls in MODULES.items():
            if key.lower() == name.lower():
                return cls
    raise ArgError(f"unknown module {name!r}; valid modules: {', '.join(module_names())}")


def _conv_size(size: int, kernel: int, stride: int, padding: int) -> int:
    return (size + 2 * padding - kernel) // stride + 1


_OUT = Arg("out_channel", int, check=positive, rule=">= 1")
_STRIDE12 = Arg("stride", int, check=one_or_two, rule="1 or 2")
_ODD_KERNEL = Arg("kernel_size", int, check=odd_positive, rule="an odd integer >= 1")


class _Convolutional(ModuleGenerator):
    """A module with an `out_channel` arg (scaled by width_multiple) and a kernel_size x kernel_size
    convolution deciding the output size; subclasses with other padding override `padding`."""

    KERNEL: int | None = None  # a fixed kernel, for modules without a kernel_size arg

    @property
    def out_channel(self) -> int:
        return self.scaled(self.args["out_channel"])

    def kernel(self) -> int:
        return self.KERNEL if self.KERNEL is not None else self.args["kernel_size"]

    def padding(self, kernel: int) -> int:
        return kernel // 2

    def out_size(self, size: int, first: bool = True) -> int:
        k = self.kernel()
        return _conv_size(size, k, self.stride_for(first), self.padding(k))


def _padded_args(kernel_size: int) -> tuple[Arg, ...]:
    """kernel_size (this default), stride and padding (null: "same") of a `_Padded` module."""
    return (Arg("kernel_size", int, kernel_size, positive, ">= 1"),
            Arg("stride", int, 1, positive, ">= 1"),
            Arg("padding", int, None, non_negative, ">= 0 or null", nullable=True))


class _Padded(_Convolutional):
    """A convolution whose `padding` arg is explicit (null: "same", kernel // 2)."""

    def padding(self, kernel: int) -> int:
        return L.autopad(kernel, self.args["padding"])


@register_module
class Conv(_Padded):
    """[out_channel, kernel_size=1, stride=1, padding=null(same), groups=1, activation=ReLU]"""

    ARGS = (_OUT, *_padded_args(1), Arg("groups", int, 1, positive, ">= 1"), Arg("activation", "activation", "ReLU"))

    def validate(self) -> None:
        g = self.args["groups"]
        if self.in_channel % g or self.out_channel % g:
            raise self.arg_error(
                "groups", f"must divide the input channels {self.in_channel} and output channels "
                f"{self.out_channel}, found {g}")

    def build_one(self, in_channel: int, first: bool) -> nn.Module:
        a = self.args
        return L.Conv(in_channel, self.out_channel, a["kernel_size"], self.stride_for(first), a["padding"],
                      a["groups"], a["activation"])


@register_module
class DWConv(_Padded):
    """[out_channel, kernel_size=3, stride=1, padding=null(same), activation=ReLU]; groups=gcd(in,out)"""

    ARGS = (_OUT, *_padded_args(3), Arg("activation", "activation", "ReLU"))

    def build_one(self, in_channel: int, first: bool) -> nn.Module:
        a = self.args
        return L.DWConv(in_channel, self.out_channel, a["kernel_size"], self.stride_for(first), a["padding"], a["activation"])


@register_module
class Bottleneck(_Convolutional):
    """[out_channel, shortcut=true, groups=1, expansion=0.5, activation=ReLU]"""

    ARGS = (
        _OUT,
        Arg("shortcut", bool, True),
        Arg("groups", int, 1, positive, ">= 1"),
        Arg("expansion", float, 0.5, positive, "> 0"),
        Arg("activation", "activation", "ReLU"),
    )

    def out_size(self, size: int, first: bool = True) -> int:
        return size  # 1x1 then 3x3 "same" convolutions at stride 1

    def validate(self) -> None:
        if self.out_channel % self.args["groups"]:
            raise self.arg_error("groups", f"must divide the output channels {self.out_channel}, found {self.args['groups']}")

    def build_one(self, in_channel: int, first: bool) -> nn.Module:
        a = self.args
        return L.Bottleneck(in_channel, self.out_channel, a["shortcut"], a["groups"], a["expansion"], a["activation"])


@register_module
class InvertedResidualv2(_Convolutional):
    """[out_channel, expansion, stride, activation=ReLU6]  (the lecture's [c, t, s])"""

    ARGS = (_OUT, Arg("expansion", float, REQUIRED, positive, "> 0"), _STRIDE12, Arg("activation", "activation", "ReLU6"))
    KERNEL = 3  # its depthwise convolution is always 3x3

    def build_one(self, in_channel: int, first: bool) -> nn.Module:
        a = self.args
        return L.InvertedResidualv2(in_channel, self.out_channel, a["expansion"], self.stride_for(first), a["activation"])


@register_module
class InvertedResidualv3(_Convolutional):
    """[kernel_size, expansion, out_channel, use_se, use_hs, stride]  (the lecture's [k, t, c, SE, HS, s])"""

    ARGS = (
        _ODD_KERNEL,
        Arg("expansion", float, REQUIRED, positive, "> 0"),
        _OUT,
        Arg("use_se", bool),
        Arg("use_hs", bool),
        _STRIDE12,
    )

    def build_one(self, in_channel: int, first: bool) -> nn.Module:
        a = self.args
        hidden = L.make_divisible(in_channel * a["expansion"])
        return L.InvertedResidualv3(in_channel, hidden, self.out_channel, a["kernel_size"], self.stride_for(first),
                                    a["use_se"], a["use_hs"])


@register_module
class MBConv(_Convolutional):
    """[expansion, out_channel, stride, kernel_size=3, activation=SiLU]  (the lecture's [t, c, s, k])"""

    ARGS = (
        Arg("expansion", float, REQUIRED, positive, "> 0"),
        _OUT,
        _STRIDE12,
        Arg("kernel_size", int, 3, odd_positive, "an odd integer >= 1"),
        Arg("activation", "activation", "SiLU"),
    )

    def build_one(self, in_channel: int, first: bool) -> nn.Module:
        a = self.args
        return L.MBConv(in_channel, self.out_channel, a["expansion"], self.stride_for(first), a["kernel_size"], a["activation"])


class _Pool(ModuleGenerator):
    ARGS = (
        Arg("kernel_size", int, REQUIRED, positive, ">= 1"),
        Arg("stride", int, None, positive, ">= 1 or null (= kernel_size)", nullable=True),
        Arg("padding", int, 0, non_negative, ">= 0"),
    )
    STRIDE_ON_FIRST_ONLY = False  # each repeated pool reduces again
    POOL: ClassVar[type[nn.Module]]

    def validate(self) -> None:
        if self.args["padding"] > self.args["kernel_size"] // 2:
            raise self.arg_error("padding", f"must be at most kernel_size // 2 = {self.args['kernel_size'] // 2}, "
                                 f"found {self.args['padding']}")

    def stride_for(self, first: bool) -> int:
        return self.args["stride"] or self.args["kernel_size"]

    def out_size(self, size: int, first: bool = True) -> int:
        return _conv_size(size, self.args["kernel_size"], self.stride_for(first), self.args["padding"])

    def build_one(self, in_channel: int, first: bool) -> nn.Module:
        return self.POOL(self.args["kernel_size"], self.stride_for(first), self.args["padding"])


@register_module
class MaxPool(_Pool):
    """[kernel_size, stride=kernel_size, padding=0]"""

    POOL = nn.MaxPool2d


@register_module
class AvgPool(_Pool):
    """[kernel_size, stride=kernel_size, padding=0]"""

    POOL = nn.AvgPool2d


@register_module
class GlobalAvgPool(ModuleGenerator):
    """[] -> [N, C, 1, 1]"""

    def out_size(self, size: int, first: bool = True) -> int:
        return 1

    def build_one(self, in_channel: int, first: bool) -> nn.Module:
        return nn.AdaptiveAvgPool2d(1)


@register_module
class Flatten(ModuleGenerator):
    """[] -> [N, C*H*W] (put GlobalAvgPool before it, as the lecture does)"""

    OUTPUT = "vector"

    def build_one(self, in_channel: int, first: bool) -> nn.Module:
        return nn.Flatten()


@register_module
class Dropout(ModuleGenerator):
    """[p=0.5]"""

    ARGS = (Arg("p", float, 0.5, probability, "in [0, 1)"),)
    INPUT = "any"
    OUTPUT = "same"

    def build_one(self, in_channel: int, first: bool) -> nn.Module:
        return nn.Dropout(self.args["p"])


@register_module
class Linear(ModuleGenerator):
    """[out_features, activation=null]; the last Linear is the classifier (out_features = num_classes)"""

    ARGS = (Arg("out_features", int, REQUIRED, positive, ">= 1"), Arg("activation", "activation", None))
    INPUT = "vector"
    OUTPUT = "vector"

    @property
    def out_channel(self) -> int:
        return self.args["out_features"]  # not width-scaled: the classifier must keep num_classes

    def build_one(self, in_channel: int, first: bool) -> nn.Module:
        act = self.args["activation"]
        fc = nn.Linear(in_channel, self.out_channel)
        return fc if act == "Identity" else nn.Sequential(fc, L.make_activation(act))
