"""Fixtures for the NNI shim tests: run Python code as an NNI trial through the real launcher."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest



def _clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(("NNI_", "KUBETUNE_NNI"))}


@pytest.fixture
def run_trial(tmp_path):
    """run_trial(code, record=None, params=None, env=None) -> CompletedProcess of
    `python -m kubetune.compat.nni_launch -- python -c code` in tmp_path. With `record` the trial
    is managed (KUBETUNE_NNI_SPACE set, params as env vars), without it standalone."""

    def run(code: str, record: dict | None = None, params: dict[str, str] | None = None,
            env: dict[str, str] | None = None, timeout: float = 60) -> subprocess.CompletedProcess:
        full = _clean_env()
        if record is not None:
            full["KUBETUNE_NNI_SPACE"] = json.dumps(record)
            full.update({"NNI_PLATFORM": "katib", "NNI_EXP_ID": "exp-1", "NNI_TRIAL_JOB_ID": "exp-1-abcd",
                         "NNI_TRIAL_SEQ_ID": "0", "NNI_OUTPUT_DIR": str(tmp_path / "out")})
        full.update(params or {})
        full.update(env or {})
        return subprocess.run([sys.executable, "-m", "kubetune.compat.nni_launch", "--", "python", "-c", code],
                              cwd=tmp_path, env=full, capture_output=True, text=True, timeout=timeout)

    return run
