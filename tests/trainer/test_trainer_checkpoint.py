"""Checkpoint files: atomic writes, weights_only loading, RNG state round trip, clear errors."""

from __future__ import annotations

import random

import numpy as np
import pytest
import torch

from trainer import checkpoint as ck
from trainer.errors import CheckpointError

pytestmark = pytest.mark.usefixtures("one_thread")


def test_rng_state_round_trip_is_weights_only_loadable(tmp_path):
    random.seed(1), np.random.seed(2), torch.manual_seed(3)
    state = ck.rng_state()
    ck.save_atomic({"format": ck.FORMAT, "rng": state}, tmp_path / "c.pt")
    expected = (random.random(), np.random.rand(), torch.rand(1).item())
    loaded = torch.load(tmp_path / "c.pt", weights_only=True)
    ck.set_rng_state(loaded["rng"])
    assert (random.random(), np.random.rand(), torch.rand(1).item()) == expected


def test_save_atomic_leaves_no_temp_files_and_replaces(tmp_path):
    ck.save_atomic({"format": ck.FORMAT, "x": torch.ones(2)}, tmp_path / "last.pt")
    ck.save_atomic({"format": ck.FORMAT, "x": torch.zeros(2)}, tmp_path / "last.pt")
    assert [p.name for p in tmp_path.iterdir()] == ["last.pt"]
    assert ck.load(tmp_path)["x"].tolist() == [0, 0]        # a directory resolves to its last.pt


def test_save_failure_keeps_the_previous_file(tmp_path):
    ck.save_atomic({"format": ck.FORMAT, "v": 1}, tmp_path / "last.pt")

    class Unpicklable:
        def __reduce__(self):
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        ck.save_atomic({"format": ck.FORMAT, "v": Unpicklable()}, tmp_path / "last.pt")
    assert ck.load(tmp_path / "last.pt")["v"] == 1
    assert [p.name for p in tmp_path.iterdir()] == ["last.pt"]


def test_load_errors_are_clear(tmp_path):
    with pytest.raises(CheckpointError, match="file not found"):
        ck.load(tmp_path / "missing.pt")
    with pytest.raises(CheckpointError, match="holds no last.pt or best.pt"):
        ck.load(tmp_path)
    torch.save({"state_dict": {"w": torch.ones(1)}}, tmp_path / "plain.pt")
    with pytest.raises(CheckpointError, match="not a kubetune trainer checkpoint.*--init-weights"):
        ck.load(tmp_path / "plain.pt")
    (tmp_path / "junk.pt").write_bytes(b"not a zip")
    with pytest.raises(CheckpointError, match="cannot be loaded safely"):
        ck.load(tmp_path / "junk.pt")


def test_pickled_objects_are_refused(tmp_path):
    import argparse   # any non-allowlisted class: loading it would run pickle's object machinery
    torch.save({"format": ck.FORMAT, "obj": argparse.Namespace(a=1)}, tmp_path / "evil.pt")
    with pytest.raises(CheckpointError, match="weights_only"):
        ck.load(tmp_path / "evil.pt")


def test_compatibility_check_names_every_difference():
    ckpt = {"model_name": "resnet18", "model_kwargs": {"in_channels": 3}, "classes": ["a", "b"], "image_size": 32,
            "channels": 3}
    ck.check_compatible(ckpt, model_name="resnet18", model_kwargs={"in_channels": 3}, classes=["a", "b"],
                        image_size=32, channels=3, source="--resume")
    with pytest.raises(CheckpointError) as info:
        ck.check_compatible(ckpt, model_name="vit", model_kwargs={"in_channels": 3}, classes=["a", "b", "c"],
                            image_size=32, channels=3, source="--resume")
    msg = str(info.value)
    assert "model 'resnet18' in the checkpoint vs 'vit'" in msg and "classes" in msg and "--init-weights" in msg
