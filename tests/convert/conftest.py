"""Fixtures for the NNI converter tests: write NNI configs and search spaces into tmp_path."""
from __future__ import annotations

import copy
import json
import sys
from pathlib import Path

import pytest
import yaml

sys.path.insert(0, str(Path(__file__).parent))  # convert_nni_bases, whatever pytest's import mode

from convert_nni_bases import SMALL_SPACE, V1_BASE, V2_BASE  # noqa: E402


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
