"""examples/nni/: the seeds' three NNI set-ups. Their checked-in Experiments are exactly what the
converter produces today, validate with --strict, and (slow) the configs convert and run locally on
the digits data for 2 tiny trials each."""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from kubetune.cli import main
from kubetune.convert import convert_nni
from kubetune.engine.state import ExperimentState

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "nni"
SETUPS = {  # directory: (config, Experiment name, Katib algorithm)
    "efficientnet": ("config.yml", "example-efficient-net", "grid"),
    "vit": ("config.yml", "vit-to-nni", "tpe"),
    "mask": ("config_remote.yml", "pstage1-env1", "tpe"),
}


@pytest.mark.parametrize("setup", sorted(SETUPS))
def test_checked_in_experiment_is_regenerated_exactly(setup):
    config, name, algorithm = SETUPS[setup]
    result = convert_nni(EXAMPLES / setup / config)
    checked_in = (EXAMPLES / setup / "experiment.yaml").read_text()
    assert result.text == checked_in, (f"examples/nni/{setup}/experiment.yaml is stale; regenerate it with "
                                       f"kubetune convert nni examples/nni/{setup}/{config} -o "
                                       f"examples/nni/{setup}/experiment.yaml")
    assert result.name == name and result.document["spec"]["algorithm"]["algorithmName"] == algorithm
    assert result.mode == "trainer"
    assert main(["validate", "--strict", str(EXAMPLES / setup / "experiment.yaml")]) == 0


def test_seed_000_is_the_fixed_product_grid():
    spec = convert_nni(EXAMPLES / "efficientnet" / "config.yml").document["spec"]
    [scaling] = spec["parameters"]
    assert len(scaling["feasibleSpace"]["list"]) == spec["maxTrialCount"] == 100
    args = spec["trialTemplate"]["trialSpec"]["spec"]["template"]["spec"]["containers"][0]["args"]
    assert args[-1] == "--scaling=${trialParameters.scaling}"


@pytest.fixture(scope="module")
def tiny_digits(tmp_path_factory) -> Path:
    """The digits images (python -m trainer data digits --image-size 16), cut to 6 train and 3 val
    images per class so that a trial's epoch takes about a second."""
    root = tmp_path_factory.mktemp("digits")
    subprocess.run([sys.executable, "-m", "trainer", "data", "digits", "--out", str(root / "full"), "--image-size", "16"],
                   check=True, capture_output=True)
    tiny = root / "tiny"
    for split, n in (("train", 6), ("val", 3)):
        for cls in sorted((root / "full" / split).iterdir()):
            (tiny / split / cls.name).mkdir(parents=True)
            for image in sorted(cls.iterdir())[:n]:
                shutil.copy(image, tiny / split / cls.name / image.name)
    return tiny


def _tiny_copy(setup: str, dest: Path) -> Path:
    """The example with tiny settings: 2 trials, 1 epoch, 16-30 px images, 10 classes (the digits)."""
    shutil.copytree(EXAMPLES / setup, dest)
    config_name = SETUPS[setup][0]
    config = dest / config_name
    text = config.read_text()
    for pattern, repl in ((r"--epochs \d+", "--epochs 1"), (r"--num-classes \d+", "--num-classes 10"),
                          (r"--resolution \d+", "--resolution 16"), (r"maxTrialNum: \d+", "maxTrialNum: 2"),
                          (r"--batch-size \d+", "--batch-size 32")):
        text = re.sub(pattern, repl, text)
    if "--resolution" not in text:  # seed 002 trains at the trainer's default 224 px
        text = re.sub(r"(command: python3? -m trainer train)", r"\1 --image-size 16", text)
    config.write_text(text + "  # (test: tiny)\n")
    space = dest / "search_net_ViT.json"
    if space.exists():  # ViT: patch-num 15/10/6/5 must divide the image size
        space.write_text(space.read_text().replace('"_value": [300]', '"_value": [30]'))
    return config


@pytest.mark.slow
@pytest.mark.parametrize("setup", sorted(SETUPS))
def test_seed_config_converts_and_runs_locally_on_digits(tmp_path, tiny_digits, setup, capsys):
    config = _tiny_copy(setup, tmp_path / setup)
    workdir = tmp_path / "runs"
    rc = main(["convert", "nni", str(config), "--run", "--workdir", str(workdir), "--seed", "1",
               "--set-path", f"/data={tiny_digits}"])
    captured = capsys.readouterr()
    assert rc == 0, captured.err[-3000:]
    name = SETUPS[setup][1]
    assert main(["validate", "--strict", str(workdir / f"{name}.yaml")]) == 0
    state = ExperimentState(workdir / name / "state.db", readonly=True)
    try:
        trials = state.trials()
    finally:
        state.close()
    assert len(trials) == 2 and all(t.state == "Succeeded" for t in trials), [(t.name, t.message) for t in trials]
    assert all(0.0 <= t.objective <= 1.0 for t in trials)  # the trainer's validation accuracy, epoch 1
    if setup == "efficientnet":  # grid over NNI's first two triples (maxTrialNum 2)
        assert sorted(t.assignments["scaling"] for t in trials) == ["1.0,1.0,1.4000000000000001", "1.0,1.05,1.35"]
        log = (workdir / name / "trials" / trials[0].name / "log").read_text()
        assert "'scaling': '1.0,1.0" in log  # reached the EfficientNet builder
