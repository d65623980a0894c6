"""Small real image trees for the data tests (a few tiny PNG/JPEG files per class)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image


def save_image(path: Path, seed: int, size: int = 12, mode: str = "RGB") -> Path:
    """A random image; distinct seeds give distinct pixels."""
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    shape = (size, size, 3) if mode == "RGB" else (size, size)
    Image.fromarray(rng.integers(0, 256, shape, dtype=np.uint8), mode=mode).save(path)
    return path


def make_class_folders(root: Path, counts: dict[str, int], start_seed: int = 0, ext: str = "png") -> list[Path]:
    paths = []
    seed = start_seed
    for label, count in counts.items():
        for i in range(count):
            paths.append(save_image(root / label / f"img{i:03d}.{ext}", seed))
            seed += 1
    return paths


def write_corrupt(path: Path, kind: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if kind == "garbage":
        path.write_bytes(b"this is not an image at all")
    elif kind == "empty":
        path.write_bytes(b"")
    elif kind == "truncated":
        save_image(path, 99, size=64)
        data = path.read_bytes()
        path.write_bytes(data[: len(data) // 2])
    else:
        raise ValueError(kind)
    return path


def build_in_child(path: str, cache_dir: str | None, use_lock: bool, barrier, results) -> None:
    """Child process body for the concurrent-build tests: prepare the data right after the
    other child (barrier) and report what it decoded plus a digest of the pixels it sees."""
    import hashlib

    import trainer.data.cache as cache_module
    from trainer.data import DataConfig, prepare_data

    cache_module.USE_LOCK = use_lock
    barrier.wait(timeout=60)
    bundle = prepare_data(DataConfig(path, image_size=24, augment="none", cache_dir=cache_dir, decode_workers=1))
    digest = hashlib.sha256()
    for index in range(len(bundle.train)):
        digest.update(bundle.train[index][0].numpy().tobytes())
    results.put((bundle.decoded, digest.hexdigest()))
