"""DataConfig (what the trial asks for) and DataBundle (what it gets back)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from torch.utils.data import Dataset

from .transforms import AUGMENT_PRESETS

SPLIT_METHODS = ("stratified", "group", "random")
CHANNEL_CHOICES = (1, 3)


@dataclass
class DataConfig:
    """Where the images are and how to turn them into train/val(/test) datasets.

    path: an ImageFolder root with train/ and val/ (or valid/, validation/) and optional test/
    sub-folders of class folders; a root with only train/ (val is split off it); a single
    folder of class folders (split by val_ratio); or a CSV manifest `path,label[,group]`.
    split: how val is split off when the data has no val folder (ignored otherwise);
    'group' needs the CSV's group column (no group ends up on both sides).
    cache: decode every image once into a uint8 memmap (next to the data, or under cache_dir)
    shared by later epochs and later trials.
    decode_workers: threads decoding images (0 = one per CPU, at most 16).
    """

    path: str
    image_size: int = 224
    val_ratio: float = 0.2
    split: str = "stratified"
    seed: int = 0
    augment: str = "base"
    cache: bool = True
    cache_dir: str | None = None
    skip_corrupt: bool = False
    channels: int = 3
    decode_workers: int = 0

    def __post_init__(self) -> None:
        if isinstance(self.path, os.PathLike):
            self.path = os.fspath(self.path)
        if not isinstance(self.path, str) or not self.path:
            raise ValueError(f"DataConfig.path must be a non-empty path, got {self.path!r}")
        if self.cache_dir is not None and isinstance(self.cache_dir, os.PathLike):
            self.cache_dir = os.fspath(self.cache_dir)
        if isinstance(self.image_size, bool) or not isinstance(self.image_size, int) or self.image_size < 8:
            raise ValueError(f"DataConfig.image_size must be an integer >= 8, got {self.image_size!r}")
        if not isinstance(self.val_ratio, (int, float)) or not 0.0 < float(self.val_ratio) < 1.0:
            raise ValueError(f"DataConfig.val_ratio must be between 0 and 1 (exclusive), got {self.val_ratio!r}")
        if self.split not in SPLIT_METHODS:
            raise ValueError(f"DataConfig.split must be one of {', '.join(SPLIT_METHODS)}; got {self.split!r}")
        if self.augment not in AUGMENT_PRESETS:
            raise ValueError(
                f"DataConfig.augment must be one of {', '.join(AUGMENT_PRESETS)}; got {self.augment!r}"
            )
        if self.channels not in CHANNEL_CHOICES:
            raise ValueError(f"DataConfig.channels must be 1 (grayscale) or 3 (RGB), got {self.channels!r}")
        if not isinstance(self.decode_workers, int) or self.decode_workers < 0:
            raise ValueError(f"DataConfig.decode_workers must be an integer >= 0, got {self.decode_workers!r}")


@dataclass
class DataBundle:
    """Datasets yield (uint8 tensor [C, H, W] at image_size, class index)."""

    train: Dataset
    val: Dataset
    test: Dataset | None
    classes: list[str]
    mean: tuple[float, ...]
    std: tuple[float, ...]
    image_size: int
    channels: int
    train_targets: list[int]
    skipped: list[str] = field(default_factory=list)
    # Images decoded by this call (0 when every cache was reused) and the cache files used.
    decoded: int = 0
    cache_files: list[str] = field(default_factory=list)
