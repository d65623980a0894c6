"""Shared fixtures for kubetune.experiment tests: the YAML examples under data/."""
from __future__ import annotations

import copy
import sys
from pathlib import Path
from typing import Callable

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # experiment_helpers, whatever pytest's import mode

from experiment_helpers import read_doc  # noqa: E402


@pytest.fixture(scope="session")
def _random_doc() -> dict:
    return read_doc("random.yaml")


@pytest.fixture
def doc(_random_doc) -> dict:
    """A fresh copy of the valid random-search Experiment (Job trial running python -m trainer)."""
    return copy.deepcopy(_random_doc)


@pytest.fixture
def container(doc) -> dict:
    """The training container of `doc` (mutations show up in `doc`)."""
    return doc["spec"]["trialTemplate"]["trialSpec"]["spec"]["template"]["spec"]["containers"][0]


@pytest.fixture
def make_doc() -> Callable[[str], dict]:
    return read_doc
