"""Fixtures for the NNI converter tests: write NNI configs and search spaces into tmp_path."""
from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
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


@pytest.fixture
def nni_files(tmp_path):
    """nni_files(config, space=SMALL_SPACE, name="config.yml") -> path of the written config.
    `config` is a dict (dumped as YAML) or YAML text; `space` a dict (JSON) or text."""

    def write(config: dict | str, space: dict | str | None = SMALL_SPACE, name: str = "config.yml",
              space_name: str = "search_space.json") -> Path:
        path = tmp_path / name
        path.write_text(config if isinstance(config, str) else yaml.safe_dump(config, sort_keys=False))
        if space is not None:
            (tmp_path / space_name).write_text(space if isinstance(space, str) else json.dumps(space, indent=1))
        (tmp_path / "train.py").write_text("print('default=1')\n")
        return path

    return write


@pytest.fixture
def v1() -> dict:
    """A fresh valid v1 config (TPE maximize, local, search_space.json)."""
    return copy.deepcopy(V1_BASE)


@pytest.fixture
def v2() -> dict:
    """A fresh valid v2 config (TPE maximize, local, search_space.json)."""
    return copy.deepcopy(V2_BASE)
