"""The benchmark's images: scikit-learn's digits (via `python -m trainer data digits`), made harder.

Plain digits at 16 px are too easy to tell searches apart (most configurations end above 0.95).
`digits-hard` keeps the same images but (1) trains on a stratified 40 % of the training split,
(2) validates on val + test together (539 images: finer accuracy steps), (3) shifts every image by
up to 2 px, rotates it by up to 20 degrees and adds Gaussian pixel noise (sigma 50 of 255). All of
it is seeded, so the folder is the same on every machine.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
from PIL import Image

TRAIN_FRACTION = 0.4
NOISE_SIGMA = 50.0
MAX_SHIFT = 2
MAX_ROTATION = 20.0
MARKER = "digits-hard.txt"


def _distort(image: Image.Image, rng: np.random.Generator) -> Image.Image:
    angle = float(rng.uniform(-MAX_ROTATION, MAX_ROTATION))
    dx, dy = (int(v) for v in rng.integers(-MAX_SHIFT, MAX_SHIFT + 1, size=2))
    moved = image.rotate(angle, resample=Image.BILINEAR, translate=(dx, dy), fillcolor=0)
    pixels = np.asarray(moved, dtype=np.float32) + rng.normal(0.0, NOISE_SIGMA, size=moved.size[::-1])
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8), mode="L")


def make_hard_digits(out: Path, *, image_size: int = 16, seed: int = 0) -> Path:
    """Write digits-hard to `out` (train/ val/ class folders) unless it is already there."""
    out = Path(out)
    if (out / MARKER).is_file():
        return out
    plain = out.parent / f"{out.name}-plain"
    subprocess.run([sys.executable, "-m", "trainer", "data", "digits", "--out", str(plain),
                    "--image-size", str(image_size), "--seed", str(seed)],
                   check=True, stdout=subprocess.DEVNULL)
    rng = np.random.default_rng(seed)
    counts = {"train": 0, "val": 0}
    for split, sources, keep in (("train", ["train"], TRAIN_FRACTION), ("val", ["val", "test"], 1.0)):
        for class_dir in sorted(p for p in (plain / sources[0]).iterdir() if p.is_dir()):
            files = sorted(f for s in sources for f in (plain / s / class_dir.name).glob("*.png"))
            if keep < 1.0:
                files = sorted(rng.choice(files, size=max(1, round(len(files) * keep)), replace=False))
            target = out / split / class_dir.name
            target.mkdir(parents=True, exist_ok=True)
            for f in files:
                _distort(Image.open(f).convert("L"), rng).save(target / Path(f).name)
                counts[split] += 1
    (out / MARKER).write_text(
        f"digits-hard (bench/efficiency/data.py): {image_size} px, seed {seed}; train {counts['train']} "
        f"({TRAIN_FRACTION:.0%} of the digits train split), val {counts['val']} (val + test); "
        f"shift <= {MAX_SHIFT} px, rotation <= {MAX_ROTATION:g} deg, noise sigma {NOISE_SIGMA:g}\n")
    return out
