"""The training loop: data -> model -> epochs of train + validate -> metric line + checkpoints.

One process, or one rank of a torchrun launch (DDP; only rank 0 reports, logs and writes files).
Speed: images stay uint8 until they reach the device, where `normalize_batch` runs; CUDA runs use
bf16 autocast (fp16 + GradScaler where bf16 is missing), channels_last and cudnn autotuning.
Reproducibility: shuffling is seeded per epoch, RNG states go into every checkpoint, and
`deterministic` makes a resumed run bit-identical to an uninterrupted one.
"""

from __future__ import annotations

import json
import logging
import math
import os
import random
import time
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Iterator

import numpy as np
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, Sampler

from trainer import checkpoint as ckpt_io
from trainer import distributed as dist
from trainer.config import TrainConfig, config_json, match_kwarg, resolve_model_name
from trainer.errors import ConfigError, TrainingDiverged
from trainer.losses import class_weights_from, create_loss
from trainer.optim import build_optimizer, build_scheduler
from trainer.report import MetricsReporter, finite_only, log, penalised_score

logger = logging.getLogger("trainer")
NAN_CHECK_EVERY = 20          # steps between (synchronising) NaN checks on the running loss
SECTION_OF_FAMILY = {"efficientnet": "efficientnet", "vit": "vit"}
# Keys that describe this invocation, not the run: a resumed run does not inherit them.
NOT_INHERITED = ("resume", "stop_after_epochs", "init_weights", "device", "gpu", "workers", "threads")


# ---------------------------------------------------------------- setup helpers

def select_device(cfg: TrainConfig) -> torch.device:
    has_cuda = torch.cuda.is_available()
    if cfg.device == "cpu" or (cfg.device == "auto" and not has_cuda):
        if cfg.gpu is not None and not has_cuda and dist.is_main():
            log(f"--gpu {cfg.gpu} given but no CUDA device is visible; training on CPU")
        return torch.device("cpu")
    if cfg.device == "mps":
        return torch.device("mps")
    if not has_cuda:
        raise ConfigError(f"device: {cfg.device!r} requested but no CUDA device is visible "
                          f"(CUDA_VISIBLE_DEVICES: {os.environ.get('CUDA_VISIBLE_DEVICES', 'unset')})")
    if dist.launched_distributed():
        index = dist.local_rank()
    elif cfg.device.startswith("cuda:"):
        index = int(cfg.device.split(":")[1])
    else:
        index = cfg.gpu or 0
    if index >= torch.cuda.device_count():
        raise ConfigError(f"gpu: index {index} but only {torch.cuda.device_count()} CUDA device(s) are visible")
    torch.cuda.set_device(index)
    return torch.device("cuda", index)


def resolve_amp(cfg: TrainConfig, device: torch.device) -> torch.dtype | None:
    if cfg.amp == "off" or (cfg.amp == "auto" and device.type != "cuda"):
        return None
    if cfg.amp == "fp16" and device.type != "cuda":
        raise ConfigError("amp: fp16 needs a CUDA device; use bf16 or off on CPU")
    if cfg.amp == "auto":
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    return torch.bfloat16 if cfg.amp == "bf16" else torch.float16


def seed_everything(seed: int, deterministic: bool) -> None:
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    if deterministic:
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
        torch.use_deterministic_algorithms(True, warn_only=True)
        torch.backends.cudnn.benchmark = False
        torch.backends.cudnn.deterministic = True
    else:
        torch.backends.cudnn.benchmark = True


def usable_cpus() -> int:
    """CPUs this process may really use: affinity mask, capped by a cgroup v2/v1 CPU quota (pods)."""
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    quota = None
    try:
        q, period = Path("/sys/fs/cgroup/cpu.max").read_text().split()[:2]
        if q != "max":
            quota = int(q) / int(period)
    except (OSError, ValueError):
        try:
            q = int(Path("/sys/fs/cgroup/cpu/cpu.cfs_quota_us").read_text())
            period = int(Path("/sys/fs/cgroup/cpu/cpu.cfs_period_us").read_text())
            quota = q / period if q > 0 else None
        except (OSError, ValueError):
            pass
    if quota:
        cpus = min(cpus, max(1, math.ceil(quota)))
    return max(1, cpus)


def set_threads(cfg: TrainConfig) -> int:
    """Too many OpenMP threads on contended or quota-limited CPUs slow training by 10x or more."""
    if cfg.threads > 0:
        torch.set_num_threads(cfg.threads)
    elif "OMP_NUM_THREADS" not in os.environ:
        local_ranks = int(os.environ.get("LOCAL_WORLD_SIZE", os.environ.get("WORLD_SIZE", "1")))
        torch.set_num_threads(max(1, usable_cpus() // max(1, local_ranks)))
    return torch.get_num_threads()


def auto_workers(device: torch.device) -> int:
    per_rank = max(1, usable_cpus() // dist.env_world_size())
    if device.type == "cuda":
        return min(8, max(1, per_rank - 1))
    # On CPU the model competes with workers for the same cores; the decoded cache is cheap to read.
    return 0 if per_rank < 8 else 2


class EpochSampler(Sampler[int]):
    """Shuffled (or class-weighted) indices, seeded by (seed, epoch), sharded over ranks.

    Every rank gets the same count (padded by wrap-around) so DDP ranks step together; the order
    depends only on seed and epoch, so a resumed run sees the same batches."""

    def __init__(self, n: int, seed: int, rank: int = 0, world: int = 1, weights: torch.Tensor | None = None):
        self.n, self.seed, self.rank, self.world, self.weights = n, seed, rank, world, weights
        self.epoch = 0
        self.per_rank = math.ceil(n / world)

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
        return iter(order[self.rank:total:self.world])

    def __len__(self) -> int:
        return self.per_rank


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


def model_family_section(name: str) -> str:
    from trainer.models import registry
    family = registry.model_family(name)
    if family in SECTION_OF_FAMILY:
        return SECTION_OF_FAMILY[family]
    if name.startswith("cells") or family == "cells":
        return "cells"
    if name == "yaml" or family in ("yaml", "blocks"):
        return "blocks"
    return ""


def _load_block_config(value: Any) -> Any:
    """Read a block network (file, bundled example name, YAML text) into a dict here, so the
    checkpoint holds the network itself rather than a path that predict/export may not see."""
    from trainer.models.blocks.builder import load_config
    return load_config(value)[0]


def input_size(cfg: TrainConfig) -> int:
    """The resolution the model trains at. Seed 000's compound scaling: for an EfficientNet with a
    resolution coefficient gamma (`efficientnet.gamma`, or the third number of `scaling`),
    `image_size` is the base resolution and the input is base * gamma**phi (phi default 1), as the
    seed's `int(gamma * 224)`; otherwise it is `image_size` itself."""
    from trainer.models import registry
    from trainer.models.efficientnet import compound_resolution, parse_scaling
    if not resolve_model_name(cfg.model, registry.list_models()).startswith("efficientnet"):
        return cfg.image_size
    gamma, phi = cfg.efficientnet.gamma, cfg.efficientnet.phi
    scaling = cfg.model_args.get("scaling")
    if scaling is not None:
        gamma = parse_scaling(scaling)[2]
    if gamma is None:
        return cfg.image_size
    return compound_resolution(float(gamma), float(phi if phi is not None else 1.0), base=cfg.image_size)


def model_kwargs_for(cfg: TrainConfig, name: str, channels: int) -> dict[str, Any]:
    """The kwargs create_model gets: shared ones the builder accepts + the model family's section."""
    from trainer.models import registry
    accepted = registry.model_kwargs(name)
    kw: dict[str, Any] = {}
    if "image_size" in accepted:
        kw["image_size"] = input_size(cfg)
    if "in_channels" in accepted:
        kw["in_channels"] = channels
    elif "channels" in accepted:
        kw["channels"] = channels
    elif channels != 3:
        raise ConfigError(f"model {name!r} has no in_channels argument; it cannot take {channels}-channel images")
    if cfg.dropout is not None:
        if "dropout" not in accepted:
            raise ConfigError(f"dropout: model {name!r} has no dropout argument; accepted: {', '.join(sorted(accepted))}")
        kw["dropout"] = cfg.dropout
    section = model_family_section(name)
    sections = {"efficientnet": {k: v for k, v in vars(cfg.efficientnet).items() if v is not None},
                "vit": {k: v for k, v in vars(cfg.vit).items() if v is not None},
                "blocks": {k: v for k, v in vars(cfg.blocks).items() if v is not None},
                "cells": dict(cfg.cells)}
    for sec, values in sections.items():
        if sec != section and values and dist.is_main():
            log(f"ignoring {', '.join(sec + '.' + k for k in values)}: model {name} is not in the {sec} family")
    for k, v in sections.get(section, {}).items():
        key = match_kwarg(k, accepted)
        if key is None:
            raise ConfigError(f"{section}.{k}: model {name!r} does not take {k!r}; accepted: {', '.join(sorted(accepted))}")
        kw[key] = _load_block_config(v) if section == "blocks" and key == "config" else v
    kw.update(cfg.model_args)
    return kw


def build_model(name: str, num_classes: int, kwargs: dict[str, Any]) -> nn.Module:
    from trainer.models import registry
    try:
        return registry.create_model(name, num_classes, **kwargs)
    except ConfigError:
        raise
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"model {name!r} with {kwargs}: {exc}") from None


def model_complexity(model: nn.Module, channels: int, image_size: int) -> tuple[int, int]:
    from trainer.models import complexity
    params = int(complexity.count_params(model))
    try:
        macs = int(complexity.count_macs(model, (1, channels, image_size, image_size)))
    except Exception as exc:   # complexity is informative; never fail a trial over it
        logger.warning("could not count MACs: %s", exc)
        macs = 0
    return params, macs


# ---------------------------------------------------------------- metrics

@dataclass
class Tally:
    """Device-side sums for one pass; reduced over ranks before reading."""

    num_classes: int
    device: torch.device
    loss_sum: torch.Tensor = field(init=False)
    count: torch.Tensor = field(init=False)
    top5: torch.Tensor = field(init=False)
    confusion: torch.Tensor = field(init=False)

    def __post_init__(self) -> None:
        z = lambda: torch.zeros((), dtype=torch.float64, device=self.device)  # noqa: E731
        self.loss_sum, self.count, self.top5 = z(), z(), z()
        self.confusion = torch.zeros(self.num_classes * self.num_classes, dtype=torch.float64, device=self.device)

    def add(self, logits: torch.Tensor, target: torch.Tensor, loss: torch.Tensor) -> None:
        n = target.shape[0]
        self.loss_sum += loss.detach().double() * n
        self.count += n
        pred = logits.detach().argmax(dim=1)
        self.confusion += torch.bincount(target * self.num_classes + pred,
                                         minlength=self.num_classes ** 2).double()
        if self.num_classes >= 5:
            top = logits.detach().topk(5, dim=1).indices
            self.top5 += (top == target[:, None]).any(dim=1).sum().double()

    def reduce(self) -> dict[str, float]:
        packed = torch.cat([torch.stack([self.loss_sum, self.count, self.top5]), self.confusion])
        dist.all_reduce_sum(packed)
        loss_sum, count, top5 = packed[:3].tolist()
        cm = packed[3:].view(self.num_classes, self.num_classes).cpu()
        count = max(count, 1.0)
        tp = cm.diag()
        precision = tp / cm.sum(0).clamp(min=1e-12)
        recall = tp / cm.sum(1).clamp(min=1e-12)
        f1 = torch.where(precision + recall > 0, 2 * precision * recall / (precision + recall), torch.zeros_like(tp))
        present = (cm.sum(0) + cm.sum(1)) > 0          # as sklearn: labels in truth or predictions
        out = {"loss": loss_sum / count, "accuracy": float(tp.sum()) / count,
               "f1": float(f1[present].mean()) if present.any() else 0.0}
        if self.num_classes >= 5:
            out["top5"] = top5 / count
        return out


# ---------------------------------------------------------------- the run

@dataclass
class RunState:
    epoch: int = 0               # completed epochs
    global_step: int = 0
    best_value: float | None = None
    best_epoch: int = -1


class Trainer:
    def __init__(self, cfg: TrainConfig, resume_ckpt: dict[str, Any] | None = None):
        self.cfg = cfg
        self.resume = resume_ckpt
        self.device = select_device(cfg)
        self.threads = set_threads(cfg)
        dist.init(self.device)
        self.rank, self.world = dist.rank(), dist.world_size()
        self.main = self.rank == 0
        seed_everything(cfg.seed + self.rank, cfg.deterministic)
        self.amp_dtype = resolve_amp(cfg, self.device)
        self.out = Path(self._output_dir())
        self.state = RunState()

    def _output_dir(self) -> str:
        out = self.cfg.out or os.path.join("runs", f"{datetime.now():%Y%m%d-%H%M%S}-{self.cfg.model}")
        out = dist.broadcast_object(out)
        self.cfg.out = out
        return out

    # -- data
    def _prepare_data(self):
        from trainer.data import DataConfig, prepare_data
        cfg = self.cfg
        if not cfg.data:
            raise ConfigError("data: no dataset given; use --data DIR|CSV (or a `data:` key in --config)")
        dcfg = DataConfig(path=cfg.data, image_size=input_size(cfg), val_ratio=cfg.val_ratio, split=cfg.split,
                          seed=cfg.seed, augment=cfg.augment, cache=cfg.cache, cache_dir=cfg.cache_dir,
                          skip_corrupt=cfg.skip_corrupt, channels=cfg.channels)
        # Rank 0 builds the decoded cache; the others wait and reuse it.
        bundle = prepare_data(dcfg) if self.main else None
        dist.barrier()
        if not self.main:
            bundle = prepare_data(dcfg)
        if cfg.num_classes is not None and cfg.num_classes != len(bundle.classes):
            raise ConfigError(f"num_classes: {cfg.num_classes} given but the data in {cfg.data} has "
                              f"{len(bundle.classes)} classes ({', '.join(bundle.classes[:10])}"
                              f"{', ...' if len(bundle.classes) > 10 else ''})")
        if bundle.skipped and self.main:
            log(f"skipped {len(bundle.skipped)} unreadable images (skip_corrupt)")
        return bundle

    def _loaders(self, bundle) -> tuple[DataLoader, DataLoader, EpochSampler]:
        cfg = self.cfg
        workers = cfg.workers if cfg.workers >= 0 else auto_workers(self.device)
        weights = class_balanced_weights(bundle.train_targets) if cfg.sampler == "weighted" else None
        sampler = EpochSampler(len(bundle.train), cfg.seed, self.rank, self.world, weights)
        common = dict(num_workers=workers, pin_memory=self.device.type == "cuda",
                      persistent_workers=workers > 0 and not cfg.deterministic)
        if workers > 0:
            common["prefetch_factor"] = 4
        self._loader_gen = torch.Generator()
        train_ds, train_collate = loader_dataset(bundle.train)
        train = DataLoader(train_ds, batch_size=cfg.batch_size, sampler=sampler, collate_fn=train_collate,
                           drop_last=len(sampler) > cfg.batch_size, generator=self._loader_gen, **common)
        val_idx = list(range(self.rank, len(bundle.val), self.world))
        val_ds, val_collate = loader_dataset(bundle.val)
        val = DataLoader(val_ds, batch_size=cfg.batch_size * 2, sampler=val_idx, collate_fn=val_collate, **common)
        return train, val, sampler

    # -- main
    def run(self) -> dict[str, Any]:
        cfg, main = self.cfg, self.main
        from trainer.models import registry
        # Model name and kwargs are checked before the (possibly long) data preparation.
        name = resolve_model_name(cfg.model, registry.list_models())
        kwargs = model_kwargs_for(cfg, name, cfg.channels)
        bundle = self._prepare_data()
        classes, channels = list(bundle.classes), bundle.channels
        num_classes = len(classes)
        best_metric, best_mode = self._best_spec(num_classes)
        model = build_model(name, num_classes, kwargs)
        size = input_size(cfg)
        params, macs = model_complexity(model, channels, size)
        if self.resume is not None:
            ckpt_io.check_compatible(self.resume, model_name=name, model_kwargs=kwargs, classes=classes,
                                     image_size=size, channels=channels, source="--resume")
            model.load_state_dict(self.resume["model"])
        elif cfg.init_weights:
            from trainer.models import registry as reg
            skipped = reg.load_pretrained(model, cfg.init_weights)
            if main:
                shown = ", ".join(skipped[:12]) + (f", ... ({len(skipped)} in all)" if len(skipped) > 12 else "")
                log(f"init weights from {cfg.init_weights}; kept the fresh initialisation for "
                    f"{len(skipped)} keys" + (f": {shown}" if skipped else ""))

        channels_last = cfg.channels_last and self.device.type == "cuda"
        model.to(self.device, memory_format=torch.channels_last if channels_last else torch.preserve_format)
        raw_model = model
        if self.world > 1:
            model = nn.parallel.DistributedDataParallel(
                model, device_ids=[self.device.index] if self.device.type == "cuda" else None)
        if cfg.compile:
            model = torch.compile(model)

        train_loader, val_loader, sampler = self._loaders(bundle)
        steps_per_epoch = len(train_loader)
        optimizer = build_optimizer(raw_model, cfg)
        scheduler = build_scheduler(optimizer, cfg, steps_per_epoch)
        scaler = torch.amp.GradScaler("cuda") if self.amp_dtype == torch.float16 else None
        weights = class_weights_from(cfg.class_weights, bundle.train_targets, num_classes)
        criterion = create_loss(cfg.loss, num_classes, focal_gamma=cfg.focal_gamma, smoothing=cfg.smoothing,
                                class_weights=weights).to(self.device)

        if self.resume is not None:
            r = self.resume
            optimizer.load_state_dict(r["optimizer"])
            scheduler.load_state_dict(r["scheduler"])
            if scaler is not None and r.get("scaler"):
                scaler.load_state_dict(r["scaler"])
            best = r.get("best") or {}
            self.state = RunState(epoch=int(r["epoch"]), global_step=int(r["global_step"]),
                                  best_value=best.get("value"), best_epoch=int(best.get("epoch", -1)))
            if self.world == 1:
                ckpt_io.set_rng_state(r["rng"])   # exact continuation (per-rank states are not saved)
            if main:
                log(f"resumed from epoch {self.state.epoch} of {cfg.epochs} ({cfg.resume})")

        reporter = self._reporter() if main else None
        meta = dict(classes=classes, model_name=name, model_kwargs=kwargs, mean=list(bundle.mean),
                    std=list(bundle.std), image_size=size, channels=channels, params=params, macs=macs)
        if main:
            self.out.mkdir(parents=True, exist_ok=True)
            (self.out / "config.json").write_text(config_json(cfg) + "\n", encoding="utf-8")
            log(f"model {name} {kwargs}: {params:,} parameters, {macs:,} MACs per image; "
                f"{len(bundle.train)} train / {len(bundle.val)} val images, {num_classes} classes; "
                f"device {self.device} ({self.threads} CPU threads), world size {self.world}, amp {self.amp_dtype or 'off'}; output {self.out}")
            reporter.report({"params": params, "macs": macs})

        last_metrics: dict[str, Any] = {}
        epochs_this_run = 0
        try:
            for epoch in range(self.state.epoch, cfg.epochs):
                t0 = time.perf_counter()
                sampler.set_epoch(epoch)
                self._loader_gen.manual_seed(cfg.seed * 7919 + epoch)
                train_m = self._train_epoch(model, train_loader, optimizer, scheduler, scaler, criterion,
                                            bundle, num_classes, channels_last, epoch)
                dist.broadcast_buffers(raw_model)
                val_m = self._evaluate(raw_model, val_loader, criterion, bundle, num_classes, channels_last)
                elapsed = time.perf_counter() - t0
                metrics: dict[str, Any] = {"epoch": epoch + 1, "accuracy": val_m["accuracy"], "loss": val_m["loss"]}
                if "top5" in val_m:
                    metrics["top5"] = val_m["top5"]
                metrics.update(f1=val_m["f1"], val_accuracy=val_m["accuracy"], val_loss=val_m["loss"],
                               train_loss=train_m["loss"], train_accuracy=train_m["accuracy"],
                               lr=train_m["lr"], epoch_time=round(elapsed, 3))
                if cfg.score_params_budget or cfg.score_macs_budget:  # scalarised objective for Katib
                    metrics["score"] = penalised_score(val_m["accuracy"], params, macs,
                                                       params_budget=cfg.score_params_budget,
                                                       macs_budget=cfg.score_macs_budget, weight=cfg.score_lambda)
                self.state.epoch = epoch + 1
                improved = self._update_best(metrics, best_metric, best_mode)
                if main:
                    kept, dropped = finite_only(metrics)
                    if dropped:
                        log(f"not reporting non-finite {', '.join(dropped)}")
                    reporter.report(kept, step=epoch + 1)
                    self._save(raw_model, optimizer, scheduler, scaler, meta, metrics, improved,
                               best_metric, best_mode)
                last_metrics = metrics
                epochs_this_run += 1
                if cfg.stop_after_epochs and epochs_this_run >= cfg.stop_after_epochs and self.state.epoch < cfg.epochs:
                    if main:
                        log(f"stopping after {epochs_this_run} epoch(s) as asked; resume with --resume {self.out}")
                    break
        finally:
            if reporter is not None:
                reporter.close()
        summary = self._summary(last_metrics, best_metric, best_mode, meta)
        dist.barrier()
        return summary

    def _best_spec(self, num_classes: int) -> tuple[str, str]:
        metric = self.cfg.best_metric
        if metric == "top5" and num_classes < 5:
            raise ConfigError(f"best_metric: top5 is not reported for {num_classes} classes (needs at least 5)")
        mode = self.cfg.best_mode
        if mode == "auto":
            mode = "min" if metric.endswith("loss") else "max"
        return metric, mode

    def _update_best(self, metrics: dict[str, Any], metric: str, mode: str) -> bool:
        value = metrics.get(metric)
        if value is None or not math.isfinite(value):
            return False
        best = self.state.best_value
        if best is None or (value > best if mode == "max" else value < best):
            self.state.best_value, self.state.best_epoch = float(value), int(metrics["epoch"])
            return True
        return False

    def _reporter(self) -> MetricsReporter:
        cfg = self.cfg
        tb = str(self.out / "tensorboard") if cfg.tensorboard else None
        return MetricsReporter(metrics_file=cfg.metrics_file, metrics_format=cfg.metrics_format,
                               timestamps=cfg.metrics_timestamps, tensorboard_dir=tb)

    def _batch(self, x: torch.Tensor, bundle, channels_last: bool) -> torch.Tensor:
        from trainer.data import normalize_batch
        x = normalize_batch(x.to(self.device, non_blocking=True), bundle.mean, bundle.std)
        return x.contiguous(memory_format=torch.channels_last) if channels_last else x

    def _autocast(self):
        if self.amp_dtype is None:
            return nullcontext()
        return torch.autocast(self.device.type, dtype=self.amp_dtype)

    def _train_epoch(self, model, loader, optimizer, scheduler, scaler, criterion, bundle, num_classes,
                     channels_last, epoch) -> dict[str, float]:
        model.train()
        tally = Tally(num_classes, self.device)
        clip = self.cfg.grad_clip
        lr = optimizer.param_groups[0]["lr"]
        for step, (x, y) in enumerate(loader):
            x = self._batch(x, bundle, channels_last)
            y = y.to(self.device, non_blocking=True)
            lr = optimizer.param_groups[0]["lr"]
            with self._autocast():
                logits = model(x)
                loss = criterion(logits.float(), y)
            optimizer.zero_grad(set_to_none=True)
            if scaler is not None:
                scaler.scale(loss).backward()
                if clip > 0:
                    scaler.unscale_(optimizer)
                    nn.utils.clip_grad_norm_(model.parameters(), clip)
                scaler.step(optimizer)
                scaler.update()
            else:
                loss.backward()
                if clip > 0:
                    nn.utils.clip_grad_norm_(model.parameters(), clip)
                optimizer.step()
            scheduler.step()
            self.state.global_step += 1
            tally.add(logits, y, loss)
            if (step + 1) % NAN_CHECK_EVERY == 0 or step + 1 == len(loader):
                self._check_finite(tally.loss_sum, epoch, step)
        out = tally.reduce()
        out["lr"] = lr
        return out

    def _check_finite(self, loss_sum: torch.Tensor, epoch: int, step: int) -> None:
        flag = (~torch.isfinite(loss_sum)).double().reshape(1)
        dist.all_reduce_sum(flag)
        if flag.item() > 0:
            raise TrainingDiverged(
                f"training diverged: the loss became NaN or infinite in epoch {epoch + 1} (by step {step + 1}); "
                f"lower the learning rate (lr {self.cfg.lr}), add warm-up or gradient clipping, or use amp off")

    @torch.no_grad()
    def _evaluate(self, model, loader, criterion, bundle, num_classes, channels_last) -> dict[str, float]:
        model.eval()
        tally = Tally(num_classes, self.device)
        for x, y in loader:
            x = self._batch(x, bundle, channels_last)
            y = y.to(self.device, non_blocking=True)
            with self._autocast():
                logits = model(x)
            logits = logits.float()
            tally.add(logits, y, criterion(logits, y))
        return tally.reduce()

    def _save(self, raw_model, optimizer, scheduler, scaler, meta, metrics, improved, best_metric, best_mode):
        state = {
            "format": ckpt_io.FORMAT,
            "epoch": self.state.epoch,
            "global_step": self.state.global_step,
            "model": raw_model.state_dict(),
            "optimizer": optimizer.state_dict(),
            "scheduler": scheduler.state_dict(),
            "scaler": scaler.state_dict() if scaler is not None else {},
            "rng": ckpt_io.rng_state(),
            "config": self.cfg.to_dict(),
            "metrics": {k: float(v) for k, v in metrics.items()},
            "best": {"metric": best_metric, "mode": best_mode, "value": self.state.best_value,
                     "epoch": self.state.best_epoch},
            **meta,
        }
        ckpt_io.save_atomic(state, self.out / ckpt_io.LAST)
        if improved:
            ckpt_io.copy_atomic(self.out / ckpt_io.LAST, self.out / ckpt_io.BEST)

    def _summary(self, last: dict[str, Any], best_metric: str, best_mode: str, meta: dict[str, Any]) -> dict[str, Any]:
        summary = {"epochs_completed": self.state.epoch, "epochs": self.cfg.epochs,
                   "best": {"metric": best_metric, "mode": best_mode, "value": self.state.best_value,
                            "epoch": self.state.best_epoch},
                   "final": last, "model": meta["model_name"], "model_kwargs": meta["model_kwargs"],
                   "params": meta["params"], "macs": meta["macs"], "classes": meta["classes"],
                   "output": str(self.out)}
        if self.main:
            (self.out / "summary.json").write_text(json.dumps(summary, indent=2, default=str) + "\n", encoding="utf-8")
        return summary


def train(cfg: TrainConfig, resume_ckpt: dict[str, Any] | None = None) -> dict[str, Any]:
    """Run a training job; returns the summary (also written to <out>/summary.json)."""
    try:
        return Trainer(cfg, resume_ckpt).run()
    finally:
        dist.shutdown()
