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

    .venv/bin/python bench/trainer_throughput.py [--models efficientnet-b0,mobilenet_v3_small,yaml:example]
        [--image-size 32] [--source-size 128] [--epochs 4] [--batch-size 64] [--compile] [--data DIR]
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
    args = p.parse_args()
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


if __name__ == "__main__":
    main()
