"""A trial that cannot start is found before the first one runs (issue 13, item 2): exit 2, a
message naming what is missing and the fix, and no trial run (no budget used)."""
from __future__ import annotations

from pathlib import Path

import pytest

from cli_output_helpers import experiment, kubetune, write_experiment


def _trials_run(workdir) -> list[str]:
    trials = workdir / "trials"
    return sorted(p.name for p in trials.iterdir()) if trials.exists() else []


def test_missing_script_is_refused_before_any_trial(tmp_path):
    path = write_experiment(tmp_path, experiment("noscript", command=["python", "train_missing.py"]))
    r = kubetune("run", str(path), "--workdir", str(tmp_path / "runs"))
    assert r.returncode == 2, r.stderr
    assert "python train_missing.py" in r.stderr and "no budget used" in r.stderr
    assert "Traceback" not in r.stderr
    assert _trials_run(tmp_path / "runs" / "noscript") == []


@pytest.mark.slow
def test_script_in_a_mapped_working_dir(tmp_path):
    code = tmp_path / "code"
    code.mkdir()
    raw = experiment("codedir", command=["python", "train.py"], working_dir="/code", trials=1, parallel=1,
                     mounts=[{"name": "code", "mountPath": "/code"}], volumes=[{"name": "code", "emptyDir": {}}])
    path = write_experiment(tmp_path, raw)
    r = kubetune("run", str(path), "--workdir", str(tmp_path / "runs"), "--set-path", f"/code={code}")
    assert r.returncode == 2 and "not a file in the working directory /code" in r.stderr, r.stderr
    assert "--set-path /code=LOCAL_DIR" in r.stderr
    # the same Experiment runs once the script is there
    (code / "train.py").write_text("print('epoch=1 accuracy=0.5 loss=0.5')\n")
    r = kubetune("run", str(path), "--workdir", str(tmp_path / "runs"), "--set-path", f"/code={code}")
    assert r.returncode == 0, r.stderr


@pytest.mark.slow
def test_missing_module_and_missing_mapped_directory(tmp_path):
    raw = experiment("nomodule", command=["python", "-m", "no_such_trial_module"],
                     mounts=[{"name": "data", "mountPath": "/data", "readOnly": True}],
                     volumes=[{"name": "data", "persistentVolumeClaim": {"claimName": "datasets"}}])
    path = write_experiment(tmp_path, raw)
    r = kubetune("run", str(path), "--workdir", str(tmp_path / "runs"), "--set-path", f"/data={tmp_path / 'nope'}")
    assert r.returncode == 2, r.stderr
    assert "python -m no_such_trial_module" in r.stderr  # both problems at once
    assert f"mapped to {tmp_path / 'nope'}, which does not exist" in r.stderr
    assert _trials_run(tmp_path / "runs" / "nomodule") == []
    # an importable module (a submodule too) passes the check
    raw = experiment("jsonmod", command=["python", "-m", "json.tool"], trials=1, parallel=1)
    r = kubetune("run", str(write_experiment(tmp_path, raw)), "--workdir", str(tmp_path / "runs"))
    assert "no module" not in r.stderr and "no budget used" not in r.stderr, r.stderr


@pytest.mark.slow
def test_a_missing_writable_mount_is_created_and_said(tmp_path):
    """An output volume (no readOnly) starts empty on a cluster: locally its directory is made."""
    raw = experiment("outdir", command=["python", "-c", "print('epoch=1 accuracy=0.5 loss=0.5')"], trials=1,
                     parallel=1, mounts=[{"name": "models", "mountPath": "/models"}],
                     volumes=[{"name": "models", "emptyDir": {}}])
    out = tmp_path / "made" / "models"
    r = kubetune("run", str(write_experiment(tmp_path, raw)), "--workdir", str(tmp_path / "runs"),
                 "--set-path", f"/models={out}")
    assert r.returncode == 0, r.stderr
    assert out.is_dir()
    assert f"created {out} for the writable volumeMount models at /models" in r.stdout + r.stderr


@pytest.mark.parametrize("fixture", ["darts.yaml", "enas.yaml", "pbt.yaml"])
def test_a_cluster_only_algorithm_is_refused_naming_kubetune_submit(tmp_path, fixture):
    source = Path(__file__).parents[1] / "experiment" / "data" / fixture
    r = kubetune("run", str(source), "--workdir", str(tmp_path / "runs"))
    assert r.returncode == 2, r.stderr
    assert "not run: spec.algorithm.algorithmName:" in r.stderr and "runs on a Katib cluster only" in r.stderr
    assert "kubetune submit" in r.stderr and "Traceback" not in r.stderr
    assert not (tmp_path / "runs").exists()  # nothing started, no state written


@pytest.mark.parametrize("algorithm, feasible, says", [
    # Katib's optuna service rejects normal/logNormal at suggestion time: the experiment would hang
    ("multivariate-tpe", {"min": "0.0001", "max": "0.1", "distribution": "logNormal"}, "parameter lr"),
    # hyperopt takes ln(min): a logUniform from 0 hangs Katib's random/tpe
    ("random", {"min": "0", "max": "0.1", "distribution": "logUniform"}, "spec.parameters[0].feasibleSpace.min"),
])
def test_a_space_the_katib_service_cannot_sample_is_refused_cleanly(tmp_path, algorithm, feasible, says):
    raw = experiment("unsampled")
    raw["spec"]["algorithm"] = {"algorithmName": algorithm}
    raw["spec"]["parameters"][0]["feasibleSpace"] = feasible
    path = write_experiment(tmp_path, raw)
    r = kubetune("run", str(path), "--workdir", str(tmp_path / "runs"))
    assert r.returncode == 2, r.stderr
    assert "kubetune: error:" in r.stderr and says in r.stderr and "Traceback" not in r.stderr, r.stderr
    assert _trials_run(tmp_path / "runs" / "unsampled") == []
