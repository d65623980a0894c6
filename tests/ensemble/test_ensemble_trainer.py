"""The real producer: two tiny `python -m trainer` runs predict the digits test split; the ensemble
reads those CSVs with the digits test.csv as labels."""
from __future__ import annotations

import json

import pytest
import torch
import yaml

TINY_NET = {"input_channel": 3, "backbone": [
    [1, "Conv", [16, 3, 1]], [1, "Conv", [32, 3, 2]], [1, "GlobalAvgPool", []], [1, "Flatten", []],
    [1, "Linear", [10]]]}


@pytest.mark.slow
def test_ensemble_over_trainer_predictions(tmp_path, capsys):
    from kubetune.cli import main as kubetune_main
    from trainer.cli import main as trainer_main
    from trainer.data import write_digits

    data = tmp_path / "digits"
    write_digits(data, image_size=16, seed=0)
    cfg = tmp_path / "tiny.yaml"
    cfg.write_text(yaml.safe_dump({"model": "yaml", "blocks": {"config": TINY_NET}}))
    threads = torch.get_num_threads()
    preds, accuracies = [], []
    try:
        for seed in (1, 2):
            run = tmp_path / "runs" / f"trial-{seed}"
            assert trainer_main(["train", "--config", str(cfg), "--data", str(data), "--image-size", "16",
                                 "--batch-size", "64", "--threads", "1", "--no-tensorboard", "--augment", "none",
                                 "--epochs", "1", "--optimizer", "adam", "--lr", "0.01", "--seed", str(seed),
                                 "--out", str(run)]) == 0
            assert trainer_main(["predict", "--checkpoint", str(run / "best.pt"), "--data", str(data / "test.csv"),
                                 "--out", str(run / "preds.csv")]) == 0
            preds.append(run / "preds.csv")
    finally:
        torch.set_num_threads(threads)
    capsys.readouterr()
    assert kubetune_main(["ensemble", "--predictions", *map(str, preds), "--labels", str(data / "test.csv"),
                          "--out", str(tmp_path / "ens.csv"), "-o", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["classes"] == [str(i) for i in range(10)]
    assert report["samples"] == len((data / "test.csv").read_text().splitlines()) - 1
    assert [m["name"] for m in report["members"]] == ["trial-1/preds", "trial-2/preds"]
    for m in report["members"]:
        assert 0.0 <= m["metrics"]["accuracy"] <= 1.0
        assert sum(map(sum, m["metrics"]["confusion_matrix"])) == report["samples"]
    assert (tmp_path / "ens.csv").read_text().splitlines()[0] == "id,label," + ",".join(f"prob_{i}" for i in range(10))
