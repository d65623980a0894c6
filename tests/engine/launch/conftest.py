"""Launcher tests: real trial processes, through the subprocess launcher and the warm launcher."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parents[1]))  # engine_helpers

from launch_helpers import PY, SCRIPTS, spec  # noqa: E402


@pytest.fixture(scope="module")
def warm(tmp_path_factory):
    """One warm parent for a module's tests (it imports nothing beyond the interpreter: fast)."""
    from kubetune.engine.launch import WarmLauncher

    launcher = WarmLauncher(tmp_path_factory.mktemp("warm") / "parent.log")
    messages = []
    assert launcher.prepare(spec([PY, SCRIPTS / "probe.py"], SCRIPTS), {}, messages.append) is None
    launcher.messages = messages
    yield launcher
    launcher.close()


@pytest.fixture(scope="module")
def plain():
    from kubetune.engine.runner import SubprocessLauncher

    return SubprocessLauncher()
