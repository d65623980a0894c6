"""GPU training throughput and MFU: EfficientNet-B0 @224 and ViT-B/16 @224.

Two measurements per model:
  synthetic   random uint8 batches already on the GPU -> normalize_batch -> bf16 autocast, channels_last,
              SGD step: the model's ceiling on this GPU (optionally torch.compile'd).
  real decode JPEG files on disk: (a) our trainer (`python -m trainer train`: images decoded once into the
              uint8 cache, DataLoader workers, normalisation on the GPU), (b) a seed-style loop (ImageFolder,
              PIL decode + Resize + ToTensor + Normalize every image every epoch, fp32).
MFU = 6 * MACs/image * images/s / peak dense bf16 FLOPS (forward = 2*MACs FLOPs, backward ~ twice that).

Needs CUDA; prints a skip line and exits 0 otherwise.

    .venv/bin/python bench/gpu_trainer.py [--models efficientnet-b0,vit-b16] [--batch-size 128]
        [--steps 30] [--images 2048] [--workers 8] [--compile] [--skip-real]
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

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402

# Dense (no sparsity) bf16 tensor-core peaks, FLOP/s, from the vendors' datasheets.
PEAK_BF16 = [
    ("H200", 989e12),
    ("H100 NVL", 835e12),
    ("H100 PCIe", 756e12),
    ("H100", 989e12),            # SXM (e.g. "NVIDIA H100 80GB HBM3")
    ("GH200", 989e12),
    ("B200", 2250e12),
    ("A100", 312e12),
    ("A10G", 70e12),
    ("A10", 125e12),
    ("L40S", 362e12),
    ("L4", 121e12),
    ("RTX 4090", 165e12),
    ("V100", 125e12),            # fp16 (no bf16 on V100)
]

MODELS = {
    "efficientnet-b0": ("efficientnet-b0", {}),
    "vit-b16": ("vit", {"patch_size": 16, "dim": 768, "depth": 12, "heads": 12, "mlp_dim": 3072, "dim_head": 64}),
}


def peak_flops(device_name: str) -> float | None:
    for key, value in PEAK_BF16:
        if key.lower() in device_name.lower():
            return value
    return None


def synthetic(name: str, kwargs: dict, image_size: int, batch: int, steps: int, compile_model: bool,
              device: torch.device) -> tuple[float, int]:
    """Training images/s on random data resident on the GPU; returns (images/s, MACs per image)."""
    from trainer.data import normalize_batch
    from trainer.models import count_macs, create_model
    model = create_model(name, 1000, image_size=image_size, **kwargs)
    macs = count_macs(model, (1, 3, image_size, image_size))
    model = model.to(device, memory_format=torch.channels_last)
    step_model = torch.compile(model) if compile_model else model
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    x8 = torch.randint(0, 256, (batch, 3, image_size, image_size), dtype=torch.uint8, device=device)
    y = torch.randint(0, 1000, (batch,), device=device)
    mean, std = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)

    def step() -> None:
        x = normalize_batch(x8, mean, std).contiguous(memory_format=torch.channels_last)
        with torch.autocast("cuda", dtype=torch.bfloat16):
            loss = torch.nn.functional.cross_entropy(step_model(x).float(), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    for _ in range(5 if not compile_model else 10):   # warm-up (cudnn autotune, compile)
        step()
    torch.cuda.synchronize(device)
    t0 = time.perf_counter()
    for _ in range(steps):
        step()
    torch.cuda.synchronize(device)
    return steps * batch / (time.perf_counter() - t0), macs


def write_jpegs(root: Path, n: int, size: int, classes: int = 10) -> None:
    """A JPEG ImageFolder (train/ val/) of textured random images, as a camera dataset would be."""
    import numpy as np
    from PIL import Image
    rng = np.random.default_rng(0)
    for split, count in (("train", n), ("val", max(classes, n // 8))):
        for i in range(count):
            label = i % classes
            folder = root / split / f"c{label}"
            folder.mkdir(parents=True, exist_ok=True)
            base = rng.integers(0, 256, (size // 8, size // 8, 3), dtype=np.uint8)
            img = Image.fromarray(base).resize((size, size), Image.Resampling.BILINEAR)
            img.save(folder / f"{i:06d}.jpg", quality=90)


def ours_real(data: Path, name: str, kwargs: dict, image_size: int, batch: int, epochs: int, workers: int,
              compile_model: bool, out: Path) -> float:
    """Our trainer on the JPEG folder: median training images/s of epochs 2..N (cache built before)."""
    from trainer.config import build_config, parse_cli
    from trainer.train import Trainer
    argv = ["--data", str(data), "--model", name, "--image-size", str(image_size), "--epochs", str(epochs),
            "--batch-size", str(batch), "--lr", "0.01", "--augment", "none", "--no-tensorboard",
            "--workers", str(workers), "--out", str(out), "--metrics-file", str(out / "m.jsonl"),
            "--metrics-format", "json", "--cache-dir", str(out / "cache")]
    for k, v in kwargs.items():
        argv += [f"--{k}", str(v)] if k == "dim_head" else [f"--vit.{k}", str(v)]
    if compile_model:
        argv.append("--compile")
    trainer = Trainer(build_config(parse_cli(argv).assignments))
    with contextlib.redirect_stdout(io.StringIO()):
        trainer.run()
    n_train = len(list((data / "train").rglob("*.jpg"))) // batch * batch
    rows = [json.loads(x) for x in (out / "m.jsonl").read_text().splitlines() if "epoch_time" in x]
    rates = [n_train / float(r["epoch_time"]) for r in rows]
    return statistics.median(rates[1:] if len(rates) > 1 else rates)


def seed_real(data: Path, name: str, kwargs: dict, image_size: int, batch: int, epochs: int, workers: int,
              device: torch.device) -> float:
    """The seeds' loop on the same JPEGs: decode + resize + normalise per image per epoch, fp32."""
    import torch.nn.functional as F
    from torch.utils.data import DataLoader
    from torchvision import datasets, transforms

    from trainer.models import create_model
    tf = transforms.Compose([transforms.Resize((image_size, image_size)), transforms.ToTensor(),
                             transforms.Normalize((0.485, 0.456, 0.406), (0.229, 0.224, 0.225))])
    train = datasets.ImageFolder(str(data / "train"), transform=tf)
    loader = DataLoader(train, batch_size=batch, shuffle=True, drop_last=True, num_workers=workers,
                        pin_memory=True)
    model = create_model(name, len(train.classes), image_size=image_size, **kwargs).to(device)
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    rates = []
    for _ in range(epochs):
        torch.cuda.synchronize(device)
        t0 = time.perf_counter()
        for x, y in loader:
            x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
            loss = F.cross_entropy(model(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
        torch.cuda.synchronize(device)
        rates.append(len(loader) * batch / (time.perf_counter() - t0))
    return statistics.median(rates[1:] if len(rates) > 1 else rates)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--models", default="efficientnet-b0,vit-b16", help=f"from {', '.join(MODELS)}")
    p.add_argument("--image-size", type=int, default=224)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--steps", type=int, default=30, help="timed synthetic steps")
    p.add_argument("--images", type=int, default=2048, help="JPEGs in the real-decode train set")
    p.add_argument("--source-size", type=int, default=320, help="JPEG size on disk (resized to --image-size)")
    p.add_argument("--epochs", type=int, default=3, help="real-decode epochs (throughput of epochs 2..N)")
    p.add_argument("--workers", type=int, default=8, help="DataLoader workers for both real-decode loops")
    p.add_argument("--seed-workers", type=int, default=None, help="workers for the seed loop (default --workers)")
    p.add_argument("--compile", action="store_true", help="torch.compile the model (synthetic and ours)")
    p.add_argument("--skip-real", action="store_true", help="synthetic only")
    args = p.parse_args()
    if not torch.cuda.is_available():
        print("gpu_trainer: skipped, no CUDA device visible (this benchmark needs a GPU)")
        return
    device = torch.device("cuda", 0)
    torch.backends.cudnn.benchmark = True
    gpu = torch.cuda.get_device_name(device)
    peak = peak_flops(gpu)
    print(f"device {gpu}; peak dense bf16 {peak / 1e12:.0f} TFLOPS" if peak else
          f"device {gpu}; peak bf16 unknown (add it to PEAK_BF16), MFU not computed")
    print(f"torch {torch.__version__}, batch {args.batch_size}, {args.image_size}px, compile {args.compile}")
    with tempfile.TemporaryDirectory(prefix="gpu-bench-") as tmp:
        data = Path(tmp) / "jpegs"
        if not args.skip_real:
            t0 = time.perf_counter()
            write_jpegs(data, args.images, args.source_size)
            print(f"wrote {args.images} train JPEGs at {args.source_size}px in {time.perf_counter() - t0:.1f} s")
        for key in args.models.split(","):
            name, kwargs = MODELS[key]
            rate, macs = synthetic(name, kwargs, args.image_size, args.batch_size, args.steps, args.compile, device)
            mfu = f", MFU {6 * macs * rate / peak:.1%}" if peak else ""
            print(f"{key}: synthetic {rate:.0f} img/s ({macs / 1e9:.2f} GMACs/img{mfu})")
            if args.skip_real:
                continue
            ours = ours_real(data, name, kwargs, args.image_size, args.batch_size, args.epochs, args.workers,
                             args.compile, Path(tmp) / f"run-{key}")
            seed = seed_real(data, name, kwargs, args.image_size, args.batch_size, args.epochs,
                             args.seed_workers if args.seed_workers is not None else args.workers, device)
            mfu_ours = f", MFU {6 * macs * ours / peak:.1%}" if peak else ""
            print(f"{key}: real decode: ours {ours:.0f} img/s{mfu_ours} | seed-style {seed:.0f} img/s | "
                  f"ratio {ours / seed:.2f}x")
            torch.cuda.empty_cache()


if __name__ == "__main__":
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    main()
