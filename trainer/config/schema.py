"""TrainConfig: every training option, as a `--flag` and as a YAML key, and the tables built from it.

Key scheme (one per option, dotted for model-family sections):
  * flat keys for everything that is not model-specific: `lr`, `optimizer`, `batch_size`, ...
  * one section per model family with options (trainer/models/families.py): `efficientnet.<k>` and
    `vit.<k>` for the two families' hyperparameters, `blocks.config` for the YAML block network,
    `cells.<k>` (free keys) for the lecture's cell model; the option dataclasses live beside the
    builders (trainer/models/*_options.py). Only the section of the chosen model's family is
    passed to `create_model`.
  * any other keyword the chosen model's builder accepts (`model_kwargs(name)`) may be given flat.

The seeds' flag names (NNI trial commands and search spaces) are aliases, e.g. `--resolution`,
`--vt-dim`, `--patch-num`, `--criterion`. `SPECS` (one FieldSpec per dotted key) and `ALIASES`
(every accepted spelling -> its key) are what coercion, argv parsing and `--help` read.
"""

from __future__ import annotations

import dataclasses
import difflib
import types
import typing
from dataclasses import dataclass, field
from typing import Any, Iterable

from trainer.models.block_options import BlocksArgs
from trainer.models.efficientnet_options import EfficientNetArgs
from trainer.models.families import FAMILIES
from trainer.models.vit_options import ViTArgs
from trainer.options import free_section, option

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


@dataclass
class TrainConfig:
    # --- data
    data: str = option("", "dataset: ImageFolder root (train/ val/ [test/]), a single folder, or a CSV manifest",
                       group="data", aliases=("download_dir", "data_dir", "dataset"))
    image_size: int = option(224, "input size in pixels (square)", group="data",
                             aliases=("resolution", "img_size", "input_size", "base_resolution"))
    channels: int = option(3, "image channels (1 = grayscale, 3 = RGB)", group="data")
    val_ratio: float = option(0.2, "validation fraction when the data has no val/ split", group="data")
    split: str = option("stratified", "how to split train/val when there is no val/ folder", group="data",
                        choices=SPLITS)
    augment: str = option("base", "train-time augmentation", group="data", aliases=("augmentation",),
                          choices=AUGMENTS, value_aliases={"trivial": "trivialaugment", "rand": "randaugment",
                                                           "auto": "autoaugment", "off": "none"})
    cache: bool = option(True, "decode images once into a uint8 cache (much faster epochs)", group="data")
    cache_dir: str | None = option(None, "where to keep the decoded cache (default: next to the data)",
                                   group="data")
    skip_corrupt: bool = option(False, "skip unreadable images instead of failing", group="data")
    num_classes: int | None = option(None, "expected class count; checked against the data (seeds pass it)",
                                     group="data")
    # --- model
    model: str = option("efficientnet-b0", "model name (see trainer.models.list_models)", group="model",
                        aliases=("arch", "architecture", "model_name"))
    dropout: float | None = option(None, "dropout rate, if the model has one", group="model")
    init_weights: str | None = option(None, "initial weights: a state_dict file or file:// / s3:// URI; "
                                      "keys whose shape differs (the head) are skipped", group="model",
                                      aliases=("pretrained", "weights"))
    bn_momentum: float | None = option(None, "BatchNorm momentum (PyTorch's convention: the weight of each new "
                                       "batch); default 0.1 for efficientnet-* without --init-weights (their "
                                       "TF-ported 0.01 lags a from-scratch run), else the model's own",
                                       group="model", aliases=("batchnorm_momentum",))
    precise_bn_batches: int = option(10, "before each evaluation, re-estimate BatchNorm statistics with the "
                                     "final weights on this many training batches (0 = off; models without "
                                     "BatchNorm skip it)", group="model", aliases=("precise_bn",))
    # one section per family with options (trainer/models/families.py)
    efficientnet: EfficientNetArgs = field(default_factory=EfficientNetArgs)
    vit: ViTArgs = field(default_factory=ViTArgs)
    blocks: BlocksArgs = field(default_factory=BlocksArgs)
    cells: dict = free_section("free keys for the `cells` model (cells.<name>), checked against its builder",
                               group="model")
    model_args: dict = free_section("other keyword args of the chosen model's builder (given as flat keys)",
                                    group="model")
    # --- optimisation
    epochs: int = option(10, "training epochs", group="optim", aliases=("num_epochs", "max_epochs"))
    batch_size: int = option(64, "batch size per process", group="optim", aliases=("bs",))
    lr: float = option(0.01, "learning rate (peak lr for onecycle)", group="optim",
                       aliases=("learning_rate",))
    optimizer: str = option("sgd", "optimizer", group="optim", aliases=("optim", "opt"), choices=OPTIMIZERS)
    momentum: float = option(0.9, "momentum (sgd, rmsprop)", group="optim")
    nesterov: bool = option(False, "Nesterov momentum (sgd)", group="optim")
    weight_decay: float = option(0.0, "weight decay", group="optim", aliases=("wd",))
    betas: list[float] = option([0.9, 0.999], "Adam betas, e.g. 0.9,0.999", group="optim")
    eps: float = option(1e-8, "optimizer epsilon (adam, adamw, rmsprop)", group="optim")
    scheduler: str = option("none", "LR schedule", group="optim",
                            aliases=("schedule", "lr_scheduler", "lr_schedule", "sched"), choices=SCHEDULERS,
                            value_aliases={"multistep": "step", "multisteplr": "step", "cos": "cosine",
                                           "cosineannealing": "cosine", "onecyclelr": "onecycle",
                                           "constant": "none"})
    milestones: list[int] = option([], "epochs at which `step` multiplies the LR by lr_gamma, e.g. 10,20,25",
                                   group="optim", aliases=("lr_milestones",))
    lr_gamma: float = option(0.1, "LR decay factor for step/steplr (plain --gamma for non-EfficientNet "
                             "models; seed 001)", group="optim", aliases=("lr_decay", "decay_gamma"))
    step_size: int = option(1, "epochs between decays for steplr", group="optim", aliases=("lr_step_size",))
    min_lr: float = option(0.0, "final LR for cosine", group="optim", aliases=("eta_min",))
    pct_start: float = option(0.3, "fraction of the run spent increasing the LR (onecycle)", group="optim")
    warmup_epochs: float = option(0.0, "linear LR warm-up length in epochs (combines with any schedule)",
                                  group="optim", aliases=("warmup",))
    grad_clip: float = option(0.0, "clip the gradient norm to this value (0 = off)", group="optim",
                              aliases=("clip_grad", "clip_grad_norm", "max_grad_norm"))
    # --- loss and sampling
    loss: str = option("cross_entropy", "loss function", group="loss", aliases=("criterion",), choices=LOSSES,
                       value_aliases={"ce": "cross_entropy", "crossentropyloss": "cross_entropy",
                                      "focalloss": "focal", "labelsmoothingloss": "label_smoothing",
                                      "smoothing": "label_smoothing", "f1loss": "f1"})
    focal_gamma: float = option(2.0, "focusing parameter of the focal loss", group="loss")
    smoothing: float = option(0.1, "label smoothing amount (label_smoothing loss)", group="loss",
                              aliases=("label_smoothing",))
    class_weights: str = option("none", "loss class weights: none, balanced (inverse frequency), or a comma "
                                "list, one per class", group="loss")
    sampler: str = option("random", "train sampling: random, or weighted (class-balanced)", group="loss",
                          choices=SAMPLERS, value_aliases={"balanced": "weighted", "shuffle": "random"})
    # --- runtime
    device: str = option("auto", "auto (cuda if available), cpu, cuda, cuda:N", group="runtime")
    gpu: int | None = option(None, "GPU index within CUDA_VISIBLE_DEVICES (seeds' --gpu); ignored without CUDA",
                             group="runtime", aliases=("gpu_id",))
    amp: str = option("auto", "mixed precision: auto (bf16 on CUDA when supported, else fp16; off on CPU)",
                      group="runtime", choices=AMP_MODES, value_aliases={
                          "bfloat16": "bf16", "float16": "fp16", "half": "fp16", "fp32": "off",
                          "false": "off", "no": "off", "none": "off", "true": "auto", "on": "auto"})
    channels_last: bool = option(True, "channels_last memory format on CUDA", group="runtime")
    compile: bool = option(False, "torch.compile the model", group="runtime")
    workers: int = option(-1, "DataLoader worker processes (-1 = auto)", group="runtime",
                          aliases=("num_workers", "worker_num", "j"))
    threads: int = option(0, "PyTorch CPU threads (0 = auto: OMP_NUM_THREADS if set, else the CPUs this process "
                          "may use by affinity and cgroup quota, shared among local ranks)", group="runtime",
                          aliases=("num_threads", "torch_threads"))
    seed: int = option(0, "random seed (split, init, shuffling)", group="runtime")
    deterministic: bool = option(False, "deterministic algorithms (bit-identical reruns and resumes)",
                                 group="runtime")
    # --- output
    out: str = option("", "output directory (default runs/<time>-<model>)", group="output",
                      aliases=("output", "output_dir", "save_dir", "out_dir"))
    resume: str | None = option(None, "continue from a checkpoint file, or a directory's last.pt; `auto` "
                                "resumes from <out>/last.pt when it exists", group="output")
    stop_after_epochs: int = option(0, "stop this run after N epochs (0 = run to --epochs); resume later",
                                    group="output")
    best_metric: str = option("accuracy", "metric that selects best.pt", group="output", choices=BEST_METRICS)
    best_mode: str = option("auto", "max or min for best_metric (auto: min for *loss, else max)",
                            group="output", choices=BEST_MODES)
    metrics_file: str | None = option(None, "also write metric lines to this file (Katib File collector)",
                                      group="output", aliases=("metrics_path",))
    metrics_format: str = option("text", "metrics file format: text (name=value) or json (quoted values)",
                                 group="output", choices=METRICS_FORMATS)
    metrics_timestamps: bool = option(True, "start each metric line with an RFC3339 time (Katib reads it as "
                                      "the observation time)", group="output")
    tensorboard: bool = option(True, "write TensorBoard event logs under <out>/tensorboard", group="output")
    checkpoint_pool: str | None = option(None, "multi-fidelity continuation: resume from DIR/<config key>/ when a "
                                         "shorter run of the same configuration left a checkpoint there, and "
                                         "publish this run's there (default: $KUBETUNE_CHECKPOINT_POOL; empty, "
                                         "`none` or a false word such as `off` = off)", group="output")
    # The scalarised objective for multi-objective searches on plain Katib (docs/search-spaces.md):
    # score = accuracy - score_lambda * (max(0, ln(params / params budget)) + max(0, ln(macs / macs budget))).
    score_params_budget: int = option(0, "report `score`: accuracy penalised by score_lambda * ln(params / this) "
                                      "above this many parameters (0 = no params term)", group="output")
    score_macs_budget: int = option(0, "report `score`: accuracy penalised by score_lambda * ln(macs / this) above "
                                    "this many MACs per image (0 = no MACs term)", group="output")
    score_lambda: float = option(0.1, "weight of each log-ratio penalty in `score`", group="output")

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def get(self, key: str) -> Any:
        obj: Any = self
        for part in key.split("."):
            obj = obj[part] if isinstance(obj, dict) else getattr(obj, part)
        return obj


GROUP_TITLES = {"data": "data", "model": "model", "optim": "optimisation", "loss": "loss and sampling",
                "runtime": "runtime", "output": "output and reporting"}
# TrainConfig sections: families with an option dataclass, and those taking free keys.
SECTIONS = {name: f.options for name, f in FAMILIES.items() if f.options is not None}
FREE_SECTIONS = tuple(name for name, f in FAMILIES.items() if f.free_options)
# Flags of the seeds' scripts that mean nothing here; accepted so their commands run unchanged.
IGNORED_KEYS = {"request_from_nni": "NNI-only switch", "classification": "seed 002 switch (always multi-class)"}
SHORT_FLAGS = {"a": "model", "j": "workers", "b": "batch_size", "c": "config"}
INTERNAL = ("cells", "model_args")   # dict fields of free keys
CONTEXT_KEYS = {"gamma"}  # resolved once the model is known (trainer.config.build)


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
            if prefix == "" and (f.name in SECTIONS or f.name in INTERNAL):
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


def _check_sections() -> None:
    """Every family's section is a TrainConfig field of the right type (a new family needs one)."""
    hints = typing.get_type_hints(TrainConfig)
    for name in (*SECTIONS, *FREE_SECTIONS):
        expected = SECTIONS.get(name, dict)
        if hints.get(name) is not expected:
            raise AssertionError(f"TrainConfig needs a field `{name}: {expected.__name__}` for model family {name!r}")


_check_sections()
SPECS: dict[str, FieldSpec] = _collect_specs()


def norm_key(key: str) -> str:
    """A key as written (`--Vit-Depth`, `vit_depth`) in the form ALIASES is keyed by."""
    return key.strip().lstrip("-").lower().replace("-", "_")


def _build_alias_table() -> dict[str, str]:
    table: dict[str, str] = {}
    for key, spec in SPECS.items():
        names = [key, *spec.aliases]
        if "." in key:
            names.append(key.replace(".", "_"))   # --vit-depth, vit_depth
        for name in names:
            n = norm_key(name)
            if n in table and table[n] != key:
                raise AssertionError(f"config alias {n!r} maps to both {table[n]} and {key}")
            table[n] = key
    return table


ALIASES: dict[str, str] = _build_alias_table()


def known_names() -> list[str]:
    return sorted(set(ALIASES) | set(IGNORED_KEYS) | CONTEXT_KEYS | {"config", "set"})


def close_matches(name: str, candidates: Iterable[str], n: int = 4) -> list[str]:
    return difflib.get_close_matches(name, list(candidates), n=n, cutoff=0.6)
