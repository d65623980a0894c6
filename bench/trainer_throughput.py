"""Training throughput on CPU: our trainer vs a seed-style loop, same model, same data, one process.

Seed-style loop (what seeds 000-002 did): torchvision ImageFolder, PIL decode of every image in every
epoch, Resize + ToTensor + Normalize per image, a default DataLoader (no workers, as seed 000's `-j 0`),
fp32, train then validate each epoch. Ours: the trainer (`python -m trainer train`: decoded uint8
cache, batched reads, normalisation per batch, thread settings), augmentation off like the seed loop.

Throughput = training images / wall time of one epoch (train + validation pass). The two loops run
their epochs alternately (ours continues with --resume after each epoch), so both see the same
machine load; the first epoch of each is a warm-up; img/s are medians of epochs 2..N and the ratio is
the median of the per-epoch-pair ratios.
Our one-off data preparation (decode cache) is reported separately. `--compile` adds a straight
run of ours with torch.compile (its compile time lands in epoch 1).

`--hot-paths` measures instead the trainer's hot-path fixes against the code they replaced, both in
this process, alternated (the old code is selected only here, by patching it in for the "old" runs):
normalize_batch per call (scale/offset tensors built per batch vs once), training img/s of a tiny
`cells` model on 16 px digits with precise BN off (normalize old vs new), the epoch time with precise BN
on and 2 DataLoader workers (breaking out of the train loader vs Loaders.first_batches), and the
averaging of efficientnet-b0's BatchNorm statistics over 2 gloo ranks (one all-reduce per buffer vs one
in all). Medians of `--repeats` runs; ratio = new / old time (below 1: faster).

    .venv/bin/python bench/trainer_throughput.py [--models efficientnet-b0,mobilenet_v3_small,yaml:example]
        [--image-size 32] [--source-size 128] [--epochs 4] [--batch-size 64] [--compile] [--data DIR]
    .venv/bin/python bench/trainer_throughput.py --hot-paths [--repeats 5] [--epochs 3] [--batch-size 32]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")   # same setting for both loops (see trainer/__main__.py)
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402


def split_model(spec: str) -> tuple[str, dict]:
    """`yaml:NAME` -> ('yaml', {'config': NAME}); other names have no kwargs."""
    name, _, block_config = spec.partition(":")
    return name, ({"config": block_config} if block_config else {})


class SeedLoop:
    """The seeds' loop, one epoch per call."""

    def __init__(self, data: Path, model_spec: str, image_size: int, batch_size: int, lr: float):
        from torch.utils.data import DataLoader
        from torchvision import datasets, transforms

        from trainer.models import create_model
        tf = transforms.Compose([transforms.Resize((image_size, image_size)), transforms.ToTensor(),
                                 transforms.Normalize((0.5, 0.5, 0.5), (0.5, 0.5, 0.5))])
        train = datasets.ImageFolder(str(data / "train"), transform=tf)
        val = datasets.ImageFolder(str(data / "val"), transform=tf)
        self.train_loader = DataLoader(train, batch_size=batch_size, shuffle=True, drop_last=True)
        self.val_loader = DataLoader(val, batch_size=batch_size)
        self.images = len(self.train_loader) * batch_size
        torch.manual_seed(0)
        name, kwargs = split_model(model_spec)
        self.model = create_model(name, len(train.classes), image_size=image_size, **kwargs)
        self.opt = torch.optim.SGD(self.model.parameters(), lr=lr, momentum=0.9)

    def epoch(self) -> float:
        import torch.nn.functional as F
        t0 = time.perf_counter()
        self.model.train()
        for x, y in self.train_loader:
            loss = F.cross_entropy(self.model(x), y)
            self.opt.zero_grad()
            loss.backward()
            self.opt.step()
        self.model.eval()
        with torch.no_grad():
            for x, y in self.val_loader:
                self.model(x).argmax(1).eq(y).sum().item()
        return self.images / (time.perf_counter() - t0)


class OurLoop:
    """Our trainer, one epoch per call (the first call starts the run, later ones --resume it)."""

    def __init__(self, data: Path, model_spec: str, image_size: int, batch_size: int, lr: float, epochs: int,
                 out: Path, extra: list[str]):
        name, kwargs = split_model(model_spec)
        self.argv = (["--blocks.config", kwargs["config"]] if kwargs else []) + [
            "--data", str(data), "--model", name, "--image-size", str(image_size), "--epochs", str(epochs),
            "--batch-size", str(batch_size), "--lr", str(lr), "--optimizer", "sgd", "--momentum", "0.9",
            "--augment", "none", "--no-tensorboard", "--out", str(out), "--metrics-file", str(out / "m.jsonl"),
            "--metrics-format", "json", "--cache-dir", str(out / "cache"), "--device", "cpu", *extra]
        self.out, self.batch_size, self.calls = out, batch_size, 0
        self.prep_seconds: float | None = None

    def _trainer(self, argv: list[str]):
        from trainer.cli import resolve_train_config
        from trainer.config import parse_cli
        from trainer.train import Trainer
        cfg, ckpt = resolve_train_config(parse_cli(argv))
        trainer = Trainer(cfg, ckpt)
        prepare = trainer._prepare_data

        def timed_prepare():   # time the data preparation (decode cache on the first call) and count images
            t0 = time.perf_counter()
            bundle = prepare()
            if self.prep_seconds is None:
                self.prep_seconds = time.perf_counter() - t0
            self.images = len(bundle.train) // self.batch_size * self.batch_size   # drop_last, like the seed loop
            return bundle

        trainer._prepare_data = timed_prepare
        return trainer

    def _rates(self) -> list[float]:
        rows = [json.loads(x) for x in (self.out / "m.jsonl").read_text().splitlines()]
        return [self.images / float(r["epoch_time"]) for r in rows if "epoch_time" in r]

    def epoch(self) -> float:
        argv = self.argv + ["--stop-after-epochs", "1"]
        if self.calls:
            argv += ["--resume", str(self.out)]
        self.calls += 1
        with contextlib.redirect_stdout(io.StringIO()):
            self._trainer(argv).run()
        return self._rates()[-1]

    def run_all(self) -> list[float]:
        with contextlib.redirect_stdout(io.StringIO()):
            self._trainer(self.argv).run()
        return self._rates()


def steady(rates: list[float]) -> float:
    return statistics.median(rates[1:] if len(rates) > 1 else rates)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--models", default="efficientnet-b0,mobilenet_v3_small,yaml:example",
                   help="comma-separated; `yaml:NAME` is a block network (NAME: file or bundled example; "
                        "`example` is the lecture's CIFAR tutorial CNN, seed 003)")
    p.add_argument("--image-size", type=int, default=32, help="training input size")
    p.add_argument("--source-size", type=int, default=None,
                   help="size the digits PNGs are written at (default: image size); larger sources make the "
                        "seed loop resize every image every epoch, as the seeds did with their photos")
    p.add_argument("--epochs", type=int, default=4)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--lr", type=float, default=0.01)
    p.add_argument("--compile", action="store_true", help="also a straight run of ours with torch.compile")
    p.add_argument("--data", default=None, help="ImageFolder with train/ and val/ (default: digits in a temp dir)")
    p.add_argument("--hot-paths", action="store_true", help="old vs new hot paths (see above) instead")
    p.add_argument("--repeats", type=int, default=5, help="--hot-paths: runs of each side")
    args = p.parse_args()
    if args.hot_paths:
        run_hot_paths(args)
        return
    with tempfile.TemporaryDirectory(prefix="trainer-bench-") as tmp:
        data = Path(args.data) if args.data else Path(tmp) / "digits"
        if not args.data:
            from trainer.data import write_digits
            write_digits(data, image_size=args.source_size or args.image_size)
        print(f"device cpu, torch {torch.__version__}, {torch.get_num_threads()} threads, "
              f"load average {os.getloadavg()[0]:.1f}, data {data} ({args.source_size or args.image_size} px "
              f"sources), trained at {args.image_size} px, batch {args.batch_size}, {args.epochs} epochs "
              "alternating (median of epochs 2..N)")
        for spec in args.models.split(","):
            seed = SeedLoop(data, spec, args.image_size, args.batch_size, args.lr)
            ours = OurLoop(data, spec, args.image_size, args.batch_size, args.lr, args.epochs,
                           Path(tmp) / f"run-{spec}", [])
            seed_rates, our_rates = [], []
            for _ in range(args.epochs):
                seed_rates.append(seed.epoch())
                our_rates.append(ours.epoch())
            s, o = steady(seed_rates), steady(our_rates)
            # ratio of each epoch pair (run back to back, so under similar load), median over epochs 2..N
            ratio = steady([b / a for a, b in zip(seed_rates, our_rates)])
            print(f"{spec}: seed-style {s:.1f} img/s | ours {o:.1f} img/s | ratio {ratio:.2f}x  "
                  f"(per epoch seed {[round(r, 1) for r in seed_rates]}, ours {[round(r, 1) for r in our_rates]}; "
                  f"our one-off data preparation incl. decode cache {ours.prep_seconds:.1f} s)")
            if args.compile:
                compiled = OurLoop(data, spec, args.image_size, args.batch_size, args.lr, args.epochs,
                                   Path(tmp) / f"run-{spec}-compile", ["--compile"]).run_all()
                print(f"{spec}: ours+compile {steady(compiled):.1f} img/s, {steady(compiled) / s:.2f}x the seed loop "
                      f"(per epoch {[round(r, 1) for r in compiled]}; epoch 1 includes compiling)")


# ---- --hot-paths: the trainer's hot-path fixes vs the code they replaced, alternated in this process ----

def old_normalize_batch(x: torch.Tensor, mean, std) -> torch.Tensor:
    """trainer.data.normalize_batch before the fix: scale and offset tensors built for every batch."""
    shape = (-1, 1, 1)
    scale = torch.tensor([255.0 * s for s in std], dtype=torch.float32, device=x.device).view(shape)
    offset = torch.tensor([255.0 * m for m in mean], dtype=torch.float32, device=x.device).view(shape)
    return (x.to(torch.float32) - offset).div_(scale)


def old_average_over_ranks(layers) -> None:
    """trainer.batchnorm.average_over_ranks before the fix: one all-reduce per buffer."""
    from trainer import distributed as dist
    for m in layers:
        for buf in (m.running_mean, m.running_var):
            dist.all_reduce_sum(buf)
            buf.div_(dist.world_size())


@contextlib.contextmanager
def old_paths(old: bool):
    """Inside, with old=True: the former normalize_batch, and precise BN iterating the train loader itself
    (breaking out after its batches) instead of Loaders.first_batches."""
    import trainer.data
    import trainer.loaders
    saved = trainer.data.normalize_batch, trainer.loaders.Loaders.first_batches
    if old:
        trainer.data.normalize_batch = old_normalize_batch       # trainer.batches looks it up per call
        trainer.loaders.Loaders.first_batches = lambda self, count: self.train
    try:
        yield
    finally:
        trainer.data.normalize_batch, trainer.loaders.Loaders.first_batches = saved


def compare(label: str, unit: str, old: list[float], new: list[float], scale: float = 1.0) -> None:
    """Median of each side (smaller is better) and new/old; the spread shows how noisy the machine was."""
    mo, mn = statistics.median(old), statistics.median(new)
    print(f"  {label}: old {mo * scale:.4g} {unit} | new {mn * scale:.4g} {unit} | new/old {mn / mo:.3f}  "
          f"(old {min(old) * scale:.4g}..{max(old) * scale:.4g}, new {min(new) * scale:.4g}..{max(new) * scale:.4g}, "
          f"{len(old)} runs each)")


def bench_normalize(repeats: int, batch_size: int) -> None:
    from trainer.data import normalize_batch
    x = torch.randint(0, 256, (batch_size, 3, 16, 16), dtype=torch.uint8)
    mean, std = (0.3, 0.3, 0.3), (0.4, 0.4, 0.4)
    assert torch.equal(old_normalize_batch(x, mean, std), normalize_batch(x, mean, std))
    calls, sides = 2000, {"old": [], "new": []}
    for _ in range(repeats):
        for name, fn in (("old", old_normalize_batch), ("new", normalize_batch)):
            t0 = time.perf_counter()
            for _ in range(calls):
                fn(x, mean, std)
            sides[name].append((time.perf_counter() - t0) / calls)
    compare(f"normalize_batch, one [{batch_size}, 3, 16, 16] uint8 batch, CPU", "us/call",
            sides["old"], sides["new"], 1e6)


def epoch_times(data: Path, out: Path, epochs: int, batch_size: int, extra: list[str]) -> tuple[list[float], int]:
    """Per-epoch wall times (train + precise BN + validation) of one in-process run of a tiny cells model,
    and the training images an epoch."""
    loop = OurLoop(data, "cells", 16, batch_size, 0.05, epochs, out,
                   ["--cells.n_stages", "2", "--threads", "1", "--cache-dir", str(out.parent / "cache"), *extra])
    with contextlib.redirect_stderr(io.StringIO()):
        loop.run_all()
    rows = [json.loads(x) for x in (out / "m.jsonl").read_text().splitlines()]
    return [float(r["epoch_time"]) for r in rows if "epoch_time" in r], loop.images


def bench_training(data: Path, tmp: Path, args, label: str, extra: list[str], rate: bool) -> None:
    sides: dict[str, list[float]] = {"old": [], "new": []}
    images = 0
    for i in range(args.repeats):
        for name in ("old", "new") if i % 2 == 0 else ("new", "old"):
            with old_paths(name == "old"):
                times, images = epoch_times(data, tmp / f"{name}-{label}-{i}", args.epochs, args.batch_size, extra)
            sides[name].append(steady(times))
    if rate:   # also as images/s (higher is better); the ratio printed stays new/old time
        print(f"  {label}: old {images / statistics.median(sides['old']):.1f} img/s | "
              f"new {images / statistics.median(sides['new']):.1f} img/s ({images} training images an epoch, "
              f"epoch time incl. validation)")
    compare(f"{label}, epoch time (median of epochs 2..{args.epochs})", "s", sides["old"], sides["new"])


def bench_precise_bn_pass(data: Path, tmp: Path, args) -> None:
    """The precise-BN pass alone, on the trainer's own loaders (2 persistent workers, augment base): time
    from its start to the next epoch's first batch (which waits for any batch still in flight), and the
    batches dispatched to the workers (the loader's own count)."""
    from trainer.batchnorm import recompute_statistics
    from trainer.batches import BatchPrep
    from trainer.config import build_config, parse_cli
    from trainer.loaders import build_loaders, prepare_run_data
    from trainer.model_setup import build_model
    cfg = build_config(parse_cli(["--data", str(data), "--model", "cells", "--cells.n_stages", "2", "--image-size",
                                  "16", "--batch-size", str(args.batch_size), "--workers", "2", "--augment", "base",
                                  "--cache-dir", str(tmp / "cache")]).assignments)
    with contextlib.redirect_stderr(io.StringIO()):
        bundle = prepare_run_data(cfg, True)
    loaders = build_loaders(cfg, bundle, torch.device("cpu"), 0, 1)
    model = build_model("cells", len(bundle.classes), {"image_size": 16, "in_channels": 3, "n_stages": 2})
    prep = BatchPrep(torch.device("cpu"), bundle.mean, bundle.std, False, None)
    sides: dict[str, list[float]] = {"old": [], "new": []}
    sent: dict[str, int] = {}
    for epoch in range(2 * args.repeats):
        name = ("old", "new")[epoch % 2]
        loaders.start_epoch(cfg.seed, epoch)
        for _ in loaders.train:          # the training epoch (no model: only the loader matters here)
            pass
        t0 = time.perf_counter()
        source = loaders.train if name == "old" else loaders.first_batches(10)
        recompute_statistics(model, source, 10, prep)
        sent[name] = loaders.train._iterator._send_idx
        loaders.start_epoch(cfg.seed, epoch + 1)
        batches = iter(loaders.train)
        next(batches)
        sides[name].append(time.perf_counter() - t0)
        for _ in batches:
            pass
    print(f"  precise BN pass (10 batches of {args.batch_size}), 2 persistent workers: batches dispatched "
          f"old {sent['old']} | new {sent['new']} (of {len(loaders.train)} an epoch)")
    compare("precise BN pass + the next epoch's first batch", "ms", sides["old"], sides["new"], 1e3)


def _allreduce_rank(rank: int, init_file: str, out: str, rounds: int) -> None:
    import torch.distributed as tdist

    from trainer.batchnorm import average_over_ranks, bn_layers
    from trainer.models import create_model
    torch.set_num_threads(1)
    tdist.init_process_group("gloo", init_method=f"file://{init_file}", rank=rank, world_size=2)
    try:
        layers = bn_layers(create_model("efficientnet-b0", 10, image_size=32))
        times: dict[str, list[float]] = {"old": [], "new": []}
        for _ in range(rounds):
            for name, fn in (("old", old_average_over_ranks), ("new", average_over_ranks)):
                tdist.barrier()
                t0 = time.perf_counter()
                fn(layers)
                times[name].append(time.perf_counter() - t0)
        if rank == 0:
            Path(out).write_text(json.dumps({"layers": len(layers), **times}))
    finally:
        tdist.destroy_process_group()


def bench_allreduce(tmp: Path, rounds: int) -> None:
    import multiprocessing
    ctx = multiprocessing.get_context("fork")
    out = tmp / "allreduce.json"
    procs = [ctx.Process(target=_allreduce_rank, args=(r, str(tmp / "init"), str(out), rounds)) for r in (0, 1)]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(300)
    if [proc.exitcode for proc in procs] != [0, 0] or not out.exists():
        print("  BN all-reduce: the 2 gloo ranks failed")
        return
    res = json.loads(out.read_text())
    compare(f"averaging {res['layers']} BatchNorm layers' statistics over 2 gloo ranks (efficientnet-b0)",
            "ms", res["old"], res["new"], 1e3)


def run_hot_paths(args) -> None:
    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory(prefix="trainer-hot-") as tmp_name:
        tmp = Path(tmp_name)
        data = Path(args.data) if args.data else tmp / "digits"
        if not args.data:
            from trainer.data import write_digits
            write_digits(data, image_size=16, seed=0)
        print(f"hot paths, old vs new alternated; device cpu, torch {torch.__version__}, 1 thread, "
              f"load average {os.getloadavg()[0]:.1f}; cells model (n_stages 2) on 16 px digits, "
              f"batch {args.batch_size}, {args.epochs} epochs a run, {args.repeats} runs a side")
        bench_normalize(args.repeats, args.batch_size)
        bench_training(data, tmp, args, "training, precise BN off, workers 0", [
            "--precise-bn-batches", "0", "--workers", "0"], rate=True)
        bench_training(data, tmp, args, "precise BN on 10 batches, workers 2, augment base", [
            "--precise-bn-batches", "10", "--workers", "2", "--augment", "base"], rate=False)
        bench_precise_bn_pass(data, tmp, args)
        bench_allreduce(tmp, rounds=max(10, 4 * args.repeats))
        print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
