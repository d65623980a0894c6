"""`kubetune status` answers from the state file without loading the heavy libraries (optuna,
torch, kfp, kubernetes, rich): the command groups import them only inside the commands that need
them (bench/engine_scale.py measures the time; this guards the imports)."""
from __future__ import annotations

import json
import subprocess
import sys

from kubetune.engine.state import ExperimentState

HEAVY = ("optuna", "torch", "kfp", "kubernetes", "rich", "numpy")
SPEC = {"objective": {"type": "maximize", "objectiveMetricName": "accuracy"}}


def _state(workdir, name="tiny"):
    state = ExperimentState(workdir / name / "state.db")
    state.init_experiment(name, "default", SPEC)
    state.add_trials([(f"{name}-a", {"x": "1"}, {}, None), (f"{name}-b", {"x": "2"}, {}, None)])
    for trial, value in ((f"{name}-a", 0.5), (f"{name}-b", 0.7)):
        state.finish(trial, "Succeeded", reason="", message="", exit_code=0, objective=value,
                     observation={"accuracy": {"min": str(value), "max": str(value), "latest": str(value)}})
    state.close()


def _run_in_fresh_process(*argv: str) -> tuple[int, str, list[str]]:
    code = ("import json, sys\nfrom kubetune.cli import main\nrc = main(sys.argv[1:])\n"
            f"print(json.dumps([rc, sorted({{m.split('.')[0] for m in sys.modules}} & set({list(HEAVY)!r}))]))")
    r = subprocess.run([sys.executable, "-c", code, *argv], capture_output=True, text=True, timeout=120)
    *out, last = r.stdout.rstrip("\n").split("\n")
    rc, heavy = json.loads(last)
    return rc, "\n".join(out), heavy


def test_status_loads_no_heavy_library(tmp_path):
    _state(tmp_path)
    rc, out, heavy = _run_in_fresh_process("status", "tiny", "--workdir", str(tmp_path))
    assert rc == 0 and "experiment tiny" in out and "tiny-b" in out  # the best trial
    assert heavy == []
    rc, out, heavy = _run_in_fresh_process("status", "tiny", "--workdir", str(tmp_path), "-o", "json")
    assert rc == 0 and json.loads(out)["status"]["currentOptimalTrial"]["bestTrialName"] == "tiny-b"
    assert heavy == []


def test_registering_every_command_loads_no_heavy_library():
    code = ("import sys\nfrom kubetune.cli import build_parser\nbuild_parser()\n"
            f"print(sorted({{m.split('.')[0] for m in sys.modules}} & set({list(HEAVY)!r})))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert r.stdout.strip() == "[]"
