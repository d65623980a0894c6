"""`kubetune export NAME --to DIR` on a local run that mapped its volumes with --set-path: export
reuses the run's mappings (remembered in the experiment's state), so the user gives none again."""
from __future__ import annotations

import json

import pytest
import yaml

from kubetune.cli import main


def trainer_experiment(name: str) -> dict:
    container = {
        "name": "training", "image": "ghcr.io/me/kubetune-trainer:1",
        "command": ["python", "-m", "trainer", "train"],
        "args": ["--data=/data/digits", "--model=cells", "--epochs=1", "--image-size=16", "--cells.base-channels=8",
                 "--tensorboard=false", "--lr=${trialParameters.lr}", "--out=/models/${trialParameters.trial}"],
        "env": [{"name": "S3_SECRET", "valueFrom": {"secretKeyRef": {"name": "s3", "key": "secret"}}}],
        "volumeMounts": [{"name": "data", "mountPath": "/data"}, {"name": "models", "mountPath": "/models"}],
    }
    pod = {"containers": [container], "restartPolicy": "Never",
           "volumes": [{"name": "data", "persistentVolumeClaim": {"claimName": "datasets"}},
                       {"name": "models", "persistentVolumeClaim": {"claimName": "team-models"}}]}
    return {
        "apiVersion": "kubeflow.org/v1beta1", "kind": "Experiment",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {
            "objective": {"type": "maximize", "objectiveMetricName": "accuracy"},
            "algorithm": {"algorithmName": "random"},
            "maxTrialCount": 1, "parallelTrialCount": 1,
            "parameters": [{"name": "lr", "parameterType": "double", "feasibleSpace": {"min": "0.01", "max": "0.05"}}],
            "trialTemplate": {
                "primaryContainerName": "training",
                "trialParameters": [{"name": "lr", "reference": "lr"},
                                    {"name": "trial", "reference": "${trialSpec.Name}"}],
                "trialSpec": {"apiVersion": "batch/v1", "kind": "Job", "spec": {"template": {"spec": pod}}},
            },
        },
    }


@pytest.mark.slow
def test_export_reuses_the_runs_path_mappings(digits16, tmp_path, capsys):
    exp = tmp_path / "exp.yaml"
    exp.write_text(yaml.safe_dump(trainer_experiment("mapped")))
    models = tmp_path / "models"
    models.mkdir()
    workdir = str(tmp_path / "runs")
    rc = main(["run", str(exp), "--workdir", workdir, "--set-path", f"/data={digits16.parent}",
               "--set-path", f"/models={models}", "--set-env", "S3_SECRET=dev", "-o", "json"])
    out = capsys.readouterr().out
    assert rc == 0, out
    trial = json.loads(out)["trials"][0]["name"]
    assert (models / trial / "best.pt").is_file()

    store = tmp_path / "store"
    rc = main(["export", "mapped", "--workdir", workdir, "--to", str(store)])  # no --set-path, no --set-env
    captured = capsys.readouterr()
    assert rc == 0, captured.err
    assert f"checkpoint {models / trial / 'best.pt'}" in captured.out
    assert (store / "mapped" / "MANIFEST.json").is_file()

    # an explicit --set-path still wins over the remembered one
    rc = main(["export", "mapped", "--workdir", workdir, "--to", str(tmp_path / "s2"),
               "--set-path", f"/models={tmp_path / 'elsewhere'}"])
    assert rc == 2 and "no best.pt found" in capsys.readouterr().err
