"""Builders for the CLI output tests: Experiments whose trials are tests/cli/scripts/cli_trial.py,
`kubetune` in a subprocess (stdout is a pipe, as for a user piping into less or a CI log), and
local states written with the state API."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
TRIAL = Path(__file__).parent / "scripts" / "cli_trial.py"
# a decimal number with more than 6 significant digits (what a person should never be shown)
LONG_NUMBER = re.compile(r"(?<![\w.])-?(?:0\.0*[1-9]\d{6,}|[1-9]\d*\.\d+)(?:e[-+]?\d+)?")


def too_precise(text: str) -> list[str]:
    """Numbers in `text` with more than 6 significant digits."""
    found = []
    for m in LONG_NUMBER.finditer(text):
        digits = re.sub(r"e[-+]?\d+$", "", m.group(0)).lstrip("-").replace(".", "").lstrip("0")
        if len(digits) > 6:
            found.append(m.group(0))
    return found


def experiment(name: str, *, fail_below: float = -1.0, trials: int = 4, parallel: int = 2, max_failed: int | None = None,
               extra_args: tuple[str, ...] = (), command: list[str] | None = None, mounts=None, volumes=None,
               working_dir: str | None = None) -> dict:
    container = {"name": "training", "image": "python:3.11",
                 "command": command or ["python", str(TRIAL)],
                 "args": ["--lr=${trialParameters.lr}", "--optimizer=${trialParameters.optimizer}",
                          f"--fail-below={fail_below}", *extra_args]}
    if mounts:
        container["volumeMounts"] = mounts
    if working_dir:
        container["workingDir"] = working_dir
    pod = {"restartPolicy": "Never", "containers": [container]}
    if volumes:
        pod["volumes"] = volumes
    spec = {
        "objective": {"type": "maximize", "objectiveMetricName": "accuracy", "additionalMetricNames": ["loss"],
                      "metricStrategies": [{"name": "loss", "value": "min"}]},
        "algorithm": {"algorithmName": "random", "algorithmSettings": [{"name": "random_state", "value": "3"}]},
        "parallelTrialCount": parallel, "maxTrialCount": trials,
        "parameters": [
            {"name": "lr", "parameterType": "double",
             "feasibleSpace": {"min": "0.0001", "max": "0.1", "distribution": "logUniform"}},
            {"name": "optimizer", "parameterType": "categorical", "feasibleSpace": {"list": ["sgd", "adam"]}},
        ],
        "trialTemplate": {
            "primaryContainerName": "training",
            "trialParameters": [{"name": "lr", "reference": "lr"}, {"name": "optimizer", "reference": "optimizer"}],
            "trialSpec": {"apiVersion": "batch/v1", "kind": "Job", "spec": {"template": {"spec": pod}}},
        },
    }
    if max_failed is not None:
        spec["maxFailedTrialCount"] = max_failed
    return {"apiVersion": "kubeflow.org/v1beta1", "kind": "Experiment",
            "metadata": {"name": name, "namespace": "default"}, "spec": spec}


def write_experiment(tmp_path: Path, raw: dict) -> Path:
    path = tmp_path / f"{raw['metadata']['name']}.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    return path


def kubetune(*args: str, columns: int | None = 100, timeout: float = 180) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "FORCE_COLOR", "NO_COLOR")}
    if columns is not None:
        env["COLUMNS"] = str(columns)
    return subprocess.run([sys.executable, "-m", "kubetune.cli", *args], capture_output=True, text=True,
                          timeout=timeout, cwd=REPO, env=env)


def state_with_trials(workdir: Path, name: str, n: int, *, spec: dict | None = None, annotations: dict | None = None,
                      assignments=None, message: str = "") -> Path:
    """A finished local experiment of n trials written with the state API (no trial runs)."""
    from kubetune.engine.state import ExperimentState

    spec = spec or {"objective": {"type": "maximize", "objectiveMetricName": "accuracy"},
                    "parameters": [{"name": "lr", "parameterType": "double",
                                    "feasibleSpace": {"min": "0.0001", "max": "0.1"}}]}
    state = ExperimentState(workdir / name / "state.db")
    state.init_experiment(name, "default", spec)
    names = [f"{name}-t{i:03d}" for i in range(n)]
    state.add_trials([(t, (assignments(i) if assignments else {"lr": repr(0.0001 + i * 0.000123456789)}), {}, None)
                      for i, t in enumerate(names)])
    for i, t in enumerate(names):
        value = 0.5 + i * 0.00123456789
        if message and i % 2:
            state.finish(t, "Failed", reason="TrialFailed", message=message, exit_code=2, objective=None,
                         observation={})
        else:
            state.finish(t, "Succeeded", reason="TrialSucceeded", message="", exit_code=0, objective=value,
                         observation={"accuracy": {"min": str(value), "max": str(value), "latest": repr(value)}})
    state.close()
    if annotations:
        (workdir / name / "annotations.json").write_text(json.dumps(annotations))
    return workdir / name
