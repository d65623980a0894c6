"""Datasets over decoded pixels: training/eval (image, label) and inference (image, id)."""

from __future__ import annotations

import csv
import os
from collections.abc import Callable
from pathlib import Path

import torch
from torch.utils.data import Dataset

from .decode import decode_image, describe_failure
from .errors import DataError, format_problems
from .sources import _local_path, list_images
from .stores import DecodeStore, MemmapStore


class ImageDataset(Dataset):
    """Yields (uint8 tensor [C, H, W], class index); `transform` (train only) works on uint8 tensors.

    `targets` and `ids` (paths relative to the data root) line up with the items.
    """

    def __init__(self, store: MemmapStore | DecodeStore, rows: list[int], targets: list[int],
                 ids: list[str], transform: Callable[[torch.Tensor], torch.Tensor] | None = None):
        if not len(rows) == len(targets) == len(ids):
            raise ValueError("rows, targets and ids must have the same length")
        self.store = store
        self.rows = list(rows)
        self.targets = list(targets)
        self.ids = list(ids)
        self.transform = transform

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        image = torch.from_numpy(self.store.get(self.rows[index]))
        if self.transform is not None:
            image = self.transform(image).contiguous()
        return image, self.targets[index]


class InferenceDataset(Dataset):
    """Images to predict: a folder (recursive), a CSV manifest (its `path` column; `label` optional)
    or a single image file. Yields (uint8 tensor [C, H, W], id) where id is the path relative to the
    folder (or as written in the CSV), decoded and resized exactly as for training.

    `labels` holds the CSV's label column when it has one (else None), aligned with `ids`.
    """

    def __init__(self, path: str | os.PathLike[str], image_size: int, channels: int = 3):
        if channels not in (1, 3):
            raise ValueError(f"channels must be 1 or 3, got {channels!r}")
        self.image_size = image_size
        self.channels = channels
        self.labels: list[str] | None = None
        target = _local_path(os.fspath(path))
        if target.is_file() and target.suffix.lower() == ".csv":
            self.root = target.parent.resolve()
            self.ids, self.paths, self.labels = self._read_csv(target)
        elif target.is_file():
            self.root = target.parent.resolve()
            self.paths = list_images(target)
            self.ids = [target.name]
        else:
            if not target.is_dir():
                raise DataError(f"inference input {target} does not exist")
            self.root = target.resolve()
            self.paths = list_images(target)
            self.ids = [os.path.relpath(p, self.root) for p in self.paths]
        if not self.paths:
            raise DataError(f"no images found in {target} (extensions: png, jpg, jpeg, bmp, webp, gif, tif)")

    def _read_csv(self, csv_path: Path) -> tuple[list[str], list[str], list[str] | None]:
        with open(csv_path, newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            header = [h.strip() for h in (reader.fieldnames or [])]
            if "path" not in header:
                raise DataError(f"CSV {csv_path} has no `path` column (header: {header})")
            # Extra cells beyond the header land under key None as a list: ignored.
            rows = [{k.strip(): (v or "").strip() for k, v in row.items() if k is not None and not isinstance(v, list)}
                    for row in reader]
        ids, paths, problems = [], [], []
        for line, row in enumerate(rows, start=2):
            rel = row.get("path", "")
            full = Path(rel) if os.path.isabs(rel) else self.root / rel
            if not rel:
                problems.append(f"row {line}: empty path")
            elif not full.is_file():
                problems.append(f"row {line}: {rel} does not exist (looked at {full})")
            ids.append(rel)
            paths.append(str(full))
        if problems:
            raise DataError(format_problems(f"CSV {csv_path} has bad rows", problems))
        labels = [row.get("label", "") for row in rows] if "label" in header else None
        return ids, paths, labels

    def __len__(self) -> int:
        return len(self.paths)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, str]:
        try:
            pixels = decode_image(self.paths[index], self.image_size, self.channels)
        except Exception as error:  # noqa: BLE001 - Pillow raises many types for corrupt files
            raise DataError(f"cannot decode {self.paths[index]}: {describe_failure(error)}") from error
        return torch.from_numpy(pixels), self.ids[index]
