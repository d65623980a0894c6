"""`kubetune export NAME --to URI`: the best trial of a cluster Experiment (fake API server) or a given
checkpoint -> ONNX in Triton layout, published with MANIFEST.json; clear errors when the checkpoint
is on a volume this machine does not see, or a different model is already published there."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from katib_objects import condition

from kubetune.cli import main
from kubetune.steps.checkpoints import out_dir_of
from kubetune.steps.experiment import ExperimentSettings, render_experiment

NS, NAME = "team-a", "kt-cells-0a1b2c3d"
TRIALS_DIR = f"/models/kubetune/{NAME}/models"


@pytest.fixture(scope="module")
def checkpoint(digits16, tmp_path_factory) -> Path:
    """A real (tiny) trained checkpoint: 1 epoch of the cells model on 16 px digits."""
    out = tmp_path_factory.mktemp("trained") / "run"
    subprocess.run([sys.executable, "-m", "trainer", "train", f"--data={digits16}", "--model=cells", "--epochs=1",
                    "--image-size=16", "--cells.base-channels=8", "--tensorboard=false", f"--out={out}"],
                   check=True, capture_output=True)
    return out / "best.pt"


def cluster_experiment(fake) -> None:
    doc = render_experiment(ExperimentSettings(name=NAME, namespace=NS, data_path="/datasets/digits",
                                               trials_dir=TRIALS_DIR, model="cells", search_space="basic",
                                               models_pvc="team-models"))
    doc["status"] = {"conditions": [condition("Succeeded", "ExperimentMaxTrialsReached", "done")],
                     "currentOptimalTrial": {"bestTrialName": f"{NAME}-bbb", "parameterAssignments": [],
                                             "observation": {"metrics": [{"name": "accuracy", "latest": "0.9"}]}}}
    fake.put("experiments", doc)
    for trial, acc in (("aaa", "0.8"), ("bbb", "0.9")):
        fake.put("trials", {
            "metadata": {"name": f"{NAME}-{trial}", "namespace": NS, "labels": {"katib.kubeflow.org/experiment": NAME}},
            "spec": {"parameterAssignments": [{"name": "lr", "value": "0.01"}, {"name": "optimizer", "value": "sgd"}]},
            "status": {"conditions": [condition("Succeeded", "TrialSucceeded", "ok")],
                       "observation": {"metrics": [{"name": "accuracy", "min": acc, "max": acc, "latest": acc}]}}})


def test_out_flag_is_found_in_both_spellings():
    assert out_dir_of(["python", "-m", "trainer", "--out=/models/t1", "--epochs=2"]) == "/models/t1"
    assert out_dir_of(["--output", "runs/x", "--lr=0.1"]) == "runs/x"
    assert out_dir_of(["--lr=0.1"]) is None


@pytest.mark.slow
def test_cluster_experiment_best_trial_is_exported_from_a_mapped_claim(fake_api, kubeconfig, checkpoint, tmp_path,
                                                                        capsys):
    cluster_experiment(fake_api)
    models = tmp_path / "models-claim"
    target = models / "kubetune" / NAME / "models" / f"{NAME}-bbb" / "best.pt"
    target.parent.mkdir(parents=True)
    shutil.copy(checkpoint, target)
    store = tmp_path / "store"

    # not mapped: the error says which claim holds it and how to map it
    rc = main(["export", NAME, "-n", NS, "--to", str(store)])
    err = capsys.readouterr().err
    assert rc == 2
    assert (f"checkpoint {TRIALS_DIR}/{NAME}-bbb/best.pt is not on this machine; it is on volume models (claim "
            "team-models) at /models: mount that claim here and pass --set-path /models=LOCAL_DIR") in err

    rc = main(["export", NAME, "-n", NS, "--to", str(store), "--set-path", f"/models={models}", "--prefix", "v1"])
    out = capsys.readouterr().out
    assert rc == 0, out
    manifest = json.loads((store / "v1" / NAME / "MANIFEST.json").read_text())
    assert manifest["metadata"]["trial"] == f"{NAME}-bbb"  # Katib's currentOptimalTrial
    assert manifest["metadata"]["objective"] == pytest.approx(0.9)
    assert {"1/model.onnx", "config.pbtxt", "metadata.json", "model.onnx"} == set(manifest["files"])
    assert str(store / "v1" / NAME) in out


@pytest.mark.slow
def test_export_of_a_checkpoint_refuses_to_replace_a_different_model(checkpoint, tmp_path, capsys):
    store = tmp_path / "store"
    assert main(["export", "digits", "--checkpoint", str(checkpoint), "--to", str(store)]) == 0
    first = (store / "digits" / "MANIFEST.json").read_text()
    capsys.readouterr()
    # another export at the same place (metadata.json records when it was exported): refused
    rc = main(["export", "other", "--checkpoint", str(checkpoint), "--to", str(store), "--model-name", "digits"])
    assert rc == 1 and "already holds a different publish" in capsys.readouterr().err
    assert (store / "digits" / "MANIFEST.json").read_text() == first
    assert main(["export", "other", "--checkpoint", str(checkpoint), "--to", str(store), "--model-name", "digits",
                 "--overwrite"]) == 0
    assert json.loads((store / "digits" / "MANIFEST.json").read_text())["metadata"]["experiment"] == "other"


def test_unknown_local_experiment_lists_what_is_there(tmp_path, capsys):
    (tmp_path / "runs" / "demo").mkdir(parents=True)
    (tmp_path / "runs" / "demo" / "state.db").write_bytes(b"")
    rc = main(["export", "dmeo", "--workdir", str(tmp_path / "runs"), "--to", str(tmp_path / "store")])
    assert rc == 2
    assert "no experiment 'dmeo'" in capsys.readouterr().err and not (tmp_path / "store").exists()


def test_missing_checkpoint_file_is_a_user_error(tmp_path, capsys):
    assert main(["export", "x", "--checkpoint", str(tmp_path / "nope.pt"), "--to", str(tmp_path / "s")]) == 2
    assert "no such file" in capsys.readouterr().err
