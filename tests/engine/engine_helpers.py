"""Builders for engine tests: Experiments whose trials are the tiny scripts in tests/engine/trials/."""
from __future__ import annotations

import copy
from pathlib import Path

TRIALS = Path(__file__).parent / "trials"


def experiment(name: str = "exp", *, parameters=None, args=None, algorithm="random", settings=None,
               parallel=2, max_trials=4, max_failed=None, goal=None, objective_type="maximize",
               metric="accuracy", additional=("loss",), script="quadratic.py", collector=None,
               early_stopping=None, retain=True, env=None, deadline=None, trial_parameters=None) -> dict:
    """A Katib Experiment dict whose trials run one of the tiny trial scripts as a Job."""
    parameters = parameters or [
        {"name": "x", "parameterType": "double", "feasibleSpace": {"min": "0.0", "max": "1.0"}},
    ]
    if trial_parameters is None:
        trial_parameters = [{"name": p["name"], "reference": p["name"]} for p in parameters]
    if args is None:
        args = [a for p in parameters for a in (f"--{p['name']}", "${trialParameters.%s}" % p["name"])]
    container = {"name": "training", "image": "python:3.11", "command": ["python", str(TRIALS / script)],
                 "args": list(args)}
    if env:
        container["env"] = env
    job_spec = {"template": {"spec": {"containers": [container], "restartPolicy": "Never"}}}
    if deadline is not None:
        job_spec["activeDeadlineSeconds"] = deadline
    spec = {
        "objective": {"type": objective_type, "objectiveMetricName": metric,
                      "additionalMetricNames": list(additional)},
        "algorithm": {"algorithmName": algorithm,
                      "algorithmSettings": [{"name": k, "value": str(v)} for k, v in (settings or {}).items()]},
        "parallelTrialCount": parallel,
        "parameters": copy.deepcopy(parameters),
        "trialTemplate": {
            "primaryContainerName": "training",
            "retain": retain,
            "trialParameters": trial_parameters,
            "trialSpec": {"apiVersion": "batch/v1", "kind": "Job", "spec": job_spec},
        },
    }
    if max_trials is not None:
        spec["maxTrialCount"] = max_trials
    if max_failed is not None:
        spec["maxFailedTrialCount"] = max_failed
    if goal is not None:
        spec["objective"]["goal"] = goal
    if collector is not None:
        spec["metricsCollectorSpec"] = collector
    if early_stopping is not None:
        spec["earlyStopping"] = early_stopping
    return {"apiVersion": "kubeflow.org/v1beta1", "kind": "Experiment",
            "metadata": {"name": name, "namespace": "default"}, "spec": spec}


def state_rows(db: Path) -> list:
    """Every trial row of a run's state.db, read as `kubetune trials` reads it (read-only)."""
    from kubetune.engine.state import ExperimentState

    st = ExperimentState(db, readonly=True)
    try:
        return st.trials()
    finally:
        st.close()
