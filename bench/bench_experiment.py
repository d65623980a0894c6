"""What the engine benchmarks share: the Katib Experiment they run (one double parameter x,
random search, a Job whose only container runs `container`, whose args may use
${trialParameters.x}) and the engine run in a child process whose peak RSS is sampled."""
from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path


def job_experiment(name: str, trials: int, parallel: int, container: dict) -> dict:
    return {
        "apiVersion": "kubeflow.org/v1beta1", "kind": "Experiment",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {
            "objective": {"type": "maximize", "objectiveMetricName": "accuracy"},
            "algorithm": {"algorithmName": "random"},
            "maxTrialCount": trials, "parallelTrialCount": parallel, "maxFailedTrialCount": trials,
            "parameters": [{"name": "x", "parameterType": "double", "feasibleSpace": {"min": "0", "max": "1"}}],
            "trialTemplate": {
                "primaryContainerName": "training",
                "trialParameters": [{"name": "x", "reference": "x"}],
                "trialSpec": {"apiVersion": "batch/v1", "kind": "Job",
                              "spec": {"template": {"spec": {"containers": [{"name": "training", **container}],
                                                             "restartPolicy": "Never"}}}},
            },
        },
    }


def run_child_engine(argv: list[str], cwd: Path) -> dict:
    """Run `python <argv>` (a benchmark's --child mode: the engine, which prints one JSON line
    last), sampling its RSS with psutil every 50 ms; that JSON plus `sampled_rss_mb`."""
    import psutil

    proc = subprocess.Popen([sys.executable, *argv], stdout=subprocess.PIPE, text=True, cwd=cwd)
    sampled = 0
    ps = psutil.Process(proc.pid)
    while proc.poll() is None:
        try:
            sampled = max(sampled, ps.memory_info().rss)
        except psutil.Error:
            break
        time.sleep(0.05)
    out, _ = proc.communicate()
    if proc.returncode != 0:
        raise SystemExit(f"engine child exited {proc.returncode}")
    report = json.loads(out.strip().splitlines()[-1])
    report["sampled_rss_mb"] = sampled / 2**20
    return report
