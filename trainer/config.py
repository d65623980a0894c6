"""TrainConfig: every training option, as a `--flag` and as a YAML key.

Key scheme (one per option, dotted for model-family sections):
  * flat keys for everything that is not model-specific: `lr`, `optimizer`, `batch_size`, ...
  * `efficientnet.<k>` and `vit.<k>` for the two families' hyperparameters,
    `blocks.config` for the YAML block network, `cells.<k>` (free keys) for the lecture's cell model;
    only the section of the chosen model's family is passed to `create_model`.
  * any other keyword the chosen model's builder accepts (`model_kwargs(name)`) may be given flat.

The same key is written `--vit.depth 4`, `--vit-depth=4`, `--set vit.depth=4`, or in YAML either
`vit: {depth: 4}` or `vit.depth: 4`. `-` and `_` are interchangeable in names. Values may always be
strings ("0.01", "3", "true"), as Katib substitutes them; each is converted by the field's type.
The seeds' flag names (NNI trial commands and search spaces) are aliases, e.g. `--resolution`,
`--vt-dim`, `--patch-num`, `--criterion`; `--gamma` means `efficientnet.gamma` for an EfficientNet
and the LR-decay factor `lr_gamma` otherwise (seed 000 vs seed 001).

Layers, lowest first: defaults < checkpoint config (with --resume, applied by the trainer) <
`--config FILE` < other flags and `--set` in command-line order.
This module imports no torch, so `--help` and config errors are fast.
"""

from __future__ import annotations

import dataclasses
import difflib
import json
import math
import re
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

import yaml

from trainer.errors import ConfigError

# Names the factories accept; optim.py / losses.py build from these so the lists cannot drift.
OPTIMIZERS = ("sgd", "adam", "adamw", "rmsprop")
SCHEDULERS = ("none", "step", "steplr", "cosine", "onecycle")
LOSSES = ("cross_entropy", "focal", "label_smoothing", "f1")
AUGMENTS = ("base", "affine", "gaussian", "randaugment", "autoaugment", "trivialaugment", "none")
SPLITS = ("stratified", "group", "random")
SAMPLERS = ("random", "weighted")
AMP_MODES = ("auto", "bf16", "fp16", "off")
BEST_MODES = ("auto", "max", "min")
METRICS_FORMATS = ("text", "json")
# Per-epoch metrics a run can keep best.pt by (report.py documents the names).
BEST_METRICS = ("accuracy", "loss", "f1", "top5", "val_accuracy", "val_loss", "train_loss", "train_accuracy",
                "score")


def _opt(default: Any, help: str, *, group: str, aliases: Iterable[str] = (),
         choices: Iterable[str] | None = None, value_aliases: dict[str, str] | None = None) -> Any:
    meta = {"help": help, "group": group, "aliases": tuple(aliases),
            "choices": tuple(choices) if choices else None, "value_aliases": value_aliases or {}}
    if isinstance(default, (list, dict)):
        return field(default_factory=lambda d=default: type(d)(d), metadata=meta)
    return field(default=default, metadata=meta)


@dataclass
class EfficientNetArgs:
    """Compound-scaling and regularisation kwargs of the efficientnet-* builders (seed 000)."""

    alpha: float | None = _opt(None, "depth coefficient (compound scaling; seed 000 searches 1.0-2.0)",
                               group="model", aliases=("alpha",))
    beta: float | None = _opt(None, "width coefficient (compound scaling)", group="model", aliases=("beta",))
    gamma: float | None = _opt(None, "resolution coefficient (compound scaling); plain --gamma means this "
                               "for efficientnet models", group="model")
    phi: float | None = _opt(None, "compound coefficient phi", group="model", aliases=("phi",))
    drop_connect: float | None = _opt(None, "drop-connect (stochastic depth) rate", group="model",
                                      aliases=("drop_connect_rate",))


@dataclass
class ViTArgs:
    """vit-pytorch ViT kwargs (seed 001)."""

    patch_size: int | None = _opt(None, "patch size in pixels (or give patch_num)", group="model")
    patch_num: int | None = _opt(None, "patches per side; patch_size = image_size / patch_num",
                                 group="model", aliases=("patch_num",))
    dim: int | None = _opt(None, "token dimension", group="model", aliases=("vt_dim",))
    depth: int | None = _opt(None, "transformer blocks", group="model", aliases=("vt_depth",))
    heads: int | None = _opt(None, "attention heads", group="model", aliases=("vt_heads", "vt_head"))
    mlp_dim: int | None = _opt(None, "MLP hidden size", group="model", aliases=("mlp_dim",))
    emb_dropout: float | None = _opt(None, "embedding dropout", group="model", aliases=("emb_dropout",))


@dataclass
class BlocksArgs:
    """Block-assembled network (model `yaml`, seed 003)."""

    config: Any = _opt(None, "block network: path to a YAML file, or (in a config file) the mapping itself",
                       group="model", aliases=("model_config", "arch_config"))


@dataclass
class TrainConfig:
    # --- data
    data: str = _opt("", "dataset: ImageFolder root (train/ val/ [test/]), a single folder, or a CSV manifest",
                     group="data", aliases=("download_dir", "data_dir", "dataset"))
    image_size: int = _opt(224, "input size in pixels (square)", group="data",
                           aliases=("resolution", "img_size", "input_size", "base_resolution"))
    channels: int = _opt(3, "image channels (1 = grayscale, 3 = RGB)", group="data")
    val_ratio: float = _opt(0.2, "validation fraction when the data has no val/ split", group="data")
    split: str = _opt("stratified", "how to split train/val when there is no val/ folder", group="data",
                      choices=SPLITS)
    augment: str = _opt("base", "train-time augmentation", group="data", aliases=("augmentation",),
                        choices=AUGMENTS, value_aliases={"trivial": "trivialaugment", "rand": "randaugment",
                                                         "auto": "autoaugment", "off": "none"})
    cache: bool = _opt(True, "decode images once into a uint8 cache (much faster epochs)", group="data")
    cache_dir: str | None = _opt(None, "where to keep the decoded cache (default: next to the data)",
                                 group="data")
    skip_corrupt: bool = _opt(False, "skip unreadable images instead of failing", group="data")
    num_classes: int | None = _opt(None, "expected class count; checked against the data (seeds pass it)",
                                   group="data")
    # --- model
    model: str = _opt("efficientnet-b0", "model name (see trainer.models.list_models)", group="model",
                      aliases=("arch", "architecture", "model_name"))
    dropout: float | None = _opt(None, "dropout rate, if the model has one", group="model")
    init_weights: str | None = _opt(None, "initial weights: a state_dict file or file:// / s3:// URI; "
                                    "keys whose shape differs (the head) are skipped", group="model",
                                    aliases=("pretrained", "weights"))
    efficientnet: EfficientNetArgs = field(default_factory=EfficientNetArgs)
    vit: ViTArgs = field(default_factory=ViTArgs)
    blocks: BlocksArgs = field(default_factory=BlocksArgs)
    cells: dict = field(default_factory=dict, metadata={
        "help": "free keys for the `cells` model (cells.<name>), checked against its builder",
        "group": "model", "aliases": (), "choices": None, "value_aliases": {}})
    model_args: dict = field(default_factory=dict, metadata={
        "help": "other keyword args of the chosen model's builder (given as flat keys)",
        "group": "model", "aliases": (), "choices": None, "value_aliases": {}})
    # --- optimisation
    epochs: int = _opt(10, "training epochs", group="optim", aliases=("num_epochs", "max_epochs"))
    batch_size: int = _opt(64, "batch size per process", group="optim", aliases=("bs",))
    lr: float = _opt(0.01, "learning rate (peak lr for onecycle)", group="optim",
                     aliases=("learning_rate",))
    optimizer: str = _opt("sgd", "optimizer", group="optim", aliases=("optim", "opt"), choices=OPTIMIZERS)
    momentum: float = _opt(0.9, "momentum (sgd, rmsprop)", group="optim")
    nesterov: bool = _opt(False, "Nesterov momentum (sgd)", group="optim")
    weight_decay: float = _opt(0.0, "weight decay", group="optim", aliases=("wd",))
    betas: list[float] = _opt([0.9, 0.999], "Adam betas, e.g. 0.9,0.999", group="optim")
    eps: float = _opt(1e-8, "optimizer epsilon (adam, adamw, rmsprop)", group="optim")
    scheduler: str = _opt("none", "LR schedule", group="optim",
                          aliases=("schedule", "lr_scheduler", "lr_schedule", "sched"), choices=SCHEDULERS,
                          value_aliases={"multistep": "step", "multisteplr": "step", "cos": "cosine",
                                         "cosineannealing": "cosine", "onecyclelr": "onecycle",
                                         "constant": "none"})
    milestones: list[int] = _opt([], "epochs at which `step` multiplies the LR by lr_gamma, e.g. 10,20,25",
                                 group="optim", aliases=("lr_milestones",))
    lr_gamma: float = _opt(0.1, "LR decay factor for step/steplr (plain --gamma for non-EfficientNet "
                           "models; seed 001)", group="optim", aliases=("lr_decay", "decay_gamma"))
    step_size: int = _opt(1, "epochs between decays for steplr", group="optim", aliases=("lr_step_size",))
    min_lr: float = _opt(0.0, "final LR for cosine", group="optim", aliases=("eta_min",))
    pct_start: float = _opt(0.3, "fraction of the run spent increasing the LR (onecycle)", group="optim")
    warmup_epochs: float = _opt(0.0, "linear LR warm-up length in epochs (combines with any schedule)",
                                group="optim", aliases=("warmup",))
    grad_clip: float = _opt(0.0, "clip the gradient norm to this value (0 = off)", group="optim",
                            aliases=("clip_grad", "clip_grad_norm", "max_grad_norm"))
    # --- loss and sampling
    loss: str = _opt("cross_entropy", "loss function", group="loss", aliases=("criterion",), choices=LOSSES,
                     value_aliases={"ce": "cross_entropy", "crossentropyloss": "cross_entropy",
                                    "focalloss": "focal", "labelsmoothingloss": "label_smoothing",
                                    "smoothing": "label_smoothing", "f1loss": "f1"})
    focal_gamma: float = _opt(2.0, "focusing parameter of the focal loss", group="loss")
    smoothing: float = _opt(0.1, "label smoothing amount (label_smoothing loss)", group="loss",
                            aliases=("label_smoothing",))
    class_weights: str = _opt("none", "loss class weights: none, balanced (inverse frequency), or a comma "
                              "list, one per class", group="loss")
    sampler: str = _opt("random", "train sampling: random, or weighted (class-balanced)", group="loss",
                        choices=SAMPLERS, value_aliases={"balanced": "weighted", "shuffle": "random"})
    # --- runtime
    device: str = _opt("auto", "auto (cuda if available), cpu, cuda, cuda:N", group="runtime")
    gpu: int | None = _opt(None, "GPU index within CUDA_VISIBLE_DEVICES (seeds' --gpu); ignored without CUDA",
                           group="runtime", aliases=("gpu_id",))
    amp: str = _opt("auto", "mixed precision: auto (bf16 on CUDA when supported, else fp16; off on CPU)",
                    group="runtime", choices=AMP_MODES, value_aliases={
                        "bfloat16": "bf16", "float16": "fp16", "half": "fp16", "fp32": "off",
                        "false": "off", "no": "off", "none": "off", "true": "auto", "on": "auto"})
    channels_last: bool = _opt(True, "channels_last memory format on CUDA", group="runtime")
    compile: bool = _opt(False, "torch.compile the model", group="runtime")
    workers: int = _opt(-1, "DataLoader worker processes (-1 = auto)", group="runtime",
                        aliases=("num_workers", "worker_num", "j"))
    threads: int = _opt(0, "PyTorch CPU threads (0 = auto: OMP_NUM_THREADS if set, else the CPUs this process "
                        "may use by affinity and cgroup quota, shared among local ranks)", group="runtime",
                        aliases=("num_threads", "torch_threads"))
    seed: int = _opt(0, "random seed (split, init, shuffling)", group="runtime")
    deterministic: bool = _opt(False, "deterministic algorithms (bit-identical reruns and resumes)",
                               group="runtime")
    # --- output
    out: str = _opt("", "output directory (default runs/<time>-<model>)", group="output",
                    aliases=("output", "output_dir", "save_dir", "out_dir"))
    resume: str | None = _opt(None, "continue from a checkpoint file, or a directory's last.pt; `auto` "
                              "resumes from <out>/last.pt when it exists", group="output")
    stop_after_epochs: int = _opt(0, "stop this run after N epochs (0 = run to --epochs); resume later",
                                  group="output")
    best_metric: str = _opt("accuracy", "metric that selects best.pt", group="output", choices=BEST_METRICS)
    best_mode: str = _opt("auto", "max or min for best_metric (auto: min for *loss, else max)",
                          group="output", choices=BEST_MODES)
    metrics_file: str | None = _opt(None, "also write metric lines to this file (Katib File collector)",
                                    group="output", aliases=("metrics_path",))
    metrics_format: str = _opt("text", "metrics file format: text (name=value) or json (quoted values)",
                               group="output", choices=METRICS_FORMATS)
    metrics_timestamps: bool = _opt(True, "start each metric line with an RFC3339 time (Katib reads it as "
                                    "the observation time)", group="output")
    tensorboard: bool = _opt(True, "write TensorBoard event logs under <out>/tensorboard", group="output")
    # The scalarised objective for multi-objective searches on plain Katib (docs/search-spaces.md):
    # score = accuracy - score_lambda * (max(0, ln(params / params budget)) + max(0, ln(macs / macs budget))).
    score_params_budget: int = _opt(0, "report `score`: accuracy penalised by score_lambda * ln(params / this) "
                                    "above this many parameters (0 = no params term)", group="output")
    score_macs_budget: int = _opt(0, "report `score`: accuracy penalised by score_lambda * ln(macs / this) above "
                                  "this many MACs per image (0 = no MACs term)", group="output")
    score_lambda: float = _opt(0.1, "weight of each log-ratio penalty in `score`", group="output")

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def get(self, key: str) -> Any:
        obj: Any = self
        for part in key.split("."):
            obj = obj[part] if isinstance(obj, dict) else getattr(obj, part)
        return obj


GROUP_TITLES = {"data": "data", "model": "model", "optim": "optimisation", "loss": "loss and sampling",
                "runtime": "runtime", "output": "output and reporting"}
SECTIONS = {"efficientnet": EfficientNetArgs, "vit": ViTArgs, "blocks": BlocksArgs}
FREE_SECTIONS = ("cells",)
# Flags of the seeds' scripts that mean nothing here; accepted so their commands run unchanged.
IGNORED_KEYS = {"request_from_nni": "NNI-only switch", "classification": "seed 002 switch (always multi-class)"}
SHORT_FLAGS = {"a": "model", "j": "workers", "b": "batch_size", "c": "config"}
_INTERNAL = ("cells", "model_args")


@dataclass(frozen=True)
class FieldSpec:
    key: str                       # canonical dotted key
    type: Any                      # resolved annotation
    default: Any
    help: str
    group: str
    aliases: tuple[str, ...]
    choices: tuple[str, ...] | None
    value_aliases: dict[str, str]

    @property
    def base_type(self) -> Any:
        return _strip_optional(self.type)[0]

    @property
    def optional(self) -> bool:
        return _strip_optional(self.type)[1]


def _strip_optional(tp: Any) -> tuple[Any, bool]:
    if isinstance(tp, types.UnionType) or typing.get_origin(tp) is typing.Union:
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        return (args[0] if len(args) == 1 else Any), len(args) < len(typing.get_args(tp))
    return tp, False


def _collect_specs() -> dict[str, FieldSpec]:
    specs: dict[str, FieldSpec] = {}

    def add(cls: type, prefix: str) -> None:
        hints = typing.get_type_hints(cls)
        for f in dataclasses.fields(cls):
            if prefix == "" and (f.name in SECTIONS or f.name in _INTERNAL):
                continue
            meta = f.metadata
            default = f.default if f.default is not dataclasses.MISSING else f.default_factory()  # type: ignore[misc]
            specs[prefix + f.name] = FieldSpec(prefix + f.name, hints[f.name], default, meta["help"],
                                               meta["group"], meta["aliases"], meta["choices"],
                                               meta["value_aliases"])

    add(TrainConfig, "")
    for name, cls in SECTIONS.items():
        add(cls, name + ".")
    return specs


SPECS: dict[str, FieldSpec] = _collect_specs()


def _norm_key(key: str) -> str:
    return key.strip().lstrip("-").lower().replace("-", "_")


def _build_alias_table() -> dict[str, str]:
    table: dict[str, str] = {}
    for key, spec in SPECS.items():
        names = [key, *spec.aliases]
        if "." in key:
            names.append(key.replace(".", "_"))   # --vit-depth, vit_depth
        for name in names:
            n = _norm_key(name)
            if n in table and table[n] != key:
                raise AssertionError(f"config alias {n!r} maps to both {table[n]} and {key}")
            table[n] = key
    return table


ALIASES: dict[str, str] = _build_alias_table()
CONTEXT_KEYS = {"gamma"}  # resolved once the model is known


def known_names() -> list[str]:
    return sorted(set(ALIASES) | set(IGNORED_KEYS) | CONTEXT_KEYS | {"config", "set"})


def close_matches(name: str, candidates: Iterable[str], n: int = 4) -> list[str]:
    return difflib.get_close_matches(name, list(candidates), n=n, cutoff=0.6)


# ---------------------------------------------------------------- value conversion

_TRUE = {"1", "true", "yes", "y", "on", "t"}
_FALSE = {"0", "false", "no", "n", "off", "f"}


def parse_bool(raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, (int, float)) and raw in (0, 1):
        return bool(raw)
    s = str(raw).strip().lower()
    if s in _TRUE:
        return True
    if s in _FALSE:
        return False
    raise ValueError(f"expected a boolean (true/false, 1/0, yes/no), got {raw!r}")


def parse_scalar(raw: Any) -> Any:
    """A free-form value: int, float, bool, None or string (Katib gives strings)."""
    if not isinstance(raw, str):
        return raw
    s = raw.strip()
    low = s.lower()
    if low in ("true", "false"):
        return low == "true"
    if low in ("none", "null"):
        return None
    try:
        return int(s)
    except ValueError:
        pass
    try:
        return float(s)
    except ValueError:
        return s


def _to_int(raw: Any) -> int:
    if isinstance(raw, bool):
        raise ValueError(f"expected an integer, got {raw!r}")
    if isinstance(raw, int):
        return raw
    value = float(raw) if not isinstance(raw, float) else raw
    if isinstance(raw, str):
        try:
            return int(raw.strip())
        except ValueError:
            value = float(raw)
    if not math.isfinite(value) or value != int(value):
        raise ValueError(f"expected an integer, got {raw!r}")
    return int(value)   # "32.0" from quniform search spaces


def _to_float(raw: Any) -> float:
    if isinstance(raw, bool):
        raise ValueError(f"expected a number, got {raw!r}")
    return float(raw)


def _to_list(raw: Any, item: Any) -> list:
    if isinstance(raw, str):
        s = raw.strip().strip("[]()")
        parts = [p for p in re.split(r"[,\s]+", s) if p]
    elif isinstance(raw, (list, tuple)):
        parts = list(raw)
    else:
        parts = [raw]
    conv = _to_int if item is int else _to_float if item is float else str
    return [conv(p) for p in parts]


def canonical_choice(value: str, choices: tuple[str, ...], value_aliases: dict[str, str]) -> str | None:
    """Match a choice ignoring case, `-`, `_`, spaces and a trailing 'Augmentation'/'Loss' word."""
    def squash(s: str) -> str:
        return re.sub(r"[^a-z0-9]", "", s.lower())

    v = squash(value)
    table = {squash(c): c for c in choices}
    table.update({squash(a): c for a, c in value_aliases.items()})
    if v in table:
        return table[v]
    for suffix in ("augmentation", "loss", "lr"):
        if v.endswith(suffix) and v[: -len(suffix)] in table:
            return table[v[: -len(suffix)]]
    return None


def coerce(spec: FieldSpec, raw: Any) -> Any:
    """Convert a raw value (CLI string or YAML value) to the field's type; ValueError if impossible."""
    base, optional = spec.base_type, spec.optional
    if base is Any:
        return parse_scalar(raw)
    if raw is None or (optional and isinstance(raw, str) and raw.strip().lower() in ("", "none", "null")):
        if optional:
            return None
        raise ValueError("a value is required")
    origin = typing.get_origin(base)
    if base is bool:
        return parse_bool(raw)
    if base is int:
        return _to_int(raw)
    if base is float:
        return _to_float(raw)
    if origin is list:
        return _to_list(raw, typing.get_args(base)[0])
    if base is str:
        if isinstance(raw, (dict, list)):
            raise ValueError(f"expected a string, got {type(raw).__name__}")
        value = str(raw).strip()
        if spec.choices:
            found = canonical_choice(value, spec.choices, spec.value_aliases)
            if found is None:
                raise ValueError(f"{value!r} is not one of: {', '.join(spec.choices)}")
            return found
        return value
    return parse_scalar(raw)   # Any


# ---------------------------------------------------------------- building a config

@dataclass
class Assignment:
    key: str        # as written by the user (flag or YAML key)
    value: Any      # raw value
    source: str     # where it came from, for error messages


def _flatten_yaml(data: Any, source: str, prefix: str = "") -> list[Assignment]:
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: expected a mapping of config keys, got {type(data).__name__}")
    out: list[Assignment] = []
    for k, v in data.items():
        key = prefix + str(k)
        canon = ALIASES.get(_norm_key(key))
        leaf_takes_mapping = canon is not None and SPECS[canon].base_type is Any
        if isinstance(v, dict) and not leaf_takes_mapping:
            out.extend(_flatten_yaml(v, source, key + "."))
        else:
            out.append(Assignment(key, v, source))
    return out


def load_config_file(path: str) -> list[Assignment]:
    p = Path(path)
    if not p.is_file():
        raise ConfigError(f"--config: file not found: {path}")
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ConfigError(f"--config {path}: not valid YAML: {exc}") from None
    if data is None:
        return []
    return _flatten_yaml(data, path)


def model_family(name: str) -> str:
    """Which config section holds kwargs for this model name."""
    n = name.lower().replace("_", "-")
    if n.startswith("efficientnet"):
        return "efficientnet"
    if n.startswith("vit"):
        return "vit"
    if n in ("yaml", "blocks"):
        return "blocks"
    if n.startswith("cells"):
        return "cells"
    return ""


def _set(cfg: TrainConfig, key: str, value: Any) -> None:
    obj: Any = cfg
    parts = key.split(".")
    for part in parts[:-1]:
        obj = getattr(obj, part)
    setattr(obj, parts[-1], value)


def _apply_dict(cfg: TrainConfig, data: dict[str, Any], source: str) -> None:
    """Overlay a nested dict (a checkpoint's saved config); keys this version lacks are ignored."""
    for a in _flatten_yaml(data, source):
        key = _norm_key(a.key)
        if key.startswith(("cells.", "model_args.")) or key in _INTERNAL:
            section, _, name = a.key.partition(".")   # the saved spelling (kwargs may be upper case)
            if name:
                getattr(cfg, section)[name] = a.value
            continue
        canon = ALIASES.get(key)
        if canon is not None and canon == a.key:
            try:
                _set(cfg, canon, coerce(SPECS[canon], a.value))
            except ValueError as exc:
                raise ConfigError(f"{source}: {canon}: {exc}") from None


def _model_kwarg_names(model: str) -> set[str] | None:
    try:
        from trainer.models import registry
        return set(registry.model_kwargs(resolve_model_name(model, registry.list_models())))
    except (ImportError, ValueError):
        return None


def match_kwarg(name: str, accepted: Iterable[str]) -> str | None:
    """The builder's spelling of a keyword: exact, else the one that matches ignoring case and -/_."""
    accepted = list(accepted)
    if name in accepted:
        return name
    squash = name.lower().replace("-", "_")
    found = [k for k in accepted if k.lower() == squash]
    return found[0] if len(found) == 1 else None


def resolve_model_name(name: str, available: Iterable[str]) -> str:
    """Accept the seeds' spellings: 'Efficientnet_b4' -> 'efficientnet-b4', 'efficientnet' -> '-b0'."""
    available = list(available)
    if name in available:
        return name
    low = name.strip().lower()
    for cand in (low, low.replace("_", "-"), low.replace("-", "_")):
        if cand in available:
            return cand
    if low in ("efficientnet", "efficient-net", "efficient_net") and "efficientnet-b0" in available:
        return "efficientnet-b0"
    hint = close_matches(low.replace("_", "-"), available) or close_matches(low, available)
    raise ConfigError(f"model: unknown model {name!r}"
                      + (f" (did you mean {', '.join(hint)}?)" if hint else "")
                      + f"; available: {', '.join(sorted(available))}")


def build_config(assignments: Iterable[Assignment], base: dict[str, Any] | None = None) -> TrainConfig:
    """Defaults, then `base` (a saved config), then each assignment in order."""
    cfg = TrainConfig()
    if base:
        _apply_dict(cfg, base, "checkpoint config")
    deferred: list[Assignment] = []
    for a in assignments:
        key = _norm_key(a.key)
        if key in IGNORED_KEYS:
            continue
        if key in CONTEXT_KEYS:
            deferred.append(a)
            continue
        section, dot, name = key.partition(".")
        if dot and section in FREE_SECTIONS:
            # keep the user's spelling: builder kwargs may be upper case (the lecture's `N`)
            cfg.cells[a.key.strip().lstrip("-").partition(".")[2].replace("-", "_")] = parse_scalar(a.value)
            continue
        canon = ALIASES.get(key)
        if canon is None:
            deferred.append(a)   # maybe a keyword of the chosen model; decided below
            continue
        try:
            _set(cfg, canon, coerce(SPECS[canon], a.value))
        except ValueError as exc:
            raise ConfigError(f"{a.source}: {canon}: {exc}") from None
    for a in deferred:
        key = _norm_key(a.key)
        if key == "gamma":
            target = "efficientnet.gamma" if model_family(cfg.model) == "efficientnet" else "lr_gamma"
            try:
                _set(cfg, target, coerce(SPECS[target], a.value))
            except ValueError as exc:
                raise ConfigError(f"{a.source}: gamma (as {target}): {exc}") from None
            continue
        kwargs = _model_kwarg_names(cfg.model) if "." not in key else None
        match = match_kwarg(key, kwargs or ())
        if match is not None:
            cfg.model_args[match] = parse_scalar(a.value)
            continue
        hint = close_matches(key, known_names() + sorted(kwargs or ()))
        raise ConfigError(f"{a.source}: unknown config key {a.key!r}"
                          + (f"; did you mean {', '.join(hint)}?" if hint else "")
                          + " (`python -m trainer train --help` lists every key)")
    validate(cfg)
    return cfg


def validate(cfg: TrainConfig) -> None:
    def bad(key: str, why: str) -> ConfigError:
        return ConfigError(f"{key}: {why} (got {cfg.get(key)!r})")

    positive = ("epochs", "batch_size", "image_size", "channels", "step_size")
    for key in positive:
        if cfg.get(key) <= 0:
            raise bad(key, "must be > 0")
    if not cfg.lr > 0:
        raise bad("lr", "must be > 0")
    if not 0 < cfg.val_ratio < 1:
        raise bad("val_ratio", "must be between 0 and 1")
    for key in ("weight_decay", "momentum", "grad_clip", "warmup_epochs", "min_lr", "smoothing", "focal_gamma",
                "stop_after_epochs", "score_params_budget", "score_macs_budget", "score_lambda"):
        if cfg.get(key) < 0:
            raise bad(key, "must be >= 0")
    if cfg.smoothing >= 1:
        raise bad("smoothing", "must be < 1")
    if not 0 < cfg.pct_start < 1:
        raise bad("pct_start", "must be between 0 and 1")
    if len(cfg.betas) != 2 or not all(0 <= b < 1 for b in cfg.betas):
        raise bad("betas", "needs two values in [0, 1), e.g. 0.9,0.999")
    if cfg.scheduler == "step" and not cfg.milestones:
        raise bad("milestones", "scheduler step needs milestones, e.g. --milestones 10,20,25")
    if cfg.optimizer != "sgd" and cfg.nesterov:
        raise bad("nesterov", "only applies to sgd")
    if cfg.best_metric == "score" and not (cfg.score_params_budget or cfg.score_macs_budget):
        raise bad("best_metric", "`score` is reported only with score_params_budget or score_macs_budget set")
    if cfg.threads < 0:
        raise bad("threads", "must be 0 (auto) or > 0")
    if cfg.workers < -1:
        raise bad("workers", "must be -1 (auto) or >= 0")
    if not (cfg.device in ("auto", "cpu", "cuda", "mps") or re.fullmatch(r"cuda:\d+", cfg.device)):
        raise bad("device", "must be auto, cpu, cuda, cuda:N or mps")
    if cfg.class_weights not in ("none", "balanced"):
        try:
            _to_list(cfg.class_weights, float)
        except ValueError:
            raise bad("class_weights", "must be none, balanced, or comma-separated numbers") from None


# ---------------------------------------------------------------- command line

@dataclass
class ParsedArgs:
    assignments: list[Assignment]
    positional: list[str]
    help: bool = False
    print_config: bool = False


def parse_cli(argv: list[str]) -> ParsedArgs:
    """Parse `train` arguments into ordered assignments (config files first)."""
    files: list[Assignment] = []
    flags: list[Assignment] = []
    positional: list[str] = []
    result = ParsedArgs([], positional)
    i = 0

    def take_value(flag: str) -> str:
        nonlocal i
        if i + 1 >= len(argv):
            raise ConfigError(f"{flag}: missing value")
        i += 1
        return argv[i]

    while i < len(argv):
        tok = argv[i]
        if tok in ("-h", "--help"):
            result.help = True
        elif tok == "--print-config":
            result.print_config = True
        elif tok == "--":
            positional.extend(argv[i + 1:])
            break
        elif not tok.startswith("-") or _is_number(tok):
            positional.append(tok)
        else:
            name, eq, inline = tok.partition("=")
            raw_name = name
            if not name.startswith("--") and len(name) == 2 and name[1] in SHORT_FLAGS:
                name = "--" + SHORT_FLAGS[name[1]]
            key = _norm_key(name)
            if key == "config":
                files.extend(load_config_file(inline if eq else take_value(raw_name)))
            elif key == "set":
                item = inline if eq else take_value(raw_name)
                k, eq2, v = item.partition("=")
                if not eq2 or not k.strip():
                    raise ConfigError(f"--set expects key=value, got {item!r}")
                flags.append(Assignment(k.strip(), v, f"--set {k.strip()}"))
            else:
                canon = ALIASES.get(key)
                negated = canon is None and key.startswith("no_") and ALIASES.get(key[3:]) is not None
                spec = SPECS[canon] if canon else SPECS[ALIASES[key[3:]]] if negated else None
                is_bool = (spec is not None and spec.base_type is bool) or key == "request_from_nni"
                if negated and spec is not None and spec.base_type is bool:
                    if eq:
                        raise ConfigError(f"{raw_name} takes no value")
                    flags.append(Assignment(spec.key, False, raw_name))
                elif is_bool and not eq:
                    nxt = argv[i + 1] if i + 1 < len(argv) else None
                    if nxt is not None and nxt.lower() in _TRUE | _FALSE:
                        i += 1
                        flags.append(Assignment(name.lstrip("-"), nxt, raw_name))
                    else:
                        flags.append(Assignment(name.lstrip("-"), True, raw_name))
                else:
                    # the user's spelling is kept (model kwargs may be upper case); build_config normalises
                    flags.append(Assignment(name.lstrip("-"), inline if eq else take_value(raw_name), raw_name))
        i += 1
    result.assignments = files + flags
    return result


def _is_number(tok: str) -> bool:
    try:
        float(tok)
        return True
    except ValueError:
        return False


def help_text(prog: str = "python -m trainer train") -> str:
    lines = [f"usage: {prog} [--config FILE] [--set KEY=VALUE ...] [--KEY VALUE ...] [--print-config] [DATA]",
             "",
             "Every KEY is also a YAML key in --config files (nested `vit: {depth: 4}` or dotted `vit.depth: 4`).",
             "`-` and `_` are interchangeable; booleans accept --flag, --flag=false, --no-flag.",
             "Values may be strings as Katib passes them ('0.01', '3', 'true').",
             "--gamma: efficientnet.gamma for efficientnet models, else lr_gamma (the seeds use both).",
             "Metric lines (stdout, one per epoch, Katib StdOut format): unprefixed names are validation",
             "metrics (accuracy, loss, top5, f1), train_* are training metrics.",
             ""]
    for group, title in GROUP_TITLES.items():
        lines.append(f"{title}:")
        for spec in SPECS.values():
            if spec.group != group:
                continue
            flag = "--" + spec.key.replace("_", "-")
            typ = _type_name(spec)
            default = "" if spec.default in (None, "", [], {}) else f" [default: {_fmt_default(spec.default)}]"
            alias = ""
            if spec.aliases:
                alias = " (aliases: " + ", ".join("--" + a.replace("_", "-") for a in spec.aliases) + ")"
            lines.append(f"  {flag} {typ}")
            lines.append(f"      {spec.help}{default}{alias}")
        if group == "model":
            lines.append("  --cells.NAME VALUE")
            lines.append("      keyword NAME of the `cells` model (any name its builder accepts)")
            lines.append("  --NAME VALUE")
            lines.append("      any other keyword argument of the chosen model's builder")
        lines.append("")
    lines.append("ignored for seed compatibility: " + ", ".join("--" + k.replace("_", "-") for k in IGNORED_KEYS))
    return "\n".join(lines)


def _type_name(spec: FieldSpec) -> str:
    if spec.choices:
        return "{" + ",".join(spec.choices) + "}"
    base = spec.base_type
    if base is bool:
        return "[BOOL]"
    if typing.get_origin(base) is list:
        return "LIST"
    return {int: "INT", float: "FLOAT", str: "STR"}.get(base, "VALUE")


def _fmt_default(v: Any) -> str:
    if isinstance(v, list):
        return ",".join(str(x) for x in v)
    return str(v).lower() if isinstance(v, bool) else str(v)


def config_json(cfg: TrainConfig) -> str:
    return json.dumps(cfg.to_dict(), indent=2, sort_keys=False, default=str)
