"""The run's data: prepared once (rank 0 builds the decoded cache), served by seeded, sharded loaders.

Speed: images stay uint8 until they reach the device (trainer.batches normalises them there), and
datasets without a per-image transform are read a whole batch at a time (BatchFetch).
Reproducibility: the shuffle order depends only on (seed, epoch), so a resumed run sees the same batches.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Iterator

import numpy as np
import torch
from torch.utils.data import DataLoader, Sampler

from trainer import distributed as dist
from trainer.config.schema import TrainConfig
# Imported here, not when the data is prepared: it brings torchvision (whose import pulls in torch._dynamo,
# inductor and sympy: ~4 s on a 2-core VM), so a warm parent that imports trainer.train (kubetune's warm
# workers, bench/efficiency/record.py) pays it once instead of every forked trial.
from trainer.data import DataConfig, prepare_data
from trainer.errors import ConfigError
from trainer.model_setup import input_size
from trainer.report import log
from trainer.runtime import auto_workers


class EpochSampler(Sampler[int]):
    """Shuffled (or class-weighted) indices, seeded by (seed, epoch), sharded over ranks.

    Every rank gets the same count (padded by wrap-around) so DDP ranks step together; the order
    depends only on seed and epoch, so a resumed run sees the same batches. `limit` (None: all) cuts
    this rank's order after that many indices: precise BN's pass over the first batches (Loaders.first_batches)."""

    def __init__(self, n: int, seed: int, rank: int = 0, world: int = 1, weights: torch.Tensor | None = None):
        self.n, self.seed, self.rank, self.world, self.weights = n, seed, rank, world, weights
        self.epoch = 0
        self.per_rank = math.ceil(n / world)
        self.limit: int | None = None

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __iter__(self) -> Iterator[int]:
        g = torch.Generator().manual_seed(self.seed * 100_003 + self.epoch)
        total = self.per_rank * self.world
        if self.weights is not None:
            order = torch.multinomial(self.weights, total, replacement=True, generator=g).tolist()
        else:
            order = torch.randperm(self.n, generator=g).tolist()
            order += order[: total - len(order)]
        return iter(order[self.rank:total:self.world][:self.limit])

    def __len__(self) -> int:
        return self.per_rank if self.limit is None else min(self.per_rank, self.limit)


class BatchFetch(torch.utils.data.Dataset):
    """Serve a whole batch with one fancy-index read of the decoded-cache memmap.

    Used only for datasets without a per-image transform (validation; training with augment none):
    it removes the per-image Python overhead of __getitem__ + collate, measured at ~25% of an epoch
    for small CNNs on CPU. Relies on ImageDataset's public rows/targets/store.open()."""

    def __init__(self, dataset):
        self.dataset = dataset

    @staticmethod
    def applies(dataset) -> bool:
        return (getattr(dataset, "transform", "missing") is None and hasattr(dataset, "rows")
                and hasattr(dataset, "targets") and callable(getattr(getattr(dataset, "store", None), "open", None)))

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, index: int):
        return self.dataset[index]

    def __getitems__(self, indices: list[int]) -> tuple[torch.Tensor, torch.Tensor]:
        rows = np.fromiter((self.dataset.rows[i] for i in indices), dtype=np.int64, count=len(indices))
        images = torch.from_numpy(np.ascontiguousarray(self.dataset.store.open()[rows]))
        labels = torch.tensor([self.dataset.targets[i] for i in indices], dtype=torch.long)
        return images, labels


def keep_batch(batch):
    """collate_fn for BatchFetch: the batch is already stacked (module level: picklable for workers)."""
    return batch


def loader_dataset(dataset) -> tuple[Any, Any]:
    """(dataset, collate_fn) for a DataLoader: batched reads when possible, else the default."""
    if BatchFetch.applies(dataset):
        return BatchFetch(dataset), keep_batch
    return dataset, None


def class_balanced_weights(targets: list[int]) -> torch.Tensor:
    counts = torch.bincount(torch.as_tensor(targets, dtype=torch.long)).double()
    return (1.0 / counts.clamp(min=1))[torch.as_tensor(targets, dtype=torch.long)]


def prepare_run_data(cfg: TrainConfig, main: bool):
    """The DataBundle for this run; rank 0 builds the decoded cache, the other ranks wait and reuse it."""
    if not cfg.data:
        raise ConfigError("data: no dataset given; use --data DIR|CSV (or a `data:` key in --config)")
    dcfg = DataConfig(path=cfg.data, image_size=input_size(cfg), val_ratio=cfg.val_ratio, split=cfg.split,
                      seed=cfg.seed, augment=cfg.augment, cache=cfg.cache, cache_dir=cfg.cache_dir,
                      skip_corrupt=cfg.skip_corrupt, channels=cfg.channels)
    bundle = prepare_data(dcfg) if main else None
    dist.barrier()
    if not main:
        bundle = prepare_data(dcfg)
    if cfg.num_classes is not None and cfg.num_classes != len(bundle.classes):
        raise ConfigError(f"num_classes: {cfg.num_classes} given but the data in {cfg.data} has "
                          f"{len(bundle.classes)} classes ({', '.join(bundle.classes[:10])}"
                          f"{', ...' if len(bundle.classes) > 10 else ''})")
    if bundle.skipped and main:
        log(f"skipped {len(bundle.skipped)} unreadable images (skip_corrupt)")
    return bundle


@dataclass
class Loaders:
    train: DataLoader
    val: DataLoader
    sampler: EpochSampler
    generator: torch.Generator   # the train loader's (worker seeds, augmentation draws)

    def start_epoch(self, seed: int, epoch: int) -> None:
        """Seed this epoch's shuffle and augmentation from (seed, epoch) alone."""
        self.sampler.set_epoch(epoch)
        self.sampler.limit = None
        self.generator.manual_seed(seed * 7919 + epoch)

    def first_batches(self, count: int) -> FirstBatches:
        """The first `count` batches of the current epoch's train loader, iterable once per evaluation."""
        return FirstBatches(self.train, self.sampler, count)


@dataclass
class FirstBatches:
    """The first `count` batches of the current epoch's train loader and no more (precise BN's batches).

    Breaking out of the train loader early left its workers decoding up to prefetch_factor x workers
    batches that were thrown away (and the next epoch waited for them); here the sampler itself stops
    after `count` batches, so only those are dispatched. The batches, their worker and their
    augmentation draws are the ones the train loader gives first."""

    loader: DataLoader
    sampler: EpochSampler
    count: int

    def __iter__(self) -> Iterator:
        self.sampler.limit = self.count * self.loader.batch_size
        try:
            yield from self.loader
        finally:
            self.sampler.limit = None


def build_loaders(cfg: TrainConfig, bundle, device: torch.device, rank: int, world: int) -> Loaders:
    """Train loader (sharded EpochSampler) and this rank's share of the validation split."""
    workers = cfg.workers if cfg.workers >= 0 else auto_workers(device)
    weights = class_balanced_weights(bundle.train_targets) if cfg.sampler == "weighted" else None
    sampler = EpochSampler(len(bundle.train), cfg.seed, rank, world, weights)
    common = dict(num_workers=workers, pin_memory=device.type == "cuda",
                  persistent_workers=workers > 0 and not cfg.deterministic)
    if workers > 0:
        common["prefetch_factor"] = 4
    generator = torch.Generator()
    train_ds, train_collate = loader_dataset(bundle.train)
    train = DataLoader(train_ds, batch_size=cfg.batch_size, sampler=sampler, collate_fn=train_collate,
                       drop_last=len(sampler) > cfg.batch_size, generator=generator, **common)
    val_idx = list(range(rank, len(bundle.val), world))
    val_ds, val_collate = loader_dataset(bundle.val)
    val = DataLoader(val_ds, batch_size=cfg.batch_size * 2, sampler=val_idx, collate_fn=val_collate, **common)
    return Loaders(train, val, sampler, generator)
