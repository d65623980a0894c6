"""The whole pipeline on kfp.local's SubprocessRunner (search backend local) on tiny digits, through
`kubetune pipeline run --local`: every artifact lands in the printed directory; then
`kubetune export` publishes the same experiment's best trial from its local state."""
from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path

import pytest
import yaml

from kubetune.cli import main


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.slow
def test_local_pipeline_run_produces_every_artifact_and_export_republishes(digits16, tmp_path, capsys):
    out = tmp_path / "run"
    rc = main(["pipeline", "run", "--local", "--data", str(digits16), "--model", "cells", "--trials", "2",
               "--parallel", "2", "--epochs", "1", "--image-size", "16", "--ensemble-size", "2",
               "--algorithm", "random", "--param", "seed=1", "-o", str(out)])
    printed = capsys.readouterr().out
    assert rc == 0, printed[-3000:]
    assert f"outputs in {out}" in printed
    assert "Got executor_input" not in printed  # kfp's JSON dumps go to the log file only
    assert "Got executor_input" in (out / "pipeline.log").read_text()
    assert "start    kt-cells-" in printed  # the steps' own progress lines are shown

    # the model directory: fetched back from the store and verified against its MANIFEST.json
    model = out / "model"
    manifest = json.loads((model / "MANIFEST.json").read_text())
    assert set(manifest["files"]) == {"1/model.onnx", "config.pbtxt", "metadata.json", "model.onnx"}
    for rel, entry in manifest["files"].items():
        assert sha256(model / rel) == entry["sha256"], rel
    metadata = json.loads((model / "metadata.json").read_text())
    assert metadata["classes"] == [str(i) for i in range(10)] and metadata["input"]["image_size"] == 16
    assert 'platform: "onnxruntime_onnx"' in (model / "config.pbtxt").read_text()
    summary = json.loads((out / "summary.json").read_text())
    published = Path(summary["model_uri"])
    assert published.parent.parent == out / "store" and (published / "MANIFEST.json").is_file()
    assert manifest["metadata"]["trial"] == summary["trial"]

    # metrics (what the KFP UI shows) and the confusion matrix, consistent with each other
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["search"]["trials"] == 2 and 0 <= metrics["search"]["best_accuracy"] <= 1
    ensemble = metrics["ensemble"]
    assert {"ensemble_accuracy", "ensemble_macro_f1", "soft_accuracy", "hard_accuracy", "best_member_accuracy",
            "members"} <= set(ensemble)
    rows = list(csv.reader((out / "confusion_matrix.csv").open()))
    assert rows[0] == ["true\\predicted", *[str(i) for i in range(10)]]
    matrix = [[int(v) for v in row[1:]] for row in rows[1:]]
    total = sum(map(sum, matrix))
    assert total == 272  # the digits test split
    assert ensemble["ensemble_accuracy"] == pytest.approx(sum(matrix[i][i] for i in range(10)) / total)
    predictions = list(csv.DictReader((out / "predictions.csv").open()))
    assert len(predictions) == total and {"id", "label", "prob_0", "prob_9"} <= set(predictions[0])

    # the leaderboard and the Experiment the search ran
    board = (out / "leaderboard.md").read_text()
    assert "## Leaderboard" in board and "## Ensemble of the top 2" in board and "Confusion matrix" in board
    assert summary["trial"] in board and str(published) in board
    experiment = yaml.safe_load((out / "experiment.yaml").read_text())
    assert experiment["kind"] == "Experiment" and experiment["spec"]["maxTrialCount"] == 2
    name = experiment["metadata"]["name"]

    # `kubetune export` finds the same best trial in the local state and publishes it elsewhere
    store2 = tmp_path / "store2"
    rc = main(["export", name, "--workdir", str(out / "work"), "--to", str(store2), "--model-name", "digits"])
    printed = capsys.readouterr().out
    assert rc == 0, printed
    again = json.loads((store2 / "digits" / "MANIFEST.json").read_text())
    assert again["metadata"]["trial"] == summary["trial"]
    assert again["files"]["config.pbtxt"]["size"] > 0 and 'name: "digits"' in (store2 / "digits" / "config.pbtxt").read_text()
    # same weights: the ONNX export of the same checkpoint is byte-identical
    assert again["files"]["1/model.onnx"]["sha256"] == manifest["files"]["1/model.onnx"]["sha256"]


def test_run_checks_the_search_settings_before_starting(digits16, tmp_path, capsys):
    out = tmp_path / "run"
    rc = main(["pipeline", "run", "--local", "--data", str(digits16), "--search-space", "cels", "-o", str(out)])
    assert rc == 2
    assert "search_space: 'cels' is not a built-in space" in capsys.readouterr().err
    assert not out.exists()  # nothing started


def test_run_needs_local_and_existing_data(tmp_path, capsys):
    with pytest.raises(SystemExit):
        main(["pipeline", "run", "--data", str(tmp_path)])
    assert "required: --local" in capsys.readouterr().err
    assert main(["pipeline", "run", "--local", "--data", str(tmp_path / "nope")]) == 2
    assert "no such file or directory" in capsys.readouterr().err
