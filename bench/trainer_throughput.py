"""Training throughput on CPU: our trainer vs a seed-style loop, same model, same data, one process.

Seed-style loop (what seeds 000-002 did): torchvision ImageFolder, PIL decode of every image in every
epoch, Resize + ToTensor + Normalize per image, a default DataLoader (no workers), fp32, train then
validate each epoch. Ours: `python -m trainer train` (decoded uint8 cache, normalisation per batch,
thread settings), with augmentation off like the seed loop.

Throughput = training images / wall time of one epoch (train + validation pass), for epochs 2..N
(the first epoch warms up allocators and caches); our one-off cache build is reported separately.

    .venv/bin/python bench/trainer_throughput.py [--models efficientnet-b0,mobilenet_v3_small,yaml:example]
        [--image-size 32] [--epochs 3] [--batch-size 64] [--data DIR]
"""

from __future__ import annotations

import argparse
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


def seed_style(data: Path, model_name: str, image_size: int, epochs: int, batch_size: int, lr: float) -> list[float]:
    """Per-epoch train images/s of the seeds' loop."""
    import torch.nn.functional as F
    from torch.utils.data import DataLoader
    from torchvision import datasets, transforms

    from trainer.models import create_model
    tf = transforms.Compose([transforms.Resize((image_size, image_size)), transforms.ToTensor(),
                             transforms.Normalize((0.5, 0.5, 0.5), (0.5, 0.5, 0.5))])
    train = datasets.ImageFolder(str(data / "train"), transform=tf)
    val = datasets.ImageFolder(str(data / "val"), transform=tf)
    train_loader = DataLoader(train, batch_size=batch_size, shuffle=True, drop_last=True)
    val_loader = DataLoader(val, batch_size=batch_size)
    torch.manual_seed(0)
    name, _, block_config = model_name.partition(":")
    kwargs = {"config": block_config} if block_config else {}
    model = create_model(name, len(train.classes), image_size=image_size, **kwargs)
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    rates = []
    for _ in range(epochs):
        t0 = time.perf_counter()
        model.train()
        for x, y in train_loader:
            loss = F.cross_entropy(model(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
        model.eval()
        with torch.no_grad():
            for x, y in val_loader:
                model(x).argmax(1).eq(y).sum().item()
        rates.append(len(train_loader) * batch_size / (time.perf_counter() - t0))
    return rates


def ours(data: Path, model_name: str, image_size: int, epochs: int, batch_size: int, lr: float,
         out: Path, extra: list[str]) -> tuple[list[float], float]:
    """Per-epoch train images/s of our trainer, and the seconds spent preparing data (cache build)."""
    import contextlib
    import io

    from trainer.config import build_config, parse_cli
    from trainer.train import Trainer
    name, _, block_config = model_name.partition(":")
    argv = ["--blocks.config", block_config] if block_config else []
    argv += ["--data", str(data), "--model", name, "--image-size", str(image_size), "--epochs", str(epochs),
            "--batch-size", str(batch_size), "--lr", str(lr), "--optimizer", "sgd", "--momentum", "0.9",
            "--augment", "none", "--no-tensorboard", "--out", str(out), "--metrics-file", str(out / "m.jsonl"),
            "--metrics-format", "json", "--cache-dir", str(out / "cache"), "--device", "cpu", *extra]
    cfg = build_config(parse_cli(argv).assignments)
    trainer = Trainer(cfg)
    prepare, seen = trainer._prepare_data, {}

    def timed_prepare():   # time the one-off data preparation (decode cache) and count train images
        t0 = time.perf_counter()
        bundle = prepare()
        seen.update(seconds=time.perf_counter() - t0, train=len(bundle.train))
        return bundle

    trainer._prepare_data = timed_prepare
    with contextlib.redirect_stdout(io.StringIO()):
        trainer.run()
    rows = [json.loads(line) for line in (out / "m.jsonl").read_text().splitlines()]
    per_epoch = seen["train"] // batch_size * batch_size      # drop_last, like the seed loop
    return [per_epoch / float(r["epoch_time"]) for r in rows if "epoch_time" in r], seen["seconds"]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--models", default="efficientnet-b0,mobilenet_v3_small,yaml:example",
                   help="comma-separated; `yaml:NAME` is a block network (NAME: file or bundled example; "
                        "`example` is the lecture's CIFAR tutorial CNN, seed 003)")
    p.add_argument("--image-size", type=int, default=32, help="training input size")
    p.add_argument("--source-size", type=int, default=None,
                   help="size the digits PNGs are written at (default: image size); larger sources make the "
                        "seed loop resize every image every epoch, as the seeds did with their photos")
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--lr", type=float, default=0.01)
    p.add_argument("--compile", action="store_true", help="also run ours with --compile (torch.compile; the "
                   "compile time lands in epoch 1, which the steady-state number leaves out)")
    p.add_argument("--data", default=None, help="ImageFolder with train/ and val/ (default: digits written to a temp dir)")
    args = p.parse_args()
    with tempfile.TemporaryDirectory(prefix="trainer-bench-") as tmp:
        data = Path(args.data) if args.data else Path(tmp) / "digits"
        if not args.data:
            from trainer.data import write_digits
            write_digits(data, image_size=args.source_size or args.image_size)
        print(f"device cpu, torch {torch.__version__}, {torch.get_num_threads()} threads, data {data} "
              f"({args.source_size or 'same size'} source px), trained at {args.image_size}px, batch {args.batch_size}, {args.epochs} epochs (throughput of epochs 2..N)")
        for name in args.models.split(","):
            seed_rates = seed_style(data, name, args.image_size, args.epochs, args.batch_size, args.lr)
            steady = lambda r: statistics.median(r[1:] if len(r) > 1 else r)  # noqa: E731
            s = steady(seed_rates)
            variants = [("ours", [])] + ([("ours+compile", ["--compile"])] if args.compile else [])
            for label, extra in variants:
                our_rates, prep = ours(data, name, args.image_size, args.epochs, args.batch_size, args.lr,
                                       Path(tmp) / f"run-{name}-{label}", extra)
                o = steady(our_rates)
                print(f"{name}: seed-style {s:.1f} img/s | {label} {o:.1f} img/s | ratio {o / s:.2f}x  "
                      f"(per epoch seed {[round(r, 1) for r in seed_rates]}, {label} "
                      f"{[round(r, 1) for r in our_rates]}; one-off data preparation incl. decode cache {prep:.1f} s)")


if __name__ == "__main__":
    main()
