"""A real, small image dataset for demos and tests: scikit-learn's bundled digits as PNG files.

No network: load_digits() ships inside scikit-learn.
"""

from __future__ import annotations

import os
import secrets
import shutil
from pathlib import Path

import numpy as np
from PIL import Image

from .errors import DataError
from .splits import stratified_split

MARKER = "kubetune digits dataset"


def _split_70_15_15(labels: np.ndarray, seed: int) -> dict[str, list[int]]:
    train, rest = stratified_split(labels.tolist(), 0.3, seed)
    val_pos, test_pos = stratified_split(labels[rest].tolist(), 0.5, seed + 1)
    return {"train": train, "val": [rest[i] for i in val_pos], "test": [rest[i] for i in test_pos]}


def _readme(image_size: int, seed: int, counts: dict[str, int]) -> str:
    return (
        f"{MARKER}\n\n"
        "Source: scikit-learn's bundled load_digits() (the UCI ML hand-written digits data set,\n"
        "1797 grayscale 8x8 images with 17 gray levels, classes 0-9).\n"
        f"Each image scaled to 0..255 and upscaled to {image_size}x{image_size} with bilinear\n"
        "interpolation (Pillow), saved as 8-bit grayscale PNG named after its index in load_digits().\n"
        f"Split stratified 70/15/15 with seed {seed}: "
        + ", ".join(f"{name} {n}" for name, n in counts.items())
        + ".\nLayout: train/<class>/, val/<class>/, test/<class>/; test.csv lists the test images\n"
        "(path relative to this folder, true label) for scoring predictions and ensembles.\n"
        "Written by trainer.data.write_digits; rerunning it replaces this folder.\n"
    )


def _write_tree(folder: Path, image_size: int, seed: int) -> dict[str, int]:
    from sklearn.datasets import load_digits  # import here: sklearn is slow to import

    digits = load_digits()
    pixels = np.rint(digits.images * (255.0 / 16.0)).clip(0, 255).astype(np.uint8)
    labels = np.asarray(digits.target)
    splits = _split_70_15_15(labels, seed)
    for name in splits:
        for label in range(10):
            (folder / name / str(label)).mkdir(parents=True)
    test_rows = []
    for name, indices in splits.items():
        for index in indices:
            rel = f"{name}/{labels[index]}/{index:04d}.png"
            image = Image.fromarray(pixels[index], mode="L")
            if image_size != 8:
                image = image.resize((image_size, image_size), Image.Resampling.BILINEAR)
            image.save(folder / rel, compress_level=1)
            if name == "test":
                test_rows.append((rel, int(labels[index])))
    with open(folder / "test.csv", "w", encoding="utf-8", newline="") as handle:
        handle.write("path,label\n")
        handle.writelines(f"{rel},{label}\n" for rel, label in sorted(test_rows))
    counts = {name: len(indices) for name, indices in splits.items()}
    (folder / "README.txt").write_text(_readme(image_size, seed, counts), encoding="utf-8")
    return counts


def _written_by_us(folder: Path) -> bool:
    try:
        return (folder / "README.txt").read_text(encoding="utf-8").startswith(MARKER)
    except OSError:
        return False


def write_digits(out: str | os.PathLike[str], image_size: int = 32, seed: int = 0) -> dict[str, int]:
    """Write the digits as PNGs to out/{train,val,test}/<0..9>/NNNN.png plus out/test.csv and
    out/README.txt; returns the image count per split. Deterministic for a seed.

    `out` must be new, empty, or a folder this function wrote before (it is replaced whole, so
    no image from an earlier split is left behind). The tree is built beside it and renamed in.
    """
    if isinstance(image_size, bool) or not isinstance(image_size, int) or image_size < 8:
        raise ValueError(f"image_size must be an integer >= 8, got {image_size!r}")
    target = Path(out).expanduser().absolute()
    if target.exists():
        if not target.is_dir():
            raise DataError(f"digits output {target} exists and is not a folder")
        if any(target.iterdir()) and not _written_by_us(target):
            raise DataError(
                f"digits output {target} is not empty and was not written by write_digits: "
                "choose a new or empty folder"
            )
    target.parent.mkdir(parents=True, exist_ok=True)
    suffix = f"{os.getpid()}-{secrets.token_hex(4)}"
    staging = target.with_name(f".{target.name}.tmp-{suffix}")
    try:
        counts = _write_tree(staging, image_size, seed)
        previous = None
        if target.exists() and any(target.iterdir()):
            previous = target.with_name(f".{target.name}.old-{suffix}")
            os.rename(target, previous)
        os.replace(staging, target)  # onto a missing or empty folder
        if previous is not None:
            shutil.rmtree(previous, ignore_errors=True)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return counts
