"""End-to-end `python -m trainer train` runs (in-process, CPU, tiny network on 16 px digits)."""

from __future__ import annotations

import json
import re

import pytest
import torch

from trainer.config import build_config, parse_cli
from trainer.model_setup import model_kwargs_for
from trainer_helpers import KATIB_DEFAULT_REGEX, katib_parse, fast_args

EPOCH_METRICS = ["epoch", "accuracy", "loss", "top5", "f1", "val_accuracy", "val_loss", "train_loss",
                 "train_accuracy", "lr", "epoch_time"]


@pytest.fixture(scope="module")
def learned_run(tmp_path_factory, digits16, tiny_yaml):
    """2 epochs of the tiny network with augmentation, metrics file in JSON, TensorBoard on."""
    import contextlib
    import io

    from trainer.cli import main
    out = tmp_path_factory.mktemp("learned") / "run"
    args = ["train", "--config", tiny_yaml, "--data", digits16, "--image-size", "16", "--batch-size", "32",
            "--optimizer", "adam", "--lr", "0.01", "--epochs", "2", "--threads", "1", "--out", out,
            "--metrics-file", out / "metrics.jsonl", "--metrics-format", "json"]
    stdout, stderr = io.StringIO(), io.StringIO()
    before = torch.get_num_threads()
    try:
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            rc = main([str(a) for a in args])
    finally:
        torch.set_num_threads(before)
    return {"rc": rc, "out": stdout.getvalue(), "err": stderr.getvalue(), "dir": out}


def test_two_epochs_learn_and_report_katib_lines(learned_run):
    assert learned_run["rc"] == 0, learned_run["err"]
    lines = learned_run["out"].splitlines()
    # stdout holds only metric lines: one params/macs line, then one line per epoch
    assert len(lines) == 3 and "params=" in lines[0] and "macs=" in lines[0]
    epochs = [dict(katib_parse(line, EPOCH_METRICS)) for line in lines[1:]]
    assert [e["epoch"] for e in epochs] == ["1", "2"]
    assert all(set(e) == set(EPOCH_METRICS) for e in epochs)
    assert float(epochs[-1]["accuracy"]) > 0.5            # chance is 0.1
    assert float(epochs[-1]["accuracy"]) == float(epochs[-1]["val_accuracy"])
    # Katib parses stderr too (StdOut collector): no log line may yield a metric value
    assert katib_parse(learned_run["err"], EPOCH_METRICS + ["params", "macs"]) == []


def test_run_directory_contents(learned_run):
    d = learned_run["dir"]
    assert {"last.pt", "best.pt", "config.json", "summary.json", "metrics.jsonl", "tensorboard"} <= \
        {p.name for p in d.iterdir()}
    assert list((d / "tensorboard").glob("events.out.tfevents.*"))
    config = json.loads((d / "config.json").read_text())
    assert config["optimizer"] == "adam" and config["lr"] == 0.01 and config["blocks"]["config"]
    rows = [json.loads(x) for x in (d / "metrics.jsonl").read_text().splitlines()]
    assert all(isinstance(v, str) for row in rows for v in row.values())   # Katib JSON: quoted values
    assert [r["epoch"] for r in rows[1:]] == ["1", "2"] and "timestamp" in rows[0]
    ckpt = torch.load(d / "last.pt", weights_only=True)
    assert ckpt["epoch"] == 2 and ckpt["model_name"] == "yaml" and ckpt["classes"] == [str(i) for i in range(10)]
    assert len(ckpt["mean"]) == 3 and ckpt["image_size"] == 16 and ckpt["params"] > 0 and ckpt["macs"] > 0
    assert {"python", "numpy", "torch", "cuda"} <= set(ckpt["rng"])
    best = torch.load(d / "best.pt", weights_only=True)
    summary = json.loads((d / "summary.json").read_text())
    assert best["epoch"] == summary["best"]["epoch"]
    assert best["metrics"]["accuracy"] == pytest.approx(summary["best"]["value"])


def test_resume_is_bit_identical(run_cli, digits16, tiny_yaml, tmp_path):
    common = ["--deterministic", "--epochs", "2", "--augment", "base", "--sampler", "weighted",
              "--scheduler", "cosine", "--warmup-epochs", "0.5", "--optimizer", "sgd", "--lr", "0.05",
              "--metrics-timestamps", "false"]
    straight = run_cli(*fast_args(digits16, tiny_yaml, tmp_path / "a", *common))
    first = run_cli(*fast_args(digits16, tiny_yaml, tmp_path / "b", *common, "--stop-after-epochs", "1"))
    assert straight.rc == first.rc == 0
    assert len(first.metric_lines()) == 1 and "resume with --resume" in first.err
    resumed = run_cli("train", "--resume", tmp_path / "b", "--threads", "1")   # config comes from the checkpoint
    assert resumed.rc == 0, resumed.err
    drop_time = lambda line: re.sub(r" epoch_time=\S+", "", line)  # noqa: E731
    assert [drop_time(x) for x in resumed.metric_lines()] == [drop_time(straight.metric_lines()[1])]
    a = torch.load(tmp_path / "a" / "last.pt", weights_only=True)
    b = torch.load(tmp_path / "b" / "last.pt", weights_only=True)
    assert a["epoch"] == b["epoch"] == 2 and a["global_step"] == b["global_step"]
    for key, tensor in a["model"].items():
        assert torch.equal(tensor, b["model"][key]), key
    for pid, st in a["optimizer"]["state"].items():
        assert torch.equal(st["momentum_buffer"], b["optimizer"]["state"][pid]["momentum_buffer"])


@pytest.mark.parametrize("extra", [
    ["--optimizer", "sgd", "--nesterov", "--scheduler", "step", "--milestones", "1", "--loss", "cross_entropy"],
    ["--optimizer", "adam", "--scheduler", "steplr", "--gamma", "0.5", "--criterion", "focal", "--focal-gamma", "1"],
    ["--optimizer", "adamw", "--scheduler", "cosine", "--loss", "label_smoothing", "--smoothing", "0.2",
     "--weight-decay", "0.01"],
    ["--optimizer", "rmsprop", "--lr", "0.001", "--scheduler", "onecycle", "--loss", "f1"],
    ["--sampler", "weighted", "--class-weights", "balanced", "--grad-clip", "1.0", "--warmup-epochs", "1",
     "--gpu", "0", "--amp", "bf16"],
])
def test_optimizer_schedule_loss_combinations_run(run_cli, digits16, tiny_yaml, tmp_path, extra):
    res = run_cli(*fast_args(digits16, tiny_yaml, tmp_path / "r", "--epochs", "1", *extra))
    assert res.rc == 0, res.err
    (line,) = res.metric_lines()
    values = dict(katib_parse(line, EPOCH_METRICS))
    assert float(values["lr"]) > 0 and 0 <= float(values["accuracy"]) <= 1


def test_nan_loss_stops_with_clear_message(run_cli, digits16, tiny_yaml, tmp_path):
    res = run_cli(*fast_args(digits16, tiny_yaml, tmp_path / "nan", "--epochs", "2", "--lr", "1e30",
                             "--momentum", "0"))
    assert res.rc == 3
    assert "diverged" in res.err and "NaN" in res.err and "Traceback" not in res.err
    assert res.metric_lines() == []


@pytest.mark.parametrize("extra, message", [
    (["--model", "resnet19"], r"unknown model 'resnet19'.*resnet18"),
    (["--optimizer", "adagrad"], r"'adagrad' is not one of: sgd, adam, adamw, rmsprop"),
    (["--loss", "hinge"], r"'hinge' is not one of: cross_entropy, focal, label_smoothing, f1"),
    (["--num-classes", "2"], r"num_classes: 2 given but the data .* has 10 classes"),
    (["--best-metric", "acc"], r"best_metric: .acc. is not one of: accuracy, loss"),
    (["--vit.depth", "2", "--model", "resnet18", "--dropout", "0.1"], r"dropout: model 'resnet18' has no dropout"),
])
def test_bad_input_exits_2_with_message(run_cli, digits16, tiny_yaml, tmp_path, extra, message):
    res = run_cli(*fast_args(digits16, tiny_yaml, tmp_path / "bad", "--epochs", "1", *extra))
    assert res.rc == 2
    assert re.search(message, res.err), res.err
    assert "Traceback" not in res.err


def test_missing_data_exits_2(run_cli, tiny_yaml, tmp_path):
    res = run_cli(*fast_args(tmp_path / "nowhere", tiny_yaml, tmp_path / "r", "--epochs", "1"))
    assert res.rc == 2 and "nowhere" in res.err and "Traceback" not in res.err


def test_mismatched_checkpoint_and_fine_tuning(run_cli, digits3, digits16, tiny_yaml, tmp_path):
    three = run_cli(*fast_args(digits3, tiny_yaml, tmp_path / "three", "--epochs", "1"))
    assert three.rc == 0, three.err
    # resuming a 3-class run on 10-class data: refused, naming the difference
    res = run_cli(*fast_args(digits16, tiny_yaml, tmp_path / "x", "--resume", tmp_path / "three" / "last.pt"))
    assert res.rc == 2 and "classes" in res.err and "--init-weights" in res.err
    res = run_cli(*fast_args(digits3, tiny_yaml, tmp_path / "y", "--resume", tmp_path / "three", "--model",
                             "resnet18"))
    assert res.rc == 2 and "model 'yaml' in the checkpoint vs 'resnet18'" in res.err
    # fine-tuning from it is fine: the 3-class head is skipped and named in the log
    res = run_cli(*fast_args(digits16, tiny_yaml, tmp_path / "ft", "--epochs", "1", "--init-weights",
                             tmp_path / "three" / "best.pt"))
    assert res.rc == 0, res.err
    assert re.search(r"init weights from .*kept the fresh initialisation for 2 keys: \S+\.bias, \S+\.weight", res.err)


def test_vit_section_and_seed_aliases_reach_the_model(run_cli, digits16, tmp_path):
    res = run_cli("train", "--data", digits16, "--model", "vit", "--resolution", "16", "--patch-num", "4",
                  "--vt-dim", "32", "--vt-depth", "1", "--vt-heads", "2", "--mlp-dim", "32", "--gamma", "0.5",
                  "--scheduler", "steplr", "--epochs", "1", "--batch-size", "64", "--threads", "1",
                  "--no-tensorboard", "--augment", "none", "--out", tmp_path / "vit")
    assert res.rc == 0, res.err
    summary = json.loads((tmp_path / "vit" / "summary.json").read_text())
    assert summary["model"] == "vit"
    assert {"patch_num": 4, "dim": 32, "depth": 1, "heads": 2, "mlp_dim": 32, "image_size": 16}.items() <= \
        summary["model_kwargs"].items()
    assert json.loads((tmp_path / "vit" / "config.json").read_text())["lr_gamma"] == 0.5


def test_efficientnet_section_goes_to_its_builder():
    cfg = build_config(parse_cli("-a Efficientnet_b0 --alpha 1.2 --beta 1.1 --gamma 1.15 --dropout 0.3 "
                                 "--resolution 64 --vit.depth 3".split()).assignments)
    kw = model_kwargs_for(cfg, "efficientnet-b0", 3)
    # --resolution is the base; gamma 1.15 scales it (seed 000's compound scaling)
    assert kw == {"image_size": 74, "in_channels": 3, "dropout": 0.3, "alpha": 1.2, "beta": 1.1, "gamma": 1.15}


def test_katib_regex_reads_the_params_line(learned_run):
    first = learned_run["out"].splitlines()[0]
    names = [m.group(1) for m in re.finditer(KATIB_DEFAULT_REGEX, first)]
    assert names == ["params", "macs"]


def test_cells_model_from_flat_trial_parameters(run_cli, digits16, tmp_path):
    # The lecture's cell network, its parameters given flat as a Katib trial would (`--N`, `--activation`).
    res = run_cli("train", "--data", digits16, "--model", "cells", "--N", "1", "--activation", "ReLU",
                  "--set", "cells.base_channels=8", "--image-size", "16", "--epochs", "1", "--threads", "1",
                  "--no-tensorboard", "--augment", "none", "--out", tmp_path / "cells")
    assert res.rc == 0, res.err
    kwargs = json.loads((tmp_path / "cells" / "summary.json").read_text())["model_kwargs"]
    assert {"N": 1, "activation": "ReLU", "base_channels": 8}.items() <= kwargs.items()


def test_compound_scaling_gamma_sets_the_input_resolution():
    # seed 000: the resolution coefficient scales --image-size (the base), as int(gamma * 224) did
    from trainer.model_setup import input_size

    def cfg(text):
        return build_config(parse_cli(text.split()).assignments)

    c = cfg("--model efficientnet-b0 --image-size 32 --scaling 1.2,1.1,1.5")
    assert input_size(c) == 48 and model_kwargs_for(c, "efficientnet-b0", 3)["image_size"] == 48
    assert input_size(cfg("--model efficientnet-b0 --image-size 32 --efficientnet.gamma 1.15 "
                          "--efficientnet.phi 2")) == round(32 * 1.15 ** 2)
    assert input_size(cfg("--model efficientnet-b0 --image-size 32")) == 32
    assert input_size(cfg("--model resnet18 --image-size 32")) == 32
