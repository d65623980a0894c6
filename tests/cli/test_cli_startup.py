"""`kubetune status` answers from the state file without loading the heavy libraries (optuna,
torch, kfp, kubernetes, rich): the command groups import them only inside the commands that need
them (bench/engine_scale.py measures the time; this guards the imports). `kubetune validate`,
and the checks of `run` and `submit`, load no sampler back-end (bench/cli_startup.py measures)."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import yaml

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


def _run_in_fresh_process(*argv: str, watched: tuple[str, ...] = HEAVY) -> tuple[int, str, list[str], str]:
    """(exit code, stdout, the `watched` packages it imported, stderr) of `kubetune ARGV`."""
    code = ("import json, sys\nfrom kubetune.cli import main\nrc = main(sys.argv[1:])\n"
            f"print(json.dumps([rc, sorted({{m.split('.')[0] for m in sys.modules}} & set({list(watched)!r}))]))")
    r = subprocess.run([sys.executable, "-c", code, *argv], capture_output=True, text=True, timeout=120)
    *out, last = r.stdout.rstrip("\n").split("\n")
    rc, heavy = json.loads(last)
    return rc, "\n".join(out), heavy, r.stderr


def test_status_loads_no_heavy_library(tmp_path):
    _state(tmp_path)
    rc, out, heavy, _ = _run_in_fresh_process("status", "tiny", "--workdir", str(tmp_path))
    assert rc == 0 and "experiment tiny" in out and "tiny-b" in out  # the best trial
    assert heavy == []
    rc, out, heavy, _ = _run_in_fresh_process("status", "tiny", "--workdir", str(tmp_path), "-o", "json")
    assert rc == 0 and json.loads(out)["status"]["currentOptimalTrial"]["bestTrialName"] == "tiny-b"
    assert heavy == []


def test_registering_every_command_loads_no_heavy_library():
    code = ("import sys\nfrom kubetune.cli import build_parser\nbuild_parser()\n"
            f"print(sorted({{m.split('.')[0] for m in sys.modules}} & set({list(HEAVY)!r})))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert r.stdout.strip() == "[]"


# What validating must not import: the sampler back-ends load only when a suggester is built.
SAMPLER_BACKENDS = ("optuna", "scipy", "hyperopt", "skopt", "goptuna", "torch", "cmaes")
DATA = Path(__file__).resolve().parents[1] / "experiment" / "data"
ROOT = Path(__file__).resolve().parents[2]
BUDGET = [{"name": "resource_name", "value": "epochs"}, {"name": "max_resource", "value": "5"}]


def _experiment_files(tmp_path) -> list[str]:
    """An Experiment for every algorithm kubetune knows (asha and bohb: tpe.yaml with a budget),
    plus early stopping and a SearchSpace file."""
    files = [str(p) for p in sorted(DATA.glob("*.yaml"))]
    for algorithm in ("asha", "bohb"):
        doc = yaml.safe_load((DATA / "tpe.yaml").read_text())
        doc["metadata"]["name"] = f"{algorithm}-example"
        doc["spec"]["algorithm"] = {"algorithmName": algorithm, "algorithmSettings": BUDGET}
        (tmp_path / f"{algorithm}.yaml").write_text(yaml.safe_dump(doc))
        files.append(str(tmp_path / f"{algorithm}.yaml"))
    return files + [str(ROOT / "examples/compound-scaling/experiment.yaml"),
                    str(ROOT / "examples/optuna/lecture-nas.yaml")]


def test_validating_every_algorithm_loads_no_sampler_backend(tmp_path):
    """`kubetune validate --strict` (webhook rules, every service's settings checks, lint) on an
    Experiment per algorithm imports no sampler back-end; building a suggester afterwards does
    (so the probe sees an import when there is one). It imports only the Katib models decoding
    needs (138 of kubeflow-katib-api 0.19.0's 325 model modules; kubetune.experiment.katib_models),
    not the whole package."""
    files = _experiment_files(tmp_path)
    code = ("import json, sys\nfrom kubetune.cli import main\n"
            f"backends = set({list(SAMPLER_BACKENDS)!r})\n"
            "loaded = lambda: sorted({m.split('.')[0] for m in sys.modules} & backends)\n"
            "rc = main(sys.argv[1:])\nafter_validate = loaded()\n"
            "katib = sum(1 for m in sys.modules if m.startswith('kubeflow_katib_api.models.'))\n"
            "from kubetune.algorithms import make_suggester\nfrom kubetune.experiment import load_experiment\n"
            f"exp = load_experiment({str(DATA / 'tpe.yaml')!r})\n"
            "make_suggester('tpe', exp.algorithm.settings, exp.parameters, exp.objective.type)\n"
            "print(json.dumps([rc, after_validate, loaded(), katib]))")
    r = subprocess.run([sys.executable, "-c", code, "validate", "--strict", *files],
                       capture_output=True, text=True, timeout=120)
    *out, last = r.stdout.rstrip("\n").split("\n")
    rc, after_validate, after_suggester, katib_models = json.loads(last)
    checked = "\n".join(out) + r.stderr
    for name in ("tpe-example", "grid-example", "asha-example", "bohb-example", "hyperband-example",
                 "cmaes-example", "sobol-example", "median-stop-example", "lecture-nas"):
        assert f": {name}: " in checked, (name, checked)  # checked to the end: valid, or its problems
    assert "Traceback" not in r.stderr
    assert after_validate == []
    assert "optuna" in after_suggester
    assert 100 < katib_models < 200  # the Experiment's types, not all 325 model modules


def test_run_and_submit_check_without_sampler_backends(tmp_path):
    """`kubetune run --strict` refusing an Experiment over a lint warning and `kubetune submit
    --dry-run` stop before any suggester is built: no back-end is imported for their checks."""
    doc = yaml.safe_load((DATA / "grid.yaml").read_text())
    del doc["spec"]["maxTrialCount"]  # lint: grid without maxTrialCount never ends
    (tmp_path / "grid.yaml").write_text(yaml.safe_dump(doc))
    rc, _, heavy, err = _run_in_fresh_process("run", "--strict", "--workdir", str(tmp_path / "runs"),
                                              str(tmp_path / "grid.yaml"), watched=SAMPLER_BACKENDS)
    assert rc == 2 and "grid.yaml: not run (" in err and "grid-example: error: spec.maxTrialCount" in err
    assert heavy == []
    rc, out, heavy, _ = _run_in_fresh_process("submit", str(DATA / "tpe.yaml"), "--dry-run",
                                              watched=SAMPLER_BACKENDS)
    assert rc == 0 and "name: tpe-example" in out
    assert heavy == []
