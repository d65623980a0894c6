"""An unchanged NNI trial script (data/code/nni_trial.py) runs through the shim locally:
`kubetune convert nni CONFIG --run`, for a v1 and a v2 (snake_case) config."""
from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from kubetune.cli import main
from kubetune.engine.state import ExperimentState

DATA = Path(__file__).parent / "data"


def _score_of(params: dict) -> float:
    # the script's own formula, read from the script itself (it imports nni only inside main())
    namespace: dict = {"math": math}
    source = (DATA / "code" / "nni_trial.py").read_text()
    start = source.index("def score_of")
    exec(source[start:source.index("def main")], namespace)  # noqa: S102 - our own test data
    return namespace["score_of"](params)


@pytest.mark.parametrize("config,name", [("config_v1.yml", "toy-nni-v1"), ("config_v2.yml", "toy-nni-v2")])
def test_unchanged_nni_script_runs_through_the_shim(tmp_path, capsys, config, name):
    workdir = tmp_path / "runs"
    rc = main(["convert", "nni", str(DATA / config), "--run", "--workdir", str(workdir), "--seed", "3"])
    captured = capsys.readouterr()
    assert rc == 0, captured.err
    state = ExperimentState(workdir / name / "state.db", readonly=True)
    try:
        trials = state.trials()
        logs = {t.name: state.metric_logs(t.name, "default") for t in trials}
    finally:
        state.close()
    assert [t.state for t in trials] == ["Succeeded"] * 3
    space = json.loads((DATA / "search_space.json").read_text())
    for t in trials:
        seen = json.loads((workdir / name / "trials" / t.name / "volumes" / "nni-output" / "params.json").read_text())
        params = seen["params"]
        # the values NNI would have given, with NNI's types
        assert params["batch_size"] in space["batch_size"]["_value"] and type(params["batch_size"]) is int
        assert params["hidden_size"] in space["hidden_size"]["_value"]
        assert 0.0001 <= params["lr"] <= 0.1 and 0 <= params["momentum"] <= 1
        assert params["activation"] in ("relu", "tanh") and params["epochs"] == 3
        # they are Katib's assignment, decoded
        assert params["lr"] == float(t.assignments["lr"]) and params["batch_size"] == int(t.assignments["batch_size"])
        assert seen["trial"] == t.name and seen["experiment"] == name and seen["sequence"] == 0
        assert seen["second_call"] is None and seen["current"] == {k: params[k] for k in space}
        # objective = the final result (printed last, metric strategy latest); 3 intermediates before it
        score = _score_of(params)
        assert t.objective == pytest.approx(score, rel=1e-5)
        values = [float(v) for _, _, v in logs[t.name]]
        assert values[:3] == pytest.approx([score / 3, 2 * score / 3, score], rel=1e-5) and len(values) == 4
    assert "kubetune: wrote" in captured.err
