"""Shared fixtures for the trainer tests: the digits data (16 px, written once per session), a tiny
block network, and a helper that runs `python -m trainer ...` in-process."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import torch
import yaml

# A 3-conv network (~15k parameters, 0.55M MACs at 16 px): learns digits to ~0.8 in 2 epochs.
TINY_NET = {
    "input_channel": 3,
    "backbone": [
        [1, "Conv", [16, 3, 1]],
        [1, "Conv", [32, 3, 2]],
        [1, "Conv", [32, 3, 2]],
        [1, "GlobalAvgPool", []],
        [1, "Flatten", []],
        [1, "Linear", [10]],
    ],
}


@pytest.fixture(scope="session")
def digits16(tmp_path_factory) -> Path:
    """scikit-learn digits as 16 px PNGs (train/ val/ test/ + test.csv); read-only for tests."""
    from trainer.data import write_digits
    out = tmp_path_factory.mktemp("trainer-digits") / "digits"
    write_digits(out, image_size=16, seed=0)
    return out


@pytest.fixture(scope="session")
def digits3(tmp_path_factory, digits16) -> Path:
    """Classes 0, 1, 2 only: another class set for mismatch and fine-tuning tests."""
    out = tmp_path_factory.mktemp("trainer-digits3") / "digits3"
    for split in ("train", "val"):
        for label in ("0", "1", "2"):
            shutil.copytree(digits16 / split / label, out / split / label)
    return out


@pytest.fixture(scope="session")
def tiny_yaml(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("trainer-cfg") / "tiny.yaml"
    path.write_text(yaml.safe_dump({"model": "yaml", "blocks": {"config": TINY_NET}}), encoding="utf-8")
    return path


@pytest.fixture
def one_thread() -> Iterator[None]:
    """Busy 2-core machines make torch's two spinning OpenMP threads ~10-30x slower; restore after."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@dataclass
class CliResult:
    rc: int
    out: str
    err: str

    def metric_lines(self) -> list[str]:
        return [line for line in self.out.splitlines() if "epoch=" in line]


@pytest.fixture
def run_cli(capsys, one_thread):
    """Run `python -m trainer ARGS` in this process (saves ~4 s of imports per call)."""
    from trainer.cli import main

    def run(*args: str) -> CliResult:
        capsys.readouterr()
        rc = main([str(a) for a in args])
        captured = capsys.readouterr()
        return CliResult(rc, captured.out, captured.err)

    return run
