"""predict CSV, ONNX export checked with onnxruntime, and the CLI surface."""

from __future__ import annotations

import csv
import hashlib
import json

import numpy as np
import pytest
import torch

from trainer_helpers import fast_args


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory, digits16, tiny_yaml):
    from trainer.cli import main
    out = tmp_path_factory.mktemp("pe") / "run"
    before = torch.get_num_threads()
    try:
        assert main(fast_args(digits16, tiny_yaml, out, "--epochs", "1", "--optimizer", "adam", "--lr", "0.01")) == 0
    finally:
        torch.set_num_threads(before)
    return out


def test_predict_writes_ids_labels_and_probabilities(run_cli, run_dir, digits16, tmp_path):
    res = run_cli("predict", "--checkpoint", run_dir / "best.pt", "--data", digits16 / "test.csv",
                  "--out", tmp_path / "preds.csv")
    assert res.rc == 0, res.err
    with open(tmp_path / "preds.csv", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["id", "label"] + [f"prob_{i}" for i in range(10)]
    body = rows[1:]
    expected_ids = [line.split(",")[0] for line in (digits16 / "test.csv").read_text().splitlines()[1:]]
    assert [r[0] for r in body] == expected_ids
    probs = np.array([[float(v) for v in r[2:]] for r in body])
    assert np.allclose(probs.sum(axis=1), 1.0, atol=1e-4)
    assert [r[1] for r in body] == [str(i) for i in probs.argmax(axis=1)]
    assert "accuracy against the CSV labels" in res.err


def test_predict_on_a_folder(run_cli, run_dir, digits16, tmp_path):
    res = run_cli("predict", "--checkpoint", run_dir, "--data", digits16 / "test" / "3", "--out", tmp_path / "p.csv")
    assert res.rc == 0, res.err
    rows = (tmp_path / "p.csv").read_text().splitlines()
    assert len(rows) - 1 == len(list((digits16 / "test" / "3").iterdir()))


def test_export_onnx_matches_pytorch(run_cli, run_dir, digits16, tmp_path):
    import onnxruntime as ort

    from trainer import checkpoint as ck
    from trainer.data import InferenceDataset, normalize_batch
    from trainer.predict import model_from_checkpoint

    out = tmp_path / "model"
    res = run_cli("export", "--checkpoint", run_dir / "best.pt", "--out", out, "--verify", "--triton")
    assert res.rc == 0, res.err
    meta = json.loads((out / "metadata.json").read_text())
    assert meta["sha256"] == hashlib.sha256((out / "model.onnx").read_bytes()).hexdigest()
    assert meta["classes"] == [str(i) for i in range(10)] and meta["input"]["shape"] == [-1, 3, 16, 16]
    assert len(meta["input"]["mean"]) == 3 and meta["model"]["name"] == "yaml" and "accuracy" in meta["metrics"]
    assert (out / "1" / "model.onnx").read_bytes() == (out / "model.onnx").read_bytes()
    pbtxt = (out / "config.pbtxt").read_text()
    assert 'name: "model"' in pbtxt and "dims: [ 3, 16, 16 ]" in pbtxt and "dims: [ 10 ]" in pbtxt

    ckpt = ck.load(run_dir / "best.pt")
    model = model_from_checkpoint(ckpt)
    images = InferenceDataset(digits16 / "test" / "7", 16)
    x = normalize_batch(torch.stack([images[i][0] for i in range(5)]), ckpt["mean"], ckpt["std"])
    with torch.no_grad():
        expected = model(x).numpy()
    session = ort.InferenceSession(str(out / "model.onnx"), providers=["CPUExecutionProvider"])
    got = session.run(None, {"input": x.numpy()})[0]
    np.testing.assert_allclose(got, expected, atol=1e-4, rtol=1e-3)


def test_export_bad_checkpoint_is_a_clean_error(run_cli, tmp_path):
    (tmp_path / "x.pt").write_bytes(b"junk")
    res = run_cli("export", "--checkpoint", tmp_path / "x.pt", "--out", tmp_path / "m")
    assert res.rc == 2 and "cannot be loaded safely" in res.err and "Traceback" not in res.err
    res = run_cli("predict", "--checkpoint", tmp_path / "none.pt", "--data", tmp_path, "--out", tmp_path / "p.csv")
    assert res.rc == 2 and "file not found" in res.err


def test_cli_help_and_unknown_command(run_cli, capsys):
    from trainer.cli import main
    assert run_cli("--help").rc == 0
    res = run_cli("train", "--help")
    assert res.rc == 0 and "--vit.depth" in res.out and "--best-metric" in res.out
    for command in ("predict", "export", "data"):
        with pytest.raises(SystemExit) as info:
            main([command, "--help"])
        assert info.value.code == 0
    res = run_cli("fit", "--data", "x")
    assert res.rc == 2 and "unknown command 'fit'" in res.err


def test_data_digits_command(run_cli, tmp_path):
    res = run_cli("data", "digits", "--out", tmp_path / "d", "--image-size", "8")
    assert res.rc == 0, res.err
    assert (tmp_path / "d" / "test.csv").is_file() and len(list((tmp_path / "d" / "train").iterdir())) == 10
