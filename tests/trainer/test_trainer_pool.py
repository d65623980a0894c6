"""The checkpoint pool: a promoted configuration continues a shorter run (multi-fidelity searches)."""

from __future__ import annotations

import json
import re
import threading
from pathlib import Path

import pytest
import torch

from trainer import checkpoint as ck
from trainer.booleans import FALSE_WORDS
from trainer.config import build_config, parse_cli
from trainer.optim import lr_factor_fn
from trainer.pool import ENV, CheckpointPool, config_key, pool_root
from trainer_helpers import fast_args

pytestmark = pytest.mark.usefixtures("one_thread")
STEP_DECAY = ["--deterministic", "--augment", "base", "--optimizer", "sgd", "--lr", "0.05", "--scheduler", "step",
              "--milestones", "2", "--lr-gamma", "0.5", "--metrics-timestamps", "false"]


def _key(*args: str) -> str:
    return config_key(build_config(parse_cli(["--model", "vit", "--data", "data/x", *args]).assignments))


def test_config_key_ignores_budget_and_where_to_run_but_not_what_is_trained():
    base = _key("--lr", "0.01")
    assert base == _key("--lr", "0.01", "--epochs", "27", "--out", "runs/a", "--threads", "1", "--device", "cpu",
                        "--workers", "0", "--checkpoint-pool", "/pool", "--metrics-file", "m.log", "--no-tensorboard",
                        "--stop-after-epochs", "1", "--cache-dir", "/c", "--best-metric", "loss")
    assert base == _key("--learning-rate", "0.01")               # spelling and string values do not matter
    assert _key("--gamma", "0.5") == _key("--lr-gamma", "0.5", "--scheduler", "steplr")   # resolved config
    different = [_key("--lr", "0.02"), _key("--lr", "0.01", "--seed", "1"), _key("--lr", "0.01", "--vit.depth", "2"),
                 _key("--lr", "0.01", "--optimizer", "adam"), _key("--lr", "0.01", "--data", "data/y"),
                 _key("--lr", "0.01", "--batch-size", "32"), _key("--lr", "0.01", "--init-weights", "w.pt")]
    assert len({base, *different}) == len(different) + 1
    assert re.fullmatch(r"[0-9a-f]{24}", base)


def test_pool_location_from_flag_or_environment(monkeypatch):
    cfg = build_config(parse_cli(["--lr", "0.1"]).assignments)
    monkeypatch.delenv(ENV, raising=False)
    assert pool_root(cfg) is None
    monkeypatch.setenv(ENV, "/shared/pool")
    assert str(pool_root(cfg)) == "/shared/pool"
    cfg.checkpoint_pool = "off"
    assert pool_root(cfg) is None
    cfg.checkpoint_pool = "/mine"
    assert str(pool_root(cfg)) == "/mine"


@pytest.mark.parametrize("word", ["", " ", "none", "None", *sorted(FALSE_WORDS), "OFF", " False "])
def test_pool_is_off_for_empty_none_or_a_false_word(monkeypatch, word):
    cfg = build_config(parse_cli(["--lr", "0.1"]).assignments)
    monkeypatch.setenv(ENV, word)
    assert pool_root(cfg) is None                                  # from the environment
    monkeypatch.setenv(ENV, "/shared/pool")
    cfg.checkpoint_pool = word
    assert pool_root(cfg) is None                                  # the flag wins over the environment


def test_pool_takes_any_other_text_as_its_directory(monkeypatch):
    cfg = build_config(parse_cli(["--lr", "0.1"]).assignments)
    for value in ("pool", "./off", "/pool/none", "noname"):
        cfg.checkpoint_pool = value
        assert pool_root(cfg) == Path(value)


def _fake_checkpoint(path, key, epoch):
    ck.save_atomic({"format": ck.FORMAT, "config_key": key, "epoch": epoch, "w": torch.full((2,), float(epoch))}, path)


def test_publish_keeps_the_deepest_even_when_trials_race(tmp_path):
    pool = CheckpointPool(tmp_path / "pool", "k" * 24)
    sources = []
    for epoch in range(1, 9):
        sources.append(tmp_path / f"run{epoch}.pt")
        _fake_checkpoint(sources[-1], pool.key, epoch)
    order = [5, 2, 8, 1, 7, 3, 6, 4]
    threads = [threading.Thread(target=pool.publish, args=(sources[e - 1], e, {"lr": 0.1})) for e in order]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [e for e, _ in pool.entries()] == [8]
    assert sorted(p.name for p in pool.dir.iterdir()) == [".lock", "config.json", "epoch-000008.pt"]   # no temp files
    assert not pool.publish(sources[2], 3, {})                   # shallower than what is there: kept as is
    ckpt, path = pool.find(10)
    assert ckpt["epoch"] == 8 and path.name == "epoch-000008.pt"
    assert pool.find(7) is None                                  # deeper than the budget: start from scratch
    assert json.loads((pool.dir / "config.json").read_text())["key"] == pool.key


def test_find_ignores_a_checkpoint_of_another_configuration(tmp_path):
    pool = CheckpointPool(tmp_path, "a" * 24)
    assert pool.find(5) is None                                  # no directory yet
    pool.dir.mkdir()
    _fake_checkpoint(pool.dir / "epoch-000002.pt", "b" * 24, 2)
    assert pool.find(5) is None


@pytest.fixture(scope="module")
def promoted(tmp_path_factory, digits16, tiny_yaml):
    """A straight 3-epoch run; the same configuration for 1 epoch, then for 3 with the pool; then again."""
    import contextlib
    import io

    from trainer.cli import main
    tmp = tmp_path_factory.mktemp("pool")
    runs = {}
    before = torch.get_num_threads()
    try:
        for name, epochs, pool in (("straight", 3, "off"), ("rung1", 1, tmp / "pool"), ("rung3", 3, tmp / "pool"),
                                   ("again", 3, tmp / "pool")):
            out, err = io.StringIO(), io.StringIO()
            torch.set_num_threads(1)
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                rc = main([str(a) for a in fast_args(digits16, tiny_yaml, tmp / name, *STEP_DECAY, "--epochs",
                                                     str(epochs), "--checkpoint-pool", pool)])
            runs[name] = {"rc": rc, "out": out.getvalue(), "err": err.getvalue(), "dir": tmp / name,
                          "summary": json.loads((tmp / name / "summary.json").read_text()) if rc == 0 else None}
    finally:
        torch.set_num_threads(before)
    runs["pool"] = tmp / "pool"
    return runs


def _epoch_lines(text):
    return [line for line in text.splitlines() if line.startswith("epoch=")]


@pytest.mark.slow
def test_promoted_run_trains_only_the_missing_epochs_and_matches_a_straight_run(promoted):
    straight, rung1, rung3 = promoted["straight"], promoted["rung1"], promoted["rung3"]
    assert straight["rc"] == rung1["rc"] == rung3["rc"] == 0, rung3["err"]
    assert "resumed_from_epoch=0" in rung1["out"].splitlines()
    assert "resumed_from_epoch=1" in rung3["out"].splitlines()
    assert "resumed_from_epoch" not in straight["out"]           # pool off: nothing extra on stdout
    assert [line.split()[0] for line in _epoch_lines(rung3["out"])] == ["epoch=2", "epoch=3"]
    assert rung3["summary"]["epochs_trained"] == 2 and rung3["summary"]["resumed_from_epoch"] == 1
    assert rung1["summary"]["epochs_trained"] == 1 and rung1["summary"]["config_key"] == rung3["summary"]["config_key"]
    # bit-identical to training 3 epochs in one go (the step schedule does not depend on the total)
    drop_time = lambda line: re.sub(r" epoch_time=\S+", "", line)  # noqa: E731
    assert [drop_time(x) for x in _epoch_lines(rung3["out"])] == \
        [drop_time(x) for x in _epoch_lines(straight["out"])[1:]]
    a = torch.load(straight["dir"] / "last.pt", weights_only=True)
    b = torch.load(rung3["dir"] / "last.pt", weights_only=True)
    assert a["epoch"] == b["epoch"] == 3 and a["global_step"] == b["global_step"]
    for key, tensor in a["model"].items():
        assert torch.equal(tensor, b["model"][key]), key
    # the pool keeps the deepest checkpoint only; the promoted run has its own best.pt
    assert [p.name for p in sorted((promoted["pool"] / rung3["summary"]["config_key"]).glob("*.pt"))] == \
        ["epoch-000003.pt"]
    assert (rung3["dir"] / "best.pt").is_file()


@pytest.mark.slow
def test_a_continued_run_can_be_resumed_after_a_kill_from_its_own_directory(promoted):
    again = promoted["again"]["dir"]   # trained nothing: its directory holds the pool checkpoint it continued
    ckpt = torch.load(again / "last.pt", weights_only=True)
    assert ckpt["epoch"] == 3 and ckpt["config_key"] == promoted["rung3"]["summary"]["config_key"]
    assert (again / "best.pt").is_file()


@pytest.mark.slow
def test_a_run_the_pool_already_holds_reports_without_training(promoted):
    again, rung3 = promoted["again"], promoted["rung3"]
    assert again["rc"] == 0, again["err"]
    assert "resumed_from_epoch=3" in again["out"].splitlines()
    assert again["summary"]["epochs_trained"] == 0 and "published" not in again["summary"]
    (line,) = _epoch_lines(again["out"])
    assert line.startswith("epoch=3 ") and float(re.search(r" accuracy=(\S+)", line).group(1)) == pytest.approx(
        float(re.search(r" accuracy=(\S+)", _epoch_lines(rung3["out"])[-1]).group(1)), rel=1e-5)


def test_a_schedule_over_the_total_is_rebuilt_for_the_new_budget(run_cli, digits16, tiny_yaml, tmp_path):
    common = ["--scheduler", "cosine", "--lr", "0.05", "--checkpoint-pool", tmp_path / "pool"]
    first = run_cli(*fast_args(digits16, tiny_yaml, tmp_path / "one", *common, "--epochs", "1"))
    second = run_cli(*fast_args(digits16, tiny_yaml, tmp_path / "two", *common, "--epochs", "2"))
    assert first.rc == second.rc == 0, second.err
    assert "resumed_from_epoch=1" in second.out.splitlines()
    spe = json.loads((tmp_path / "two" / "summary.json").read_text())["final"]
    steps = torch.load(tmp_path / "two" / "last.pt", weights_only=True)["global_step"] // 2
    expected = 0.05 * lr_factor_fn("cosine", epochs=2, steps_per_epoch=steps)(2 * steps - 1)
    assert spe["lr"] == pytest.approx(expected, rel=1e-5)      # the 2-epoch cosine, not the 1-epoch one
