"""Engine tests run real trial processes: tiny Python scripts under tests/engine/trials/."""
from __future__ import annotations

import pytest


@pytest.fixture
def run_experiment(tmp_path):
    """Run an Experiment dict with the local engine; returns the RunResult."""
    from kubetune.engine import LocalEngine
    from kubetune.experiment import experiment_from_dict

    def run(raw: dict, **kw):
        exp = experiment_from_dict(raw)
        return LocalEngine(exp, tmp_path / "runs", seed=kw.pop("seed", 1), gpus=kw.pop("gpus", []), **kw).run()

    return run
