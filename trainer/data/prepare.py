"""prepare_data: find the images, decode them once (cache), check them, split, build datasets."""

from __future__ import annotations

import logging

from .cache import PartPixels, cached_pixels, uncached_pixels
from .config import DataBundle, DataConfig
from .datasets import ImageDataset
from .errors import DataError, format_problems
from .sources import Source, discover
from .splits import split_indices
from .stats import channel_mean_std
from .transforms import build_augment

log = logging.getLogger(__name__)


def _decode_parts(source: Source, cfg: DataConfig) -> dict[str, PartPixels]:
    pixels = {}
    for part, records in source.parts.items():
        if cfg.cache:
            pixels[part] = cached_pixels(records, source.root, part, cfg.image_size, cfg.channels,
                                         cfg.cache_dir, cfg.decode_workers)
        else:
            pixels[part] = uncached_pixels(records, cfg.image_size, cfg.channels, cfg.decode_workers)
    return pixels


def _readable_rows(source: Source, pixels: dict[str, PartPixels], skip_corrupt: bool) -> tuple[dict[str, list[int]], list[str]]:
    """Rows that decoded, per part; every unreadable file reported in one DataError unless skipped."""
    problems: list[str] = []
    skipped: list[str] = []
    for part, records in source.parts.items():
        for row, reason in sorted(pixels[part].bad.items()):
            problems.append(f"{records[row].path}: {reason}")
            skipped.append(records[row].rel)
    if problems and not skip_corrupt:
        raise DataError(
            format_problems(f"unreadable or corrupt images in {source.description}", problems)
            + "\nfix or remove them, or set skip_corrupt to train without them"
        )
    if problems:
        log.warning(format_problems(f"skipped unreadable images in {source.description}", problems, limit=20))
    readable = {part: [r for r in range(len(records)) if r not in pixels[part].bad]
                for part, records in source.parts.items()}
    return readable, skipped


def prepare_data(cfg: DataConfig) -> DataBundle:
    """Datasets for training from cfg.path (see DataConfig); raises DataError on unusable data."""
    source = discover(cfg.path)
    class_index = {name: i for i, name in enumerate(source.classes)}
    pixels = _decode_parts(source, cfg)
    readable, skipped = _readable_rows(source, pixels, cfg.skip_corrupt)

    def labels_of(part: str, rows: list[int]) -> list[int]:
        records = source.parts[part]
        return [class_index[records[r].label] for r in rows]

    if source.presplit:
        if cfg.split == "group":
            log.warning("split='group' ignored: %s already has a val folder", source.description)
        train_part, train_rows, val_part, val_rows = "train", readable["train"], "val", readable["val"]
    else:
        train_part = val_part = "train" if "train" in source.parts else next(iter(source.parts))
        rows = readable[train_part]
        if cfg.split == "group" and not source.has_groups:
            raise DataError(
                f"split='group' needs a group per image but {source.description} has none: use a CSV "
                "manifest with columns path,label,group (e.g. group = person id)"
            )
        groups = [source.parts[train_part][r].group for r in rows] if cfg.split == "group" else None
        train_pos, val_pos = split_indices(cfg.split, labels_of(train_part, rows), cfg.val_ratio, cfg.seed, groups)
        train_rows, val_rows = [rows[i] for i in train_pos], [rows[i] for i in val_pos]

    train_targets = labels_of(train_part, train_rows)
    missing = [name for name, i in class_index.items() if i not in set(train_targets)]
    if missing:
        raise DataError(f"classes {missing} have no readable training images in {source.description}")
    if not val_rows:
        raise DataError(f"the validation split of {source.description} is empty")

    def dataset(part: str, rows: list[int], transform=None) -> ImageDataset:
        records = source.parts[part]
        return ImageDataset(pixels[part].store, rows, labels_of(part, rows), [records[r].rel for r in rows], transform)

    mean, std = channel_mean_std(pixels[train_part].store, train_rows)
    test = dataset("test", readable["test"]) if "test" in source.parts and readable["test"] else None
    bundle = DataBundle(
        train=dataset(train_part, train_rows, build_augment(cfg.augment, cfg.image_size)),
        val=dataset(val_part, val_rows),
        test=test,
        classes=list(source.classes),
        mean=mean,
        std=std,
        image_size=cfg.image_size,
        channels=cfg.channels,
        train_targets=train_targets,
        skipped=sorted(skipped),
        decoded=sum(p.decoded for p in pixels.values()),
        cache_files=[f for p in pixels.values() for f in p.files],
    )
    log.info("%s: %d classes, train %d, val %d, test %d, decoded %d, skipped %d", source.description,
             len(bundle.classes), len(bundle.train), len(bundle.val), len(test) if test else 0,
             bundle.decoded, len(skipped))
    return bundle
