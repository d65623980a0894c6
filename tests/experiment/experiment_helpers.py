"""Helpers shared by the kubetune.experiment tests (imported as a plain module)."""
from __future__ import annotations

import copy
from pathlib import Path
from typing import Callable

import pytest
import yaml

from kubetune.experiment import Problem, SpecError, experiment_from_dict, lint

DATA = Path(__file__).parent / "data"
ALGORITHM_FIXTURES = {
    "random": "random.yaml",
    "tpe": "tpe.yaml",
    "grid": "grid.yaml",
    "multivariate-tpe": "multivariate-tpe.yaml",
    "cmaes": "cmaes.yaml",
    "sobol": "sobol.yaml",
    "bayesianoptimization": "bayesianoptimization.yaml",
    "hyperband": "hyperband.yaml",
    "pbt": "pbt.yaml",
    "enas": "enas.yaml",
    "darts": "darts.yaml",
}


def read_doc(name: str) -> dict:
    return yaml.safe_load((DATA / name).read_text())


def errors_of(doc: dict) -> list[Problem]:
    """The errors experiment_from_dict raises for `doc` ([] when it loads): the webhook rules'."""
    try:
        experiment_from_dict(doc, "test.yaml")
    except SpecError as exc:
        return exc.errors
    return []


def warnings_of(doc: dict) -> list[Problem]:
    """Generic lint warnings (kubetune.experiment.lint) for a document that must load."""
    return lint(experiment_from_dict(doc, "test.yaml"))


def paths(problems: list[Problem]) -> list[str]:
    return [p.path for p in problems]


def find(problems: list[Problem], path: str, text: str = "") -> Problem:
    """The problem at `path` whose message contains `text`; fails the test when absent."""
    for p in problems:
        if p.path == path and text in p.message:
            return p
    raise AssertionError(f"no problem at {path!r} containing {text!r}; got:\n" +
                         "\n".join(str(p) for p in problems))


# Fixtures shared by tests/experiment and tests/algorithms (each conftest imports them).
@pytest.fixture(scope="session")
def _random_doc() -> dict:
    return read_doc("random.yaml")


@pytest.fixture
def doc(_random_doc) -> dict:
    """A fresh copy of the valid random-search Experiment (Job trial running python -m trainer)."""
    return copy.deepcopy(_random_doc)


@pytest.fixture
def make_doc() -> Callable[[str], dict]:
    return read_doc
