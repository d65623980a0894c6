"""Every option a search space can set changes something a trial can show.

Table-driven: each row sets one option (as Katib passes it, a `--flag=value` string) on top of a
base configuration and names what must change, computed through the trainer's own code paths
(build_config -> model_setup / optim / losses / loaders / batchnorm):

  model     parameter count, input resolution and a seeded train-mode forward of a fixed batch
  lr_curve  the LR of every optimisation step (4 steps per epoch)
  steps     a tiny model's weights after 3 optimisation steps (optimizer, clipping, schedule)
  loss      the criterion on fixed logits and imbalanced targets
  data      train batches per epoch and the first batch (images and labels)
  bn        BatchNorm running statistics after a train-mode batch and the pre-evaluation re-estimate

`test_every_option_is_covered` keeps the table complete: a new option must get a row or a reason
why a search never sets it.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import torch
import yaml
from torch import nn

from trainer.config import build_config, parse_cli
from trainer.config.schema import SPECS
from trainer.config.validation import ignored_options

pytestmark = pytest.mark.usefixtures("one_thread")

STEPS_PER_EPOCH = 4
TINY = ["--model", "yaml", "--image-size", "16", "--epochs", "2", "--workers", "0", "--augment", "none"]
VIT = ["--model", "vit", "--image-size", "16", "--vit.patch-size", "4", "--vit.dim", "16", "--vit.depth", "1",
       "--vit.heads", "2", "--vit.mlp-dim", "16"]
VIT_NUM = ["--model", "vit", "--image-size", "16", "--vit.dim", "16", "--vit.depth", "1", "--vit.heads", "2",
           "--vit.mlp-dim", "16", "--vit.patch-num", "4"]
EFF = ["--model", "efficientnet-b0", "--image-size", "32"]
CELLS = ["--model", "cells", "--image-size", "16", "--cells.n_stages", "2", "--cells.base_channels", "8"]
MB = [*CELLS, "--cells.normal_cell", "MBConv", "--cells.reduction_cell", "MBConv"]
ADAM = ["--optimizer", "adam"]
SINGLE = ["--data", "{digits}/train"]   # one folder: train/val split by the trainer

# (flag, value, observable, base args); {digits}/{tmp} are filled in per test
ROWS = [
    # data
    ("image-size", "24", "model", TINY),
    ("channels", "1", "model", TINY),
    ("augment", "affine", "data", TINY),
    ("val-ratio", "0.5", "data", [*TINY, *SINGLE]),
    ("split", "random", "data", [*TINY, *SINGLE]),
    # model
    ("model", "resnet18", "model", TINY),
    ("dropout", "0.5", "model", VIT),
    ("init-weights", "{tmp}/other_init.pt", "model", TINY),
    ("bn-momentum", "0.5", "bn", [*TINY, "--precise-bn-batches", "0"]),
    ("precise-bn-batches", "2", "bn", TINY),
    ("efficientnet.alpha", "2.0", "model", EFF),
    ("efficientnet.beta", "1.5", "model", EFF),
    ("efficientnet.gamma", "1.5", "model", EFF),
    ("gamma", "1.5", "model", EFF),                       # seed 000's name for it
    ("efficientnet.phi", "2", "model", EFF),
    ("efficientnet.drop-connect", "0.5", "model", EFF),
    ("scaling", "1.2,1.1,1.15", "model", EFF),            # one categorical Katib parameter
    ("vit.patch-size", "8", "model", VIT),
    ("vit.patch-num", "2", "model", VIT_NUM),
    ("vit.dim", "32", "model", VIT),
    ("vit.depth", "2", "model", VIT),
    ("vit.heads", "4", "model", VIT),
    ("vit.mlp-dim", "32", "model", VIT),
    ("vit.emb-dropout", "0.5", "model", VIT),
    ("dim-head", "8", "model", VIT),
    ("pool", "mean", "model", VIT),
    ("blocks.config", "{tmp}/wider.yaml", "model", TINY),
    ("width-multiple", "2", "model", TINY),
    ("depth-multiple", "2", "model", [*TINY, "--blocks.config", "{tmp}/deep.yaml"]),   # repeats > 1 scale
    ("cells.n_stages", "3", "model", CELLS),
    ("cells.n_repeat", "2", "model", CELLS),
    ("cells.N", "2", "model", CELLS),
    ("cells.normal_cell", "DWConv", "model", CELLS),
    ("cells.normal_args", "[8, 5, 1]", "model", CELLS),
    ("cells.normal_kernel", "5", "model", CELLS),
    ("cells.normal_expansion", "2", "model", MB),
    ("cells.reduction_cell", "Conv", "model", CELLS),
    ("cells.reduction_args", "[2, 1]", "model", CELLS),
    ("cells.reduction_kernel", "5", "model", CELLS),
    ("cells.reduction_expansion", "2", "model", MB),
    ("cells.activation", "SiLU", "model", CELLS),
    ("cells.base_channels", "12", "model", CELLS),
    ("cells.channel_growth", "3", "model", CELLS),
    ("cells.width_multiple", "2", "model", CELLS),
    ("cells.depth_multiple", "3", "model", [*CELLS, "--cells.n_repeat", "2"]),   # repeats > 1 scale
    ("cells.stem_kernel", "5", "model", CELLS),
    ("cells.stem_stride", "1", "model", CELLS),
    ("cells.head_channels", "32", "model", CELLS),
    ("cells.dropout", "0.5", "model", CELLS),
    ("cells.n_repeat_2", "2", "model", CELLS),
    ("cells.normal_cell_1", "DWConv", "model", CELLS),
    ("cells.normal_kernel_1", "5", "model", CELLS),
    ("cells.normal_expansion_1", "2", "model", MB),
    ("cells.reduction_cell_2", "Conv", "model", CELLS),
    ("cells.reduction_kernel_1", "5", "model", CELLS),
    ("cells.activation_2", "SiLU", "model", CELLS),
    # optimisation
    ("epochs", "3", "lr_curve", TINY),
    ("batch-size", "16", "data", TINY),
    ("lr", "0.1", "lr_curve", TINY),
    ("optimizer", "adam", "steps", TINY),
    ("momentum", "0.5", "steps", TINY),
    ("nesterov", "true", "steps", TINY),
    ("weight-decay", "0.1", "steps", TINY),
    ("betas", "0.5,0.9", "steps", [*TINY, *ADAM]),
    ("eps", "0.1", "steps", [*TINY, *ADAM]),
    ("scheduler", "cosine", "lr_curve", TINY),
    ("milestones", "1", "lr_curve", TINY),
    ("lr-gamma", "0.5", "lr_curve", TINY),
    ("gamma", "0.5", "lr_curve", TINY),                   # seed 001's name for it
    ("step-size", "2", "lr_curve", [*TINY, "--epochs", "4"]),
    ("min-lr", "0.005", "lr_curve", TINY),
    ("pct-start", "0.5", "lr_curve", TINY),
    ("warmup-epochs", "1", "lr_curve", TINY),
    ("grad-clip", "0.01", "steps", TINY),
    # loss and sampling
    ("loss", "focal", "loss", TINY),
    ("focal-gamma", "1", "loss", TINY),
    ("smoothing", "0.2", "loss", TINY),
    ("label-smoothing", "0.2", "loss", TINY),
    ("class-weights", "balanced", "loss", TINY),
    ("sampler", "weighted", "data", TINY),
    # runtime
    ("seed", "1", "model", TINY),
    ("seed", "1", "data", TINY),
]

# Options no search sets, and why.
NOT_SEARCHED = {
    "data": "which dataset, not how to train on it",
    "cache": "a speed switch (decoded-image cache)", "cache_dir": "where the cache lives",
    "skip_corrupt": "data hygiene", "num_classes": "a check of the data",
    "device": "where to run", "gpu": "where to run", "amp": "the device's arithmetic",
    "channels_last": "memory layout", "compile": "a speed switch", "workers": "data loading processes",
    "threads": "CPU threads", "deterministic": "bit-reproducibility switch",
    "out": "output directory", "resume": "continuation", "stop_after_epochs": "pausing a run",
    "checkpoint_pool": "continuation", "best_metric": "which checkpoint is kept",
    "best_mode": "which checkpoint is kept", "metrics_file": "reporting", "metrics_format": "reporting",
    "metrics_timestamps": "reporting", "tensorboard": "reporting", "score_params_budget": "the objective itself",
    "score_macs_budget": "the objective itself", "score_lambda": "the objective itself",
}


def _flag_key(flag: str) -> str:
    from trainer.config.schema import ALIASES, norm_key
    return ALIASES.get(norm_key(flag), norm_key(flag))


def test_every_option_is_covered():
    covered = {_flag_key(flag) for flag, *_ in ROWS}
    missing = [k for k in SPECS if k not in covered and k not in NOT_SEARCHED]
    assert not missing, f"options with neither a row in ROWS nor a reason in NOT_SEARCHED: {missing}"
    # every keyword of the cells builder (per-stage `<name>_<k>` once per name) has a row
    from trainer.models import registry
    cell_rows = {flag.split(".", 1)[1] for flag, *_ in ROWS if flag.startswith("cells.")}
    stems = {re.sub(r"_\d+$", "", k) for k in cell_rows}
    for kwarg in registry.model_kwargs("cells") - {"image_size", "in_channels"}:
        assert kwarg in cell_rows or (re.search(r"_\d+$", kwarg) and re.sub(r"_\d+$", "", kwarg) in stems), kwarg
    names = {_flag_key(flag).split(".")[-1] for flag, *_ in ROWS}
    for model in ("vit", "efficientnet-b0", "yaml"):
        for kwarg in registry.model_kwargs(model) - {"image_size", "in_channels", "channels"}:
            assert kwarg in names, f"{model}: builder keyword {kwarg} has no row"


# ---------------------------------------------------------------- observables

def _digest(t: torch.Tensor) -> tuple[float, float]:
    t = t.detach().double()
    return round(float(t.sum()), 6), round(float(t.abs().sum()), 6)


def observe_model(cfg):
    from trainer.model_setup import build_model, input_size, model_kwargs_for
    from trainer.models import registry
    from trainer.runtime import seed_everything
    name = registry.resolve_model_name(cfg.model, registry.list_models())
    seed_everything(cfg.seed, False)
    model = build_model(name, 10, model_kwargs_for(cfg, name, cfg.channels))
    if cfg.init_weights:
        from trainer.models.pretrained import load_pretrained
        load_pretrained(model, cfg.init_weights)
    size = input_size(cfg)
    x = torch.randn(2, cfg.channels, size, size, generator=torch.Generator().manual_seed(0))
    torch.manual_seed(0)
    model.train()
    return sum(p.numel() for p in model.parameters()), size, _digest(model(x))


def observe_lr_curve(cfg):
    from trainer.optim import build_scheduler
    opt = torch.optim.SGD([nn.Parameter(torch.zeros(1))], lr=cfg.lr)
    sched = build_scheduler(opt, cfg, STEPS_PER_EPOCH)
    curve = []
    for _ in range(cfg.epochs * STEPS_PER_EPOCH):
        curve.append(round(opt.param_groups[0]["lr"], 9))
        opt.step()
        sched.step()
    return curve


def observe_steps(cfg):
    from trainer.epoch import Optimisation
    from trainer.optim import build_optimizer, build_scheduler
    torch.manual_seed(0)
    model = nn.Linear(8, 10)
    x, y = torch.randn(16, 8) * 10, torch.arange(16) % 10
    opt = build_optimizer(model, cfg)
    step = Optimisation(opt, build_scheduler(opt, cfg, STEPS_PER_EPOCH), None, nn.CrossEntropyLoss(), cfg.grad_clip)
    for _ in range(3):
        step.step(model, step.criterion(model(x), y))
    return _digest(model.weight)


def observe_loss(cfg):
    from trainer.losses import class_weights_from, create_loss
    targets = [0] * 30 + list(range(10))
    weights = class_weights_from(cfg.class_weights, targets, 10)
    crit = create_loss(cfg.loss, 10, focal_gamma=cfg.focal_gamma, smoothing=cfg.smoothing, class_weights=weights)
    logits = torch.randn(len(targets), 10, generator=torch.Generator().manual_seed(0)) * 3
    return round(float(crit(logits, torch.tensor(targets))), 7)


def observe_data(cfg):
    from trainer.loaders import build_loaders, prepare_run_data
    bundle = prepare_run_data(cfg, True)
    loaders = build_loaders(cfg, bundle, torch.device("cpu"), 0, 1)
    loaders.start_epoch(cfg.seed, 0)
    x, y = next(iter(loaders.train))
    return len(loaders.train), len(bundle.train), _digest(x.float()), y.tolist()


def observe_bn(cfg):
    from trainer.batchnorm import chosen_momentum, recompute_statistics, set_momentum
    from trainer.batches import BatchPrep
    from trainer.model_setup import build_model, model_kwargs_for
    from trainer.models import registry
    torch.manual_seed(0)
    model = build_model("yaml", 10, model_kwargs_for(cfg, "yaml", 3))
    set_momentum(model, chosen_momentum(cfg.bn_momentum, registry.model_family(cfg.model), cfg.init_weights))
    g = torch.Generator().manual_seed(0)
    batches = [(torch.randint(0, 256, (8, 3, 16, 16), dtype=torch.uint8, generator=g), torch.zeros(8))
               for _ in range(12)]
    prep = BatchPrep(torch.device("cpu"), (0.5,) * 3, (0.25,) * 3, False, None)
    model.train()
    with torch.no_grad():
        model(prep.images(batches[0][0]))
    recompute_statistics(model, batches, cfg.precise_bn_batches, prep)
    return _digest(torch.cat([b for n, b in model.named_buffers() if n.endswith(("running_mean", "running_var"))]))


OBSERVE = {"model": observe_model, "lr_curve": observe_lr_curve, "steps": observe_steps, "loss": observe_loss,
           "data": observe_data, "bn": observe_bn}


@pytest.fixture(scope="module")
def files(tmp_path_factory, digits16, tiny_yaml):
    tmp = tmp_path_factory.mktemp("search-options")
    TINY_NET = yaml.safe_load(tiny_yaml.read_text())["blocks"]["config"]
    wider = {**TINY_NET, "backbone": [[1, "Conv", [24, 3, 1]], *TINY_NET["backbone"][1:]]}
    (tmp / "wider.yaml").write_text(yaml.safe_dump(wider), encoding="utf-8")
    deep = {**TINY_NET, "backbone": [*TINY_NET["backbone"][:2], [2, "Conv", [32, 3, 1]], *TINY_NET["backbone"][2:]]}
    (tmp / "deep.yaml").write_text(yaml.safe_dump(deep), encoding="utf-8")
    (tmp / "tiny.yaml").write_text(yaml.safe_dump({"blocks": {"config": TINY_NET}}), encoding="utf-8")
    # (the blocks section is ignored, with a log line, when a row's base picks another family)
    from trainer.models import create_model
    torch.manual_seed(123)
    torch.save(create_model("yaml", 10, config=TINY_NET, image_size=16).state_dict(), tmp / "other_init.pt")
    return {"tmp": tmp, "digits": digits16, "cache": tmp / "cache", "baselines": {}}


def _config(files, args):
    fill = {"tmp": files["tmp"], "digits": files["digits"]}
    args = [str(a).format(**fill) for a in args]
    base = ["--config", str(files["tmp"] / "tiny.yaml"), "--data", str(files["digits"]), "--cache-dir",
            str(files["cache"])]
    return build_config(parse_cli([*base, *args]).assignments)


@pytest.mark.parametrize("flag, value, observable, base", ROWS,
                         ids=[f"{r[0]}={r[1]}:{r[2]}" for r in ROWS])
def test_option_changes_what_the_trial_shows(files, flag, value, observable, base):
    key = (observable, tuple(base))
    if key not in files["baselines"]:
        files["baselines"][key] = OBSERVE[observable](_config(files, base))
    cfg = _config(files, [*base, f"--{flag}={value}"])
    assert not ignored_options(cfg), ignored_options(cfg)
    assert OBSERVE[observable](cfg) != files["baselines"][key], f"--{flag}={value} changed no {observable}"


# ---------------------------------------------------------------- --gamma and friends

@pytest.mark.parametrize("args, scheduler, loss", [
    (["--gamma", "0.7"], "steplr", "cross_entropy"),                 # seed 001: ViT search over gamma
    (["--gamma", "0.7", "--scheduler", "step", "--milestones", "2"], "step", "cross_entropy"),
    (["--milestones", "2,4"], "step", "cross_entropy"),
    (["--min-lr", "0.001"], "cosine", "cross_entropy"),
    (["--focal-gamma", "1"], "none", "focal"),
    (["--label-smoothing", "0.1"], "none", "label_smoothing"),
    (["--model", "efficientnet-b0", "--gamma", "1.15"], "none", "cross_entropy"),   # resolution, seed 000
])
def test_an_option_read_by_one_choice_selects_it(args, scheduler, loss):
    cfg = build_config(parse_cli(["--model", "vit", *args]).assignments)
    assert (cfg.scheduler, cfg.loss) == (scheduler, loss)


def test_gamma_decays_the_lr_every_epoch_as_seed_001_meant():
    cfg = build_config(parse_cli(["--model", "vit", "--lr", "0.1", "--gamma", "0.5", "--epochs", "3"]).assignments)
    per_epoch = observe_lr_curve(cfg)[::STEPS_PER_EPOCH]
    assert per_epoch == pytest.approx([0.1, 0.05, 0.025])


def test_inert_combinations_are_named():
    cfg = build_config(parse_cli(["--model", "vit", "--optimizer", "adam", "--momentum", "0.5", "--scheduler",
                                  "cosine", "--gamma", "0.5", "--loss", "focal", "--smoothing", "0.3"]).assignments)
    notes = ignored_options(cfg)
    assert len(notes) == 3, notes
    assert any(n.startswith("momentum 0.5 has no effect with optimizer adam") for n in notes)
    assert any(n.startswith("lr_gamma 0.5 has no effect with scheduler cosine") for n in notes)
    assert any(n.startswith("smoothing 0.3 has no effect with loss focal") for n in notes)


def test_run_logs_and_summarises_ignored_options(run_cli, digits16, tiny_yaml, tmp_path):
    from trainer_helpers import fast_args
    res = run_cli(*fast_args(digits16, tiny_yaml, tmp_path / "r", "--epochs", "2", "--lr", "0.02", "--gamma", "0.5",
                             "--optimizer", "adam", "--momentum", "0.5"))
    assert res.rc == 0, res.err
    lrs = [float(re.search(r" lr=(\S+)", line).group(1)) for line in res.metric_lines()]
    assert lrs == pytest.approx([0.02, 0.01])                       # --gamma decays per epoch
    assert "warning: momentum 0.5 has no effect with optimizer adam" in res.err
    import json
    summary = json.loads((Path(tmp_path / "r") / "summary.json").read_text())
    assert summary["ignored_options"] and summary["epochs_trained"] == 2 and summary["resumed_from_epoch"] == 0
