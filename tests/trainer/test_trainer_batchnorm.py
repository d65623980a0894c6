"""BatchNorm statistics at low budgets: precise BN before each evaluation, BN momentum, DDP."""

from __future__ import annotations

import json
import re

import pytest
import torch
from torch import nn

from trainer.batchnorm import bn_layers, chosen_momentum, recompute_statistics, set_momentum
from trainer.batches import BatchPrep

pytestmark = pytest.mark.usefixtures("one_thread")
PREP = BatchPrep(torch.device("cpu"), (0.5, 0.5), (0.25, 0.25), False, None)


class BNNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(2, 4, 3)
        self.drop = nn.Dropout(0.5)
        self.bn = nn.BatchNorm2d(4, momentum=0.01)
        self.head = nn.Linear(4, 3)

    def forward(self, x):
        return self.head(self.bn(self.drop(self.conv(x))).mean((2, 3)))


def _batches(n, seed=0):
    g = torch.Generator().manual_seed(seed)
    return [(torch.randint(0, 256, (6, 2, 8, 8), dtype=torch.uint8, generator=g), torch.zeros(6)) for _ in range(n)]


class RandomLoader:
    """Batches drawn from the global RNG as it is (augmentation in the main process draws from it)."""

    def __iter__(self):
        for _ in range(5):
            yield torch.randint(0, 256, (6, 2, 8, 8), dtype=torch.uint8), torch.zeros(6)


def test_statistics_are_the_average_over_the_batches_with_dropout_off():
    torch.manual_seed(0)
    model = BNNet()
    model.bn.num_batches_tracked.fill_(7)
    batches = _batches(5)
    assert recompute_statistics(model, batches, 3, PREP) == 3
    with torch.no_grad():
        feats = [model.conv(PREP.images(x)) for x, _ in batches[:3]]   # dropout skipped, as at evaluation
    mean = torch.stack([f.mean((0, 2, 3)) for f in feats]).mean(0)
    var = torch.stack([f.transpose(0, 1).flatten(1).var(1, unbiased=True) for f in feats]).mean(0)
    assert torch.allclose(model.bn.running_mean, mean, atol=1e-5)
    assert torch.allclose(model.bn.running_var, var, atol=1e-4)
    assert model.bn.momentum == 0.01 and int(model.bn.num_batches_tracked) == 7 and model.training


def test_training_rng_is_left_as_it_was():
    model = BNNet()
    torch.manual_seed(5)
    assert recompute_statistics(model, RandomLoader(), 4, PREP) == 4   # the loader draws from the global RNG
    after = torch.rand(3)
    torch.manual_seed(5)
    assert torch.equal(after, torch.rand(3))


def test_nothing_changes_without_batchnorm_or_when_off():
    plain = nn.Sequential(nn.Flatten(), nn.Linear(128, 3))
    assert recompute_statistics(plain, _batches(2), 10, PREP) == 0
    model = BNNet()
    before = model.bn.running_mean.clone()
    assert recompute_statistics(model, _batches(2), 0, PREP) == 0
    assert torch.equal(model.bn.running_mean, before)


def test_momentum_rules():
    assert chosen_momentum(None, "efficientnet", None) == 0.1            # from scratch: PyTorch's default
    assert chosen_momentum(None, "efficientnet", "tf_weights.pt") is None  # TF-ported weights keep 0.01
    assert chosen_momentum(0.3, "efficientnet", "tf_weights.pt") == 0.3
    assert chosen_momentum(None, "blocks", None) is None
    from trainer.models import create_model
    model = create_model("efficientnet-b0", 10, image_size=32)
    assert all(m.momentum == pytest.approx(0.01) for m in bn_layers(model))   # efficientnet-pytorch's TF value
    assert set_momentum(model, 0.1) == len(bn_layers(model)) > 40
    assert {m.momentum for m in bn_layers(model)} == {0.1}


def _ddp_rank(rank: int, init_file: str, out: str) -> None:
    import torch.distributed as tdist
    tdist.init_process_group("gloo", init_method=f"file://{init_file}", rank=rank, world_size=2)
    try:
        torch.manual_seed(0)
        model = BNNet()   # same weights on both ranks, different batches
        used = recompute_statistics(model, _batches(4, seed=rank), 4, PREP)
        torch.save({"mean": model.bn.running_mean, "var": model.bn.running_var, "used": used}, f"{out}/rank{rank}.pt")
    finally:
        tdist.destroy_process_group()


def _two_gloo_ranks(target, tmp_path) -> None:
    """Run target(rank, init_file, out_dir) in 2 processes that form a gloo group; both must succeed."""
    import multiprocessing
    ctx = multiprocessing.get_context("fork")   # the children reuse this process's imports: ~1 s, not ~20
    procs = [ctx.Process(target=target, args=(r, str(tmp_path / "init"), str(tmp_path))) for r in (0, 1)]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(120)
    assert [proc.exitcode for proc in procs] == [0, 0]


def test_ddp_ranks_share_the_average_of_their_statistics(tmp_path):
    _two_gloo_ranks(_ddp_rank, tmp_path)
    r0, r1 = (torch.load(tmp_path / f"rank{r}.pt", weights_only=True) for r in (0, 1))
    assert r0["used"] == r1["used"] == 4
    assert torch.equal(r0["mean"], r1["mean"]) and torch.equal(r0["var"], r1["var"])
    per_rank = []
    for rank in (0, 1):
        torch.manual_seed(0)
        model = BNNet()
        recompute_statistics(model, _batches(4, seed=rank), 4, PREP)
        per_rank.append((model.bn.running_mean, model.bn.running_var))
    assert not torch.allclose(per_rank[0][0], per_rank[1][0])     # the ranks did see different batches
    assert torch.allclose(r0["mean"], (per_rank[0][0] + per_rank[1][0]) / 2, atol=1e-6)
    assert torch.allclose(r0["var"], (per_rank[0][1] + per_rank[1][1]) / 2, atol=1e-5)


@pytest.fixture(scope="module")
def digits32(tmp_path_factory):
    from trainer.data import write_digits
    out = tmp_path_factory.mktemp("digits32") / "digits"
    write_digits(out, image_size=32, seed=0)
    return out


@pytest.mark.slow
def test_efficientnet_from_scratch_evaluates_correctly_after_a_few_epochs(run_cli, digits32, tmp_path):
    """The issue's run: validation accuracy was 0.097 (chance) at every epoch before precise BN."""
    res = run_cli("train", "--data", digits32, "--model", "efficientnet-b0", "--image-size", "32", "--epochs", "3",
                  "--lr", "0.05", "--optimizer", "sgd", "--momentum", "0.9", "--batch-size", "64", "--threads", "1",
                  "--no-tensorboard", "--out", tmp_path / "e")
    assert res.rc == 0, res.err
    assert "momentum 0.1, precise BN on 10 batches" in res.err
    accuracies = [float(re.search(r" accuracy=(\S+)", line).group(1)) for line in res.metric_lines()]
    assert len(accuracies) == 3 and max(accuracies) >= 0.6, accuracies
    summary = json.loads((tmp_path / "e" / "summary.json").read_text())
    assert summary["best"]["value"] == pytest.approx(max(accuracies), abs=1e-5)


@pytest.mark.parametrize("args, message", [
    (["--precise-bn-batches", "-1"], "precise_bn_batches: must be 0 (off) or a positive number of batches"),
    (["--bn-momentum", "1.5"], "bn_momentum: must be in (0, 1]"),
])
def test_bad_batchnorm_options_are_refused(args, message):
    from trainer.config import build_config, parse_cli
    from trainer.errors import ConfigError
    with pytest.raises(ConfigError) as info:
        build_config(parse_cli(args).assignments)
    assert message in str(info.value)


class TwoBN(nn.Module):
    """BatchNorm layers of different sizes and kinds: the fused all-reduce must put each part back in place."""

    def __init__(self):
        super().__init__()
        self.a, self.b, self.c = nn.BatchNorm2d(4), nn.BatchNorm1d(7), nn.BatchNorm2d(1)


def _per_buffer_average(layers, world):
    """The former average_over_ranks: one all-reduce per buffer (the reference)."""
    import torch.distributed as tdist
    for m in layers:
        for buf in (m.running_mean, m.running_var):
            tdist.all_reduce(buf, op=tdist.ReduceOp.SUM)
            buf.div_(world)


def _fused_rank(rank: int, init_file: str, out: str) -> None:
    import torch.distributed as tdist

    import trainer.batchnorm as bn
    tdist.init_process_group("gloo", init_method=f"file://{init_file}", rank=rank, world_size=2)
    try:
        g = torch.Generator().manual_seed(10 + rank)            # each rank its own statistics
        fused, reference = TwoBN(), TwoBN()
        for model in (fused, reference):
            for m in bn_layers(model):
                m.running_mean.copy_(torch.randn(m.running_mean.shape, generator=g) * 3)
                m.running_var.copy_(torch.rand(m.running_var.shape, generator=g) + 0.1)
            g.manual_seed(10 + rank)                            # the same values in both copies
        calls = []
        real = bn.dist.all_reduce_sum
        bn.dist.all_reduce_sum = lambda t: calls.append(t.numel()) or real(t)
        bn.average_over_ranks(bn_layers(fused))
        bn.dist.all_reduce_sum = real
        _per_buffer_average(bn_layers(reference), 2)
        torch.save({"fused": fused.state_dict(), "reference": reference.state_dict(), "calls": calls},
                   f"{out}/fused{rank}.pt")
    finally:
        tdist.destroy_process_group()


def test_fused_all_reduce_gives_the_per_buffer_statistics(tmp_path):
    _two_gloo_ranks(_fused_rank, tmp_path)
    r0, r1 = (torch.load(tmp_path / f"fused{r}.pt", weights_only=True) for r in (0, 1))
    assert r0["calls"] == r1["calls"] == [2 * (4 + 7 + 1)]      # one all-reduce for every buffer of every layer
    for key, ref in r0["reference"].items():
        assert torch.equal(r0["fused"][key], ref), key
        assert torch.equal(r1["fused"][key], ref), key        # every rank holds the same average
    assert not torch.equal(r0["fused"]["a.running_mean"], torch.zeros(4))


class CountingImages(torch.utils.data.Dataset):
    """Image i is filled with i % 256; every index asked for is recorded in a file (workers included)."""

    def __init__(self, n: int, log: str):
        self.n, self.log = n, log

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        with open(self.log, "a", encoding="utf-8") as fh:
            fh.write(f"{i}\n")
        return torch.full((2, 8, 8), i % 256, dtype=torch.uint8), 0


@pytest.mark.parametrize("workers", [0, 2])
def test_first_batches_fetch_only_the_batches_precise_bn_uses(tmp_path, workers):
    from torch.utils.data import DataLoader

    from trainer.loaders import EpochSampler, FirstBatches
    log = tmp_path / "asked.txt"
    sampler = EpochSampler(60, seed=3)
    extra = dict(persistent_workers=True, prefetch_factor=4) if workers else {}   # as build_loaders
    loader = DataLoader(CountingImages(60, str(log)), batch_size=5, sampler=sampler, drop_last=True,
                        num_workers=workers, **extra)
    sampler.set_epoch(2)
    full = [x for x, _ in loader]                                  # the epoch, as training sees it
    log.write_text("")
    model = BNNet()
    assert recompute_statistics(model, FirstBatches(loader, sampler, 3), 3, PREP) == 3
    assert sampler.limit is None and len(loader) == 12            # the training epoch is whole again
    assert len([x for x, _ in loader]) == 12                      # (it waits for any batch still in flight)
    asked = [int(v) for v in log.read_text().split()]
    # 3 batches of 5 and not one more (breaking out of the loader itself: 8 more with 2 workers)
    assert sorted(asked[:-60]) == sorted(list(sampler)[:15]) and sorted(asked[-60:]) == list(range(60))
    used = [x for x, _ in FirstBatches(loader, sampler, 3)]
    assert len(used) == 3 and all(torch.equal(a, b) for a, b in zip(used, full))   # the epoch's first batches
