"""Shared fixtures for kubetune.experiment tests: the YAML examples under data/."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # experiment_helpers, whatever pytest's import mode

from experiment_helpers import _random_doc, doc, make_doc  # noqa: E402,F401  (fixtures)


@pytest.fixture
def container(doc) -> dict:
    """The training container of `doc` (mutations show up in `doc`)."""
    return doc["spec"]["trialTemplate"]["trialSpec"]["spec"]["template"]["spec"]["containers"][0]
