"""Fixtures for the data tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from trainer.data import write_digits


@pytest.fixture(scope="session")
def digits_dir(tmp_path_factory) -> Path:
    """The digits dataset written once per test process; tests must not modify it."""
    out = tmp_path_factory.mktemp("digits") / "digits"
    write_digits(out, image_size=16, seed=0)
    return out
