"""Shared fixtures for kubetune.spec tests: the YAML examples under data/."""
from __future__ import annotations

import copy
from pathlib import Path
from typing import Callable

import pytest

from spec_helpers import DATA, read_doc

@pytest.fixture(scope="session")
def data_dir() -> Path:
    return DATA


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
