"""The NNI configs and search space the converter tests start from (imported by conftest.py and the
fuzz test as a plain module), and `convert_cli`."""
from __future__ import annotations

from pathlib import Path

import yaml

V1_BASE = {
    "authorName": "test", "experimentName": "conv_test", "trialConcurrency": 2, "maxExecDuration": "1h",
    "maxTrialNum": 10, "trainingServicePlatform": "local", "searchSpacePath": "search_space.json",
    "useAnnotation": False, "tuner": {"builtinTunerName": "TPE", "classArgs": {"optimize_mode": "maximize"}},
    "trial": {"command": "python3 train.py", "codeDir": ".", "gpuNum": 0},
}
V2_BASE = {
    "experimentName": "conv_test", "searchSpaceFile": "search_space.json", "trialCommand": "python3 train.py",
    "trialCodeDirectory": ".", "trialConcurrency": 2, "maxTrialNumber": 10, "maxExperimentDuration": "1h",
    "tuner": {"name": "TPE", "classArgs": {"optimize_mode": "maximize"}},
    "trainingService": {"platform": "local"},
}
SMALL_SPACE = {
    "lr": {"_type": "loguniform", "_value": [0.0001, 0.1]},
    "batch_size": {"_type": "choice", "_value": [16, 32, 64]},
}


def convert_cli(config: Path, capsys) -> tuple[dict, str]:
    """Convert through the CLI, then `validate --strict` the output; (the document, the notes)."""
    from kubetune.cli import main

    out = config.with_suffix(".yaml")
    assert main(["convert", "nni", str(config), "-o", str(out)]) == 0
    notes = capsys.readouterr().err
    assert main(["validate", "--strict", str(out)]) == 0, capsys.readouterr().err
    capsys.readouterr()
    return yaml.safe_load(out.read_text()), notes
