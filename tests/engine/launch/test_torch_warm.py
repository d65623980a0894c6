"""Warm workers with torch, torchvision and the trainer imported by the parent (slow: the parent's
import takes seconds; one parent serves the module)."""
from __future__ import annotations

import json
import time

import pytest

from launch_helpers import PY, SCRIPTS, run_one, spec

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def torch_warm(tmp_path_factory):
    from kubetune.engine.launch import WarmLauncher

    launcher = WarmLauncher(tmp_path_factory.mktemp("torch") / "parent.log")
    launcher.messages = []
    sample = spec([PY, "-m", "trainer", "train", "--help"], tmp_path_factory.mktemp("cwd"), {"OMP_NUM_THREADS": "2"})
    assert launcher.prepare(sample, {"kubetune.io/warm-imports": "numpy"}, launcher.messages.append) is None
    info = launcher.parent.wait_ready()
    assert {"torch", "torchvision", "trainer.cli", "numpy"} <= set(info["loaded"]), info
    assert info["unsafe"] is None  # no thread started, CUDA not initialised by the imports
    yield launcher
    launcher.close()


def both(plain, warm, tmp_path, argv, env, gpu_ids=None):
    out = []
    for name, launcher in (("sub", plain), ("warm", warm)):
        d = tmp_path / name
        d.mkdir()
        t = time.perf_counter()
        out.append(run_one(launcher, argv, d, d / "log", env, gpu_ids, timeout=120))
        out[-1].seconds = time.perf_counter() - t
    assert out[1].forked, warm.messages
    return out


def test_the_trainer_runs_warm_as_it_runs_fresh(plain, torch_warm, tmp_path):
    sub, forked = both(plain, torch_warm, tmp_path, [PY, "-m", "trainer", "train", "--help"], {"OMP_NUM_THREADS": "1"})
    assert sub.rc == forked.rc == 0 and forked.log == sub.log and "models:" in sub.log
    assert forked.seconds < sub.seconds


# The parent imported torch for the trainer, whose __main__ sets OMP_WAIT_POLICY=PASSIVE first: a
# plain torch trial forks from it only with the same policy (else it runs as a subprocess).
TORCH_ENV = {"OMP_WAIT_POLICY": "PASSIVE"}


@pytest.mark.parametrize("threads", ["1", "2"])
def test_thread_count_and_cuda_state_match_a_fresh_torch(plain, torch_warm, tmp_path, threads):
    sub, forked = both(plain, torch_warm, tmp_path, [PY, SCRIPTS / "torch_probe.py"],
                       {**TORCH_ENV, "OMP_NUM_THREADS": threads}, gpu_ids=[])
    assert sub.rc == forked.rc == 0, forked.log
    a, b = (json.loads(o.log.splitlines()[0]) for o in (sub, forked))
    for random in ("seed", "rand"):  # seeded from the OS in every fresh process
        assert a.pop(random) != b.pop(random)
    assert b == a and b["threads"] == int(threads) and not b["cuda_initialized"]


def test_each_fork_gets_its_own_random_seeds(torch_warm, tmp_path):
    logs = [run_one(torch_warm, [PY, SCRIPTS / "torch_probe.py"], tmp_path, tmp_path / f"log{i}",
                    {**TORCH_ENV, "OMP_NUM_THREADS": "2"}) for i in range(2)]
    assert all(o.forked for o in logs)
    first, second = ([json.loads(o.log.splitlines()[0])["seed"], o.log.splitlines()[1]] for o in logs)
    assert first[0] != second[0] and first[1] != second[1]  # torch's and numpy's global generators


def test_a_torch_trial_without_the_parents_omp_wait_policy_runs_as_a_subprocess(torch_warm, tmp_path):
    out = run_one(torch_warm, [PY, SCRIPTS / "torch_probe.py"], tmp_path, tmp_path / "log", {"OMP_NUM_THREADS": "1"})
    assert out.rc == 0 and not out.forked
    assert any("OMP_WAIT_POLICY is unset" in m for m in torch_warm.messages)


def test_cuda_in_a_forked_child_sees_only_its_gpus(plain, torch_warm, tmp_path):
    import torch  # the test process may initialise CUDA: it is not the warm parent

    if not torch.cuda.is_available():
        pytest.skip("no CUDA device")
    sub, forked = both(plain, torch_warm, tmp_path, [PY, SCRIPTS / "torch_probe.py"],
                       {**TORCH_ENV, "OMP_NUM_THREADS": "1"}, gpu_ids=["0"])
    a, b = (json.loads(o.log.splitlines()[0]) for o in (sub, forked))
    a.pop("seed"), b.pop("seed"), a.pop("rand"), b.pop("rand")
    assert b == a and b["cuda"] == 1 and b["cvd"] == "0" and b["cuda_initialized"] is False
