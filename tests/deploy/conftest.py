"""Fixtures for the cluster-side tests: the real tools from .tools/bin and a tiny digits dataset.

The tools (helm, kubectl, hadolint, kubernetes-validate, checkov) come from scripts/install-tools.sh
(`make tools`, which `make test` runs first). Missing tools fail the test under CI (CI=true) and
skip it elsewhere, with the command that installs them.
"""
from __future__ import annotations

import fcntl
import os
import subprocess
import sys
from pathlib import Path
from typing import Callable

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # deploy_helpers, whatever pytest's import mode

from deploy_helpers import ROOT, tool_path  # noqa: E402


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


@pytest.fixture(scope="session")
def tool() -> Callable[[str], str]:
    """tool("helm") -> absolute path of .tools/bin/helm; fail (CI) or skip (elsewhere) when absent."""

    def find(name: str) -> str:
        path = tool_path(name)
        if path is None:
            message = (f"{name} is not installed in .tools/bin: run `make tools` "
                       f"(bash scripts/install-tools.sh)")
            if _in_ci():
                pytest.fail(message)
            pytest.skip(message)
        return str(path)

    return find


# Images kept per class and split: enough for every class to be in train and val, few enough that
# one epoch of any template's model takes seconds on one CPU thread.
PER_CLASS = {"train": 24, "val": 6, "test": 3}


@pytest.fixture(scope="session")
def digits_root(tmp_path_factory) -> Path:
    """A folder holding digits/ (16 px PNGs, a per-class subset): what the Experiments mount at
    /datasets. Written once per test session, shared by pytest-xdist workers (a file lock)."""
    shared = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        shared = shared.parent  # pytest-N/, common to the workers of this run only
    root = shared / "cluster-datasets"
    with open(shared / "cluster-datasets.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (root / "done").exists():
            digits = root / "digits"
            subprocess.run([sys.executable, "-m", "trainer", "data", "digits", "--out", str(digits),
                            "--image-size", "16"], check=True, capture_output=True, cwd=ROOT, timeout=300)
            for split, keep in PER_CLASS.items():
                for class_dir in sorted((digits / split).iterdir()):
                    for extra in sorted(class_dir.iterdir())[keep:]:
                        extra.unlink()
            (root / "done").write_text("")
    return root
