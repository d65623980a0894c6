"""`kubetune run|best|status|trials|export` on an experiment whose objective is reported as text, as
Katib's DARTS example reports `Best-Genotype=Genotype(...)` through the custom StdOut filter
`([\\w-]+)=(Genotype.*)`: the trials are Succeeded, the best is the last one (Katib's pick when no
trial has a number), tables show the text clipped to fit, JSON exact."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from cli_output_helpers import REPO, kubetune, write_experiment

GENOTYPE_TRIAL = REPO / "tests" / "engine" / "trials" / "genotype.py"


def darts_like(name: str, max_trials: int) -> dict:
    """A random search whose trials report their result as a DARTS genotype tagged with the trial's name."""
    return {
        "apiVersion": "kubeflow.org/v1beta1", "kind": "Experiment", "metadata": {"name": name, "namespace": "default"},
        "spec": {
            "objective": {"type": "maximize", "objectiveMetricName": "Best-Genotype"},
            "metricsCollectorSpec": {"collector": {"kind": "StdOut"},
                                     "source": {"filter": {"metricsFormat": [r"([\w-]+)=(Genotype.*)"]}}},
            "algorithm": {"algorithmName": "random", "algorithmSettings": [{"name": "random_state", "value": "1"}]},
            "parallelTrialCount": 1, "maxTrialCount": max_trials, "maxFailedTrialCount": 1,
            "parameters": [{"name": "num-layers", "parameterType": "int", "feasibleSpace": {"min": "1", "max": "3"}}],
            "trialTemplate": {
                "primaryContainerName": "trainer",
                "trialParameters": [{"name": "numberLayers", "reference": "num-layers"},
                                    {"name": "trialName", "reference": "${trialSpec.Name}"}],
                "trialSpec": {"apiVersion": "batch/v1", "kind": "Job", "spec": {"template": {"spec": {
                    "restartPolicy": "Never",
                    "containers": [{"name": "trainer", "image": "python:3.11",
                                    "command": ["python", str(GENOTYPE_TRIAL),
                                                "--num-layers=${trialParameters.numberLayers}",
                                                "--tag=${trialParameters.trialName}"]}]}}}},
            },
        },
    }


def run_json(tmp_path: Path, name: str, max_trials: int) -> tuple[Path, dict]:
    workdir = tmp_path / "w"
    out = kubetune("run", str(write_experiment(tmp_path, darts_like(name, max_trials))), "--workdir", str(workdir),
                   "-o", "json")
    assert out.returncode == 0, out.stderr
    return workdir, json.loads(out.stdout)


@pytest.mark.slow
@pytest.mark.parametrize("max_trials", [1, 2])
def test_a_text_objective_is_the_result_everywhere(tmp_path, max_trials):
    name = f"genotype{max_trials}"
    workdir, run = run_json(tmp_path, name, max_trials)
    trials = run["trials"]
    assert [t["state"] for t in trials] == ["Succeeded"] * max_trials
    last = trials[-1]
    genotype = last["observation"]["Best-Genotype"]["latest"]
    assert genotype.startswith("Genotype(normal=") and genotype.endswith(f"tag='{last['name']}')")
    assert last["objective"] == genotype  # JSON: exact
    assert last["observation"]["Best-Genotype"]["min"] == last["observation"]["Best-Genotype"]["max"] == "unavailable"
    assert run["status"]["currentOptimalTrial"]["bestTrialName"] == last["name"]  # Katib: the last text trial
    where = ("--workdir", str(workdir))

    best = kubetune("best", name, *where, "-o", "json")
    assert best.returncode == 0 and json.loads(best.stdout)["objective"] == genotype
    shown = kubetune("best", name, *where)
    assert shown.returncode == 0 and f"best trial: {last['name']}" in shown.stdout
    assert f"Best-Genotype = {genotype}, maximize" in shown.stdout  # the whole genotype: it is the result
    exact = kubetune("best", name, *where, "--exact")
    assert exact.returncode == 0 and genotype in exact.stdout
    assert f"as flags: --num-layers={last['parameters']['num-layers']}" in exact.stdout

    status = kubetune("status", name, *where, "-o", "json")
    optimal = json.loads(status.stdout)["status"]["currentOptimalTrial"]
    assert optimal["bestTrialName"] == last["name"]
    assert optimal["observation"]["metrics"] == [{"name": "Best-Genotype", "min": "unavailable",
                                                  "max": "unavailable", "latest": genotype}]
    text = kubetune("status", name, *where, columns=100)
    assert text.returncode == 0 and f"best trial           {last['name']}" in text.stdout
    assert "tag='" + last["name"] in text.stdout.replace("\n", " ")

    listed = kubetune("trials", name, *where, "-o", "json")
    assert [t["objective"] for t in json.loads(listed.stdout)][0] == genotype  # best first
    table = kubetune("trials", name, *where, columns=100)
    assert table.returncode == 0
    rows = [ln for ln in table.stdout.splitlines() if "Genotype(normal=" in ln]
    assert len(rows) == max_trials and all(ln.rstrip().endswith("s") for ln in rows)  # the time column fits
    assert all("…" in ln and len(ln) <= 100 for ln in rows)  # the genotype is clipped to fit
    wide = kubetune("trials", name, *where, "-o", "wide", columns=100)
    assert genotype in wide.stdout


@pytest.mark.slow
def test_exporting_a_text_best_looks_up_its_checkpoint(tmp_path):
    """The best trial's parameters are its assignments as for any best: export looks up that trial's
    checkpoint; this trial wrote none, which is said plainly (exit 2, no traceback)."""
    workdir, run = run_json(tmp_path, "genotype-export", 1)
    out = kubetune("export", "genotype-export", "--workdir", str(workdir), "--to", str(tmp_path / "store"))
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert f"trial {run['trials'][0]['name']} of genotype-export: no best.pt found" in out.stderr
