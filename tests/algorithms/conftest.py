"""Fixtures for the tests that check whole Experiments against the algorithms: the YAML examples
of tests/experiment/data, with tests/experiment's fixtures."""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))  # algorithms_helpers, whatever pytest's import mode
sys.path.insert(0, str(Path(__file__).parents[1] / "experiment"))  # experiment_helpers

from experiment_helpers import _random_doc, doc, make_doc  # noqa: E402,F401  (fixtures)
