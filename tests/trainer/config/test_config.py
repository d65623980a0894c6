"""TrainConfig: flags, YAML keys, --set, seed aliases, Katib string values, errors."""

from __future__ import annotations

import json

import pytest

from trainer.config import TrainConfig, build_config, help_text, parse_cli
from trainer.config.build import load_config_file
from trainer.config.schema import SPECS
from trainer.errors import ConfigError
from trainer.models.registry import resolve_model_name


def cfg_of(*argv: str) -> TrainConfig:
    return build_config(parse_cli(list(argv)).assignments)


def test_seed000_nni_command_parses():
    # The trial command of seed 000 (EfficientNet under NNI), plus its search space alpha/beta/gamma.
    parsed = parse_cli("custom --download-dir ./dataset_real -j 0 -a efficientnet --batch-size 16 --lr 0.048 "
                       "--wd 1e-5 --epochs 5 --request-from-nni --resume ./model_best.pth.tar --resolution 300 "
                       "--num-classes 2 --gpu 0 --alpha 1.2 --beta 1.1 --gamma 1.15".split())
    assert parsed.positional == ["custom"]
    cfg = build_config(parsed.assignments)
    assert (cfg.data, cfg.workers, cfg.model, cfg.batch_size) == ("./dataset_real", 0, "efficientnet", 16)
    assert (cfg.lr, cfg.weight_decay, cfg.epochs, cfg.image_size) == (0.048, 1e-5, 5, 300)
    assert (cfg.num_classes, cfg.gpu, cfg.resume) == (2, 0, "./model_best.pth.tar")
    assert (cfg.efficientnet.alpha, cfg.efficientnet.beta, cfg.efficientnet.gamma) == (1.2, 1.1, 1.15)
    assert cfg.lr_gamma == 0.1   # gamma went to the compound-scaling coefficient, not the LR decay


def test_seed001_vit_search_space_names():
    # Seed 001's NNI search space keys, written as flags the way NNI/Katib substitute them.
    cfg = cfg_of("-a", "vit", "--gamma", "0.7", "--image_size", "300", "--patch-num", "10", "--vt_dim", "128",
                 "--vt_depth", "5", "--vt_heads", "8", "--mlp_dim", "500", "--scheduler", "steplr")
    assert cfg.lr_gamma == 0.7 and cfg.efficientnet.gamma is None   # gamma = LR decay for a ViT
    assert (cfg.image_size, cfg.vit.patch_num, cfg.vit.dim, cfg.vit.depth, cfg.vit.heads, cfg.vit.mlp_dim) == \
        (300, 10, 128, 5, 8, 500)


def test_seed002_search_space_values_normalised():
    cfg = cfg_of("--batch_size", "64", "--lr", "0.001", "--model", "Efficientnet_b3", "--criterion", "label_smoothing",
                 "--augmentation", "GaussianAugmentation", "--classification", "multi", "--epochs", "30")
    assert (cfg.batch_size, cfg.loss, cfg.augment) == (64, "label_smoothing", "gaussian")
    assert resolve_model_name(cfg.model, ["efficientnet-b0", "efficientnet-b3", "resnet18"]) == "efficientnet-b3"
    assert cfg_of("--augmentation", "AffineAugmentation").augment == "affine"
    assert cfg_of("--criterion", "focal").loss == "focal"


def test_katib_string_values_are_typed():
    cfg = cfg_of("--lr=0.01", "--epochs=3", "--nesterov=true", "--cache=false", "--batch-size=32.0",
                 "--milestones=10,20,25", "--betas=[0.8, 0.99]", "--dropout=none")
    assert cfg.lr == 0.01 and isinstance(cfg.epochs, int) and cfg.epochs == 3
    assert cfg.nesterov is True and cfg.cache is False and cfg.batch_size == 32
    assert cfg.milestones == [10, 20, 25] and cfg.betas == [0.8, 0.99] and cfg.dropout is None


@pytest.mark.parametrize("argv, value", [
    (["--deterministic"], True), (["--deterministic", "false"], False), (["--deterministic=0"], False),
    (["--no-deterministic"], False), (["--deterministic", "yes"], True),
])
def test_bool_flag_forms(argv, value):
    assert cfg_of(*argv).deterministic is value


def test_config_file_then_flags_then_set_in_order(tmp_path):
    f = tmp_path / "trial.yaml"
    f.write_text("model: vit\nlr: 0.1\nvit:\n  depth: 6\n  dim: 64\nvit.heads: 4\noptimizer: adam\n"
                 "cells:\n  n1: 2\n", encoding="utf-8")
    cfg = cfg_of("--set", "vit.depth=4", "--config", str(f), "--lr", "0.05", "--set", "lr=3e-4")
    assert cfg.model == "vit" and cfg.optimizer == "adam"
    assert (cfg.vit.depth, cfg.vit.dim, cfg.vit.heads) == (4, 64, 4)   # --set beats the file
    assert cfg.lr == 3e-4                                              # later flag wins
    assert cfg.cells == {"n1": 2}


def test_every_key_is_a_flag_and_a_yaml_key(tmp_path):
    checked = 0
    for key, spec in SPECS.items():
        if spec.base_type is bool:
            candidates = ["false" if spec.default else "true"]
        elif spec.choices:
            candidates = [c for c in spec.choices if c != spec.default]
        else:
            continue
        for raw in candidates:   # the first value that is valid on its own (`step` needs milestones, ...)
            try:
                from_flag = cfg_of(f"--{key.replace('_', '-')}={raw}")
            except ConfigError:
                continue
            f = tmp_path / "c.yaml"
            f.write_text(f"{key}: {raw}\n", encoding="utf-8")
            from_file = build_config(load_config_file(str(f)))
            assert from_file.get(key) == from_flag.get(key) != spec.default, key
            checked += 1
            break
        else:
            raise AssertionError(f"no value of {key} could be set")
    assert checked >= 15


def test_unknown_key_lists_close_matches(tmp_path):
    with pytest.raises(ConfigError, match=r"unknown config key 'lrr'.*did you mean lr"):
        cfg_of("--lrr", "0.1")
    with pytest.raises(ConfigError, match=r"vit\.depth"):
        cfg_of("--set", "vit.dept=3")
    f = tmp_path / "bad.yaml"
    f.write_text("optimiser: adam\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=rf"{f}.*'optimiser'.*optimizer"):
        build_config(load_config_file(str(f)))


def test_bad_values_name_the_key_and_the_choices():
    with pytest.raises(ConfigError, match="optimizer.*'adagrad'.*sgd, adam, adamw, rmsprop"):
        cfg_of("--optimizer", "adagrad")
    with pytest.raises(ConfigError, match="loss.*'hinge'.*cross_entropy, focal, label_smoothing, f1"):
        cfg_of("--criterion", "hinge")
    with pytest.raises(ConfigError, match="batch_size.*integer"):
        cfg_of("--batch-size", "3.5")
    with pytest.raises(ConfigError, match="milestones"):
        cfg_of("--scheduler", "step")
    with pytest.raises(ConfigError, match="lr: must be > 0"):
        cfg_of("--lr", "0")
    with pytest.raises(ConfigError, match="--set expects key=value"):
        cfg_of("--set", "lr")


def test_model_kwargs_given_flat_go_to_model_args():
    cfg = cfg_of("--model", "vit", "--dim-head", "16", "--pool", "mean")
    assert cfg.model_args == {"dim_head": 16, "pool": "mean"}


def test_help_lists_every_key():
    text = help_text()
    for key in SPECS:
        assert "--" + key.replace("_", "-") in text


def test_print_config_through_cli(run_cli, tmp_path):
    res = run_cli("train", "--print-config", "--set", "efficientnet.alpha=1.2", "--resolution", "64")
    assert res.rc == 0
    cfg = json.loads(res.out)
    assert cfg["efficientnet"]["alpha"] == 1.2 and cfg["image_size"] == 64
    assert "=" not in res.out   # printed config must not look like metric lines to Katib


def test_model_kwarg_spelling_is_kept():
    cfg = cfg_of("--model", "cells", "--N", "3", "--set", "cells.normal_cell=Conv")
    assert cfg.model_args == {"N": 3} and cfg.cells == {"normal_cell": "Conv"}


def test_saved_config_round_trips_as_a_base():
    # A checkpoint stores cfg.to_dict(); resuming rebuilds from it (None, nested and free keys included).
    for argv in (["--model", "efficientnet-b0", "--alpha", "1.2"],
                 ["--model", "yaml", "--blocks.config", "example", "--milestones", "3,5", "--scheduler", "step"],
                 ["--model", "cells", "--N", "2", "--set", "cells.base_channels=8"]):
        cfg = cfg_of(*argv)
        assert build_config([], base=cfg.to_dict()).to_dict() == cfg.to_dict()


def test_config_imports_no_torch():
    # `--help` and config errors stay fast: the families' option sections come from torch-free modules.
    import subprocess
    import sys
    code = ("import sys; from trainer.config import build_config, parse_cli, help_text; help_text(); "
            "build_config(parse_cli(['-a', 'efficientnet', '--gamma', '1.1']).assignments); "
            "assert 'torch' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
