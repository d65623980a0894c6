"""The lecture's macro structure (Normal Cell / Reduction Cell) from flat trial parameters.

    stem Conv(base_channels, stem_kernel, stem_stride)
    stage s = 1..n_stages:  N x Normal Cell (channels base_channels * channel_growth**(s-1))
                            1 x Reduction Cell (stride 2, or a pool)
    [head Conv 1x1 (head_channels)] -> GlobalAvgPool -> Flatten [-> Dropout] -> Linear(num_classes)

A Katib/Optuna search passes scalars (`normal_cell=MBConv`, `n_repeat=2`, ...); any per-stage
choice can be overridden with a `_<stage>` suffix (1-based), e.g. `n_repeat_3=4`,
`normal_cell_2=DWConv` — the lecture's "N grows with depth" and "variable N, NC, RC" examples.
`cells_to_yaml` returns the same YAML dict the block builder takes, so every sampled network can
be written out as a file and rebuilt with `create_model("yaml", config=...)`.

Cell arguments: the normal cell gets out_channel, kernel_size (normal_kernel; InvertedResidualv2
is always 3x3), expansion (normal_expansion, else the module's usual value) and the activation
(InvertedResidualv3 has only ReLU/Hardswish: use_hs = activation is Hardswish). The reduction cell
gets the same with stride 2; pools get kernel reduction_kernel, stride 2, padding kernel // 2.
`normal_args` / `reduction_args` (a list, or its YAML text) replace the generated args verbatim.
"""

from __future__ import annotations

import inspect
import typing
from typing import Any


from trainer.errors import ConfigError
from trainer.models.blocks.activations import canonical_activation
from trainer.models.blocks.generators import ArgError, get_generator
from trainer.yaml_text import parse_yaml

__all__ = ["cells_to_yaml", "cells_param_types", "NORMAL_CELLS", "REDUCTION_CELLS", "MAX_STAGES", "PER_STAGE"]

MAX_STAGES = 6
NORMAL_CELLS = ("Conv", "DWConv", "Bottleneck", "InvertedResidualv2", "InvertedResidualv3", "MBConv")
REDUCTION_CELLS = ("Conv", "DWConv", "InvertedResidualv2", "InvertedResidualv3", "MBConv", "MaxPool", "AvgPool")
POOLS = ("MaxPool", "AvgPool")
DEFAULT_EXPANSION = {"Bottleneck": 0.5, "InvertedResidualv2": 6.0, "InvertedResidualv3": 4.0, "MBConv": 6.0}
# Per-stage parameters: `<name>_<stage>` overrides `<name>` for that stage.
PER_STAGE: dict[str, Any] = {
    "n_repeat": int, "normal_cell": str, "normal_kernel": int, "normal_expansion": float,
    "reduction_cell": str, "reduction_kernel": int, "activation": str,
}


def cells_to_yaml(
    *,
    n_stages: int = 3,
    n_repeat: int | None = None,
    N: int | None = None,
    normal_cell: str = "Conv",
    normal_args: list | str | None = None,
    normal_kernel: int = 3,
    normal_expansion: float | None = None,
    reduction_cell: str = "MaxPool",
    reduction_args: list | str | None = None,
    reduction_kernel: int = 3,
    reduction_expansion: float | None = None,
    activation: str = "ReLU",
    base_channels: int = 16,
    channel_growth: float = 2.0,
    width_multiple: float = 1.0,
    depth_multiple: float = 1.0,
    stem_kernel: int = 3,
    stem_stride: int = 2,
    head_channels: int = 0,
    dropout: float = 0.0,
    in_channels: int = 3,
    **stage_overrides: Any,
) -> dict[str, Any]:
    """The block-network YAML dict for these cell parameters (no classifier Linear: the builder adds it)."""
    if n_repeat is not None and N is not None and n_repeat != N:
        raise ConfigError(f"cells: n_repeat {n_repeat} and N {N} disagree (N is an alias); give one")
    _int("n_stages", n_stages, 1, MAX_STAGES)
    for name, value in (("base_channels", base_channels), ("stem_kernel", stem_kernel), ("stem_stride", stem_stride),
                        ("in_channels", in_channels)):
        _int(name, value, 1)
    _int("head_channels", head_channels, 0)
    for name, value in (("channel_growth", channel_growth), ("width_multiple", width_multiple),
                        ("depth_multiple", depth_multiple)):
        _positive(name, value)
    if not (isinstance(dropout, (int, float)) and 0 <= dropout < 1):
        raise ConfigError(f"cells: dropout must be in [0, 1), found {dropout!r}")
    defaults = {"n_repeat": next((v for v in (n_repeat, N) if v is not None), 1), "normal_cell": normal_cell,
                "normal_kernel": normal_kernel, "normal_expansion": normal_expansion, "reduction_cell": reduction_cell,
                "reduction_kernel": reduction_kernel, "activation": activation}
    per_stage = _per_stage(n_stages, defaults, stage_overrides)
    normal_fixed = _args_list("normal_args", normal_args)
    reduction_fixed = _args_list("reduction_args", reduction_args)

    stem_act = per_stage[0]["activation"]
    backbone: list[list[Any]] = [[1, "Conv", [base_channels, stem_kernel, stem_stride, None, 1, stem_act]]]
    for s, p in enumerate(per_stage):
        channels = max(1, int(round(base_channels * channel_growth**s)))
        if p["n_repeat"] > 0:
            args = normal_fixed if normal_fixed is not None else _cell_args(
                p["normal_cell"], channels, 1, p["normal_kernel"], p["normal_expansion"], p["activation"])
            backbone.append([p["n_repeat"], p["normal_cell"], args])
        args = reduction_fixed if reduction_fixed is not None else _cell_args(
            p["reduction_cell"], channels, 2, p["reduction_kernel"], reduction_expansion, p["activation"])
        backbone.append([1, p["reduction_cell"], args])
    if head_channels:
        backbone.append([1, "Conv", [head_channels, 1, 1, None, 1, per_stage[-1]["activation"]]])
    backbone += [[1, "GlobalAvgPool", []], [1, "Flatten", []]]
    if dropout > 0:
        backbone.append([1, "Dropout", [float(dropout)]])
    return {"input_channel": in_channels, "depth_multiple": float(depth_multiple),
            "width_multiple": float(width_multiple), "backbone": backbone}


def cells_param_types() -> dict[str, Any]:
    """Every keyword cells_to_yaml accepts (per-stage ones included) -> its type, for the registry."""
    hints = typing.get_type_hints(cells_to_yaml)
    params = inspect.signature(cells_to_yaml).parameters.values()
    types = {p.name: hints[p.name] for p in params if p.kind is inspect.Parameter.KEYWORD_ONLY}
    for name, tp in PER_STAGE.items():
        optional = typing.Optional[tp]
        types.update({f"{name}_{i}": optional for i in range(1, MAX_STAGES + 1)})
    return types


def _int(name: str, value: Any, minimum: int, maximum: int | None = None) -> int:
    ok = isinstance(value, int) and not isinstance(value, bool) and value >= minimum
    if ok and maximum is not None:
        ok = value <= maximum
    if not ok:
        rule = f">= {minimum}" if maximum is None else f"in {minimum}..{maximum}"
        raise ConfigError(f"cells: {name} must be an integer {rule}, found {value!r}")
    return value


def _positive(name: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise ConfigError(f"cells: {name} must be a number > 0, found {value!r}")


def _per_stage(n_stages: int, defaults: dict[str, Any], overrides: dict[str, Any]) -> list[dict[str, Any]]:
    """One dict of per-stage values for each stage, validated."""
    stages = [dict(defaults) for _ in range(n_stages)]
    for key, value in overrides.items():
        name, _, index = key.rpartition("_")
        if name not in PER_STAGE or not index.isdigit() or not 1 <= int(index) <= MAX_STAGES:
            raise ConfigError(
                f"cells: unknown parameter {key!r}; per-stage overrides are <name>_<stage> with name in "
                f"{sorted(PER_STAGE)} and stage 1..{MAX_STAGES}")
        if int(index) > n_stages:
            raise ConfigError(f"cells: {key} given but n_stages is {n_stages}")
        if value is not None:
            stages[int(index) - 1][name] = value
    for s, p in enumerate(stages, start=1):

        def where(name: str) -> str:  # name the override when the bad value came from one
            return f"{name}_{s}" if f"{name}_{s}" in overrides else name

        _int(where("n_repeat"), p["n_repeat"], 0)
        for kernel in ("normal_kernel", "reduction_kernel"):
            # odd kernels keep 'same' padding exact, so residual adds line up
            if _int(where(kernel), p[kernel], 1) % 2 == 0:
                raise ConfigError(f"cells: {where(kernel)} must be odd (1, 3, 5, 7, ...), found {p[kernel]}")
        if p["normal_expansion"] is not None:
            _positive(where("normal_expansion"), p["normal_expansion"])
        p["normal_cell"] = _module(where("normal_cell"), p["normal_cell"], NORMAL_CELLS)
        p["reduction_cell"] = _module(where("reduction_cell"), p["reduction_cell"], REDUCTION_CELLS)
        try:
            p["activation"] = canonical_activation(p["activation"])
        except ValueError as exc:
            raise ConfigError(f"cells: {where('activation')} {exc}, found {p['activation']!r}") from None
    return stages


def _module(field: str, name: Any, allowed: tuple[str, ...]) -> str:
    try:
        canonical = get_generator(name).name
    except ArgError:
        canonical = None
    if canonical not in allowed:
        role = "a normal cell" if allowed is NORMAL_CELLS else "a reduction cell"
        raise ConfigError(f"cells: {field} {name!r} cannot be {role}; valid: {', '.join(allowed)}")
    return canonical


def _args_list(field: str, value: list | str | None) -> list | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = parse_yaml(value, f"cells: {field}")
    if not isinstance(value, list):
        raise ConfigError(f"cells: {field} must be a list of module args, found {value!r}")
    return value


def _cell_args(module: str, channels: int, stride: int, kernel: int, expansion: float | None, activation: str) -> list:
    """Lecture-format positional args for one cell, filled by arg name."""
    values = {
        "out_channel": channels,
        "kernel_size": kernel,
        "stride": stride,
        "expansion": expansion if expansion is not None else DEFAULT_EXPANSION.get(module),
        "activation": activation,
        "padding": kernel // 2 if module in POOLS else None,
        "groups": 1,
        "shortcut": True,
        "use_se": False,
        "use_hs": activation == "Hardswish",
    }
    return [values[arg.name] for arg in get_generator(module).ARGS]
