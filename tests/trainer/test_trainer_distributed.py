"""DDP: 2 CPU ranks (gloo) launched by torchrun, as a PyTorchJob / TrainJob trial would be."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
import torch

from trainer_helpers import katib_parse

from trainer.distributed import all_reduce_sum, is_main, rank, world_size
from trainer.loaders import EpochSampler


def test_single_process_rank_helpers():
    assert (rank(), world_size(), is_main()) == (0, 1, True)
    assert all_reduce_sum(torch.ones(2)).tolist() == [1, 1]


def test_epoch_sampler_shards_cover_the_data_evenly():
    shards = [list(EpochSampler(10, seed=0, rank=r, world=3)) for r in range(3)]
    assert [len(s) for s in shards] == [4, 4, 4]                 # padded so ranks step together
    assert set(sum(shards, [])) == set(range(10))
    again = [list(EpochSampler(10, seed=0, rank=r, world=3)) for r in range(3)]
    assert shards == again                                      # depends only on seed and epoch
    s = EpochSampler(10, seed=0)
    s.set_epoch(1)
    assert list(s) != list(EpochSampler(10, seed=0))


@pytest.mark.slow
def test_torchrun_two_cpu_ranks(digits16, tiny_yaml, tmp_path):
    out = tmp_path / "ddp"
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONUNBUFFERED": "1"}
    env.pop("RANK", None)
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "2",
           "-m", "trainer", "--config", str(tiny_yaml), "--data", str(digits16), "--image-size", "16",
           "--batch-size", "32", "--epochs", "2", "--augment", "none", "--no-tensorboard", "--out", str(out),
           "--metrics-file", str(out / "metrics.log")]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300, env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    names = ["epoch", "accuracy", "world"]
    epochs = [v for k, v in katib_parse(proc.stdout, names) if k == "epoch"]
    assert epochs == ["1", "2"]                                  # only rank 0 reports
    assert "world size 2" in proc.stderr and proc.stderr.count("done: best") == 1
    ckpt = torch.load(out / "last.pt", weights_only=True)
    assert ckpt["epoch"] == 2 and not any(k.startswith("module.") for k in ckpt["model"])
    assert len((out / "metrics.log").read_text().splitlines()) == 3   # params line + 2 epochs
