"""Fixtures over ensemble_helpers' hand-computable members."""
from __future__ import annotations

from pathlib import Path

import pytest

from ensemble_helpers import MEMBERS, write_labels, write_member


@pytest.fixture
def member_files(tmp_path) -> list[Path]:
    """runs/<A|B|C>/preds.csv, the layout `runs/*/preds.csv` globs."""
    paths = []
    for name, rows in MEMBERS.items():
        (tmp_path / "runs" / name).mkdir(parents=True)
        paths.append(write_member(tmp_path / "runs" / name / "preds.csv", rows))
    return paths


@pytest.fixture
def labels_file(tmp_path) -> Path:
    return write_labels(tmp_path / "test.csv")
