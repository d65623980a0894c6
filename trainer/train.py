"""The training run: data -> model -> epochs of train + validate -> metric line + checkpoints.

One process, or one rank of a torchrun launch (DDP; only rank 0 reports, logs and writes files).
`Trainer.run` wires the parts together, each in its own module: runtime (device, precision,
threads, seeding), loaders (data and sampling), model_setup (kwargs, model, size), epoch (one
training epoch), evaluation (the validation pass), run_state (best epoch, checkpoints, resume),
run_report (metric lines, summary.json), batchnorm (BN momentum, precise BN), pool (continuing a
shorter run of the same configuration from the checkpoint pool, publishing this one there).
"""

from __future__ import annotations

import math
import os
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import torch
import torch.nn as nn

from trainer import checkpoint as ckpt_io
from trainer import distributed as dist
from trainer.batchnorm import chosen_momentum, set_momentum
from trainer.batches import BatchPrep
from trainer.config.build import config_json
from trainer.config.schema import TrainConfig
from trainer.config.validation import ignored_options
from trainer.errors import CheckpointError
from trainer.epoch import Optimisation, train_epoch
from trainer.evaluation import Evaluator
from trainer.loaders import build_loaders, prepare_run_data
from trainer.losses import class_weights_from, create_loss
from trainer.model_setup import build_model, input_size, model_complexity, model_kwargs_for
from trainer.models import registry
from trainer.optim import build_optimizer, build_scheduler
from trainer.pool import config_key, open_pool
from trainer.report import log
from trainer.run_report import epoch_metrics, make_reporter, report_epoch, run_summary, write_summary
from trainer.run_state import RunState, best_rule, restore, save_checkpoint, update_best
from trainer.runtime import resolve_amp, seed_everything, select_device, set_threads


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
        self.key = config_key(cfg)
        self.pool = open_pool(cfg)
        self.pool_file: Path | None = None   # the pool checkpoint this run continues
        if self.resume is None and self.pool is not None:
            # rank 0 chooses (a trial of the same key may be publishing right now); the others load its choice
            found = self.pool.find(cfg.epochs) if self.main else None
            chosen = dist.broadcast_object(str(found[1]) if found else None)
            if chosen is not None:
                self.resume = found[0] if found else ckpt_io.load(chosen)
                self.pool_file = Path(chosen)

    def _output_dir(self) -> str:
        out = self.cfg.out or os.path.join("runs", f"{datetime.now():%Y%m%d-%H%M%S}-{self.cfg.model}")
        out = dist.broadcast_object(out)
        self.cfg.out = out
        return out

    def _prepare_data(self):
        return prepare_run_data(self.cfg, self.main)

    def _load_weights(self, model: nn.Module, name: str, kwargs: dict[str, Any], classes: list[str], size: int,
                      channels: int) -> None:
        """The resumed checkpoint's weights, or --init-weights (head skipped when shapes differ)."""
        cfg = self.cfg
        if self.resume is not None:
            try:
                ckpt_io.check_compatible(self.resume, model_name=name, model_kwargs=kwargs, classes=classes,
                                         image_size=size, channels=channels,
                                         source="--resume" if self.pool_file is None else str(self.pool_file))
            except CheckpointError as exc:
                if self.pool_file is None:
                    raise
                if self.main:
                    log(f"checkpoint pool: not continuing ({exc}); training from scratch")
                self.resume = self.pool_file = None
        if self.resume is not None:
            model.load_state_dict(self.resume["model"])
        elif cfg.init_weights:
            from trainer.models.pretrained import load_pretrained
            skipped = load_pretrained(model, cfg.init_weights)
            if self.main:
                shown = ", ".join(skipped[:12]) + (f", ... ({len(skipped)} in all)" if len(skipped) > 12 else "")
                log(f"init weights from {cfg.init_weights}; kept the fresh initialisation for "
                    f"{len(skipped)} keys" + (f": {shown}" if skipped else ""))

    def run(self) -> dict[str, Any]:
        cfg, main = self.cfg, self.main
        # Model name and kwargs are checked before the (possibly long) data preparation.
        name = registry.resolve_model_name(cfg.model, registry.list_models())
        kwargs = model_kwargs_for(cfg, name, cfg.channels)
        bundle = self._prepare_data()
        classes, channels = list(bundle.classes), bundle.channels
        num_classes = len(classes)
        best_metric, best_mode = best_rule(cfg, num_classes)
        model = build_model(name, num_classes, kwargs)
        size = input_size(cfg)
        params, macs = model_complexity(model, channels, size)
        self._load_weights(model, name, kwargs, classes, size, channels)
        bn_note = self._configure_batchnorm(model, name)

        channels_last = cfg.channels_last and self.device.type == "cuda"
        model.to(self.device, memory_format=torch.channels_last if channels_last else torch.preserve_format)
        raw_model = model
        if self.world > 1:
            model = nn.parallel.DistributedDataParallel(
                model, device_ids=[self.device.index] if self.device.type == "cuda" else None)
        if cfg.compile:
            model = torch.compile(model)

        loaders = build_loaders(cfg, bundle, self.device, self.rank, self.world)
        optimizer = build_optimizer(raw_model, cfg)
        scheduler = build_scheduler(optimizer, cfg, len(loaders.train))
        scaler = torch.amp.GradScaler("cuda") if self.amp_dtype == torch.float16 else None
        weights = class_weights_from(cfg.class_weights, bundle.train_targets, num_classes)
        criterion = create_loss(cfg.loss, num_classes, focal_gamma=cfg.focal_gamma, smoothing=cfg.smoothing,
                                class_weights=weights).to(self.device)
        opt = Optimisation(optimizer, scheduler, scaler, criterion, cfg.grad_clip)
        batches = BatchPrep(self.device, bundle.mean, bundle.std, channels_last, self.amp_dtype)
        bn_batches = cfg.precise_bn_batches if bn_note else 0
        evaluate = Evaluator(loaders.val, criterion, batches, num_classes,
                             bn_loader=loaders.first_batches(bn_batches), bn_batches=bn_batches)

        if self.resume is not None:
            self.state = restore(self.resume, optimizer, scheduler, scaler, self.world)
            if self.pool_file is not None:
                self._start_best_from_continued(best_metric)
            if main:
                log(f"resumed from epoch {self.state.epoch} of {cfg.epochs} ({self.pool_file or cfg.resume})")
        start_epoch = self.state.epoch
        ignored = ignored_options(cfg)

        reporter = make_reporter(cfg, self.out) if main else None
        meta = dict(classes=classes, model_name=name, model_kwargs=kwargs, mean=list(bundle.mean),
                    std=list(bundle.std), image_size=size, channels=channels, params=params, macs=macs,
                    config_key=self.key)
        if main:
            self.out.mkdir(parents=True, exist_ok=True)
            (self.out / "config.json").write_text(config_json(cfg) + "\n", encoding="utf-8")
            log(f"model {name} {kwargs}: {params:,} parameters, {macs:,} MACs per image; "
                f"{len(bundle.train)} train / {len(bundle.val)} val images, {num_classes} classes; "
                f"device {self.device} ({self.threads} CPU threads), world size {self.world}, "
                f"amp {self.amp_dtype or 'off'}; {bn_note or 'no BatchNorm'}; output {self.out}")
            for note in ignored:
                log(f"warning: {note}")
            if self.pool is not None:
                self._announce_continuation(start_epoch)
            reporter.report({"params": params, "macs": macs})

        last_metrics: dict[str, Any] = {}
        epochs_this_run = 0
        try:
            for epoch in range(self.state.epoch, cfg.epochs):
                t0 = time.perf_counter()
                loaders.start_epoch(cfg.seed, epoch)
                train_m = train_epoch(model, loaders.train, opt, batches, num_classes, epoch, self.state,
                                      base_lr=cfg.lr)
                val_m = evaluate(raw_model)
                metrics = epoch_metrics(cfg, epoch, train_m, val_m, time.perf_counter() - t0, params, macs)
                self.state.epoch = epoch + 1
                improved = update_best(self.state, metrics, best_metric, best_mode)
                if main:
                    report_epoch(reporter, metrics)
                    save_checkpoint(self.out, cfg, self.state, raw_model, optimizer, scheduler, scaler, meta,
                                    metrics, improved, best_metric, best_mode)
                last_metrics = metrics
                epochs_this_run += 1
                if cfg.stop_after_epochs and epochs_this_run >= cfg.stop_after_epochs and self.state.epoch < cfg.epochs:
                    if main:
                        log(f"stopping after {epochs_this_run} epoch(s) as asked; resume with --resume {self.out}")
                    break
            if self.pool_file is not None and epochs_this_run == 0:
                # the pool already held the whole budget: report its last epoch so the trial has a result
                last_metrics = {k: int(v) if k == "epoch" else v for k, v in self.resume["metrics"].items()}
                if main:
                    report_epoch(reporter, last_metrics)
        finally:
            if reporter is not None:
                reporter.close()
        summary = run_summary(cfg, self.state, last_metrics, best_metric, best_mode, meta, self.out)
        summary.update(resumed_from_epoch=start_epoch, epochs_trained=epochs_this_run, config_key=self.key,
                       checkpoint_pool=str(self.pool.dir) if self.pool else None, ignored_options=ignored)
        if main:
            if self.pool is not None and epochs_this_run > 0:
                summary["published"] = self.pool.publish(self.out / ckpt_io.LAST, self.state.epoch, cfg.to_dict())
            write_summary(self.out, summary)
        dist.barrier()
        return summary

    def _configure_batchnorm(self, model: nn.Module, name: str) -> str:
        """BN momentum for this run (trainer.batchnorm); a note for the start line ('' without BatchNorm)."""
        cfg = self.cfg
        init = cfg.init_weights or ((self.resume or {}).get("config") or {}).get("init_weights")
        momentum = chosen_momentum(cfg.bn_momentum, registry.model_family(name), init)
        layers = set_momentum(model, momentum)
        if not layers:
            if cfg.bn_momentum is not None and self.main:
                log(f"warning: bn_momentum {cfg.bn_momentum} has no effect: model {name} has no BatchNorm layer")
            return ""
        precise = f"precise BN on {cfg.precise_bn_batches} batches" if cfg.precise_bn_batches else "precise BN off"
        shown = "the model's own" if momentum is None else f"{momentum:g}"
        return f"{layers} BatchNorm layers, momentum {shown}, {precise}"

    def _start_best_from_continued(self, metric: str) -> None:
        """A continued pool checkpoint's best was another trial's: this run's starts at its last epoch, and
        its output directory starts with that checkpoint as last.pt and best.pt (`--resume auto` after a
        kill continues from there; predict/export work even when nothing was left to train)."""
        value = (self.resume.get("metrics") or {}).get(metric)
        finite = value is not None and math.isfinite(value)
        self.state.best_value, self.state.best_epoch = (float(value), self.state.epoch) if finite else (None, -1)
        if self.main:
            self.out.mkdir(parents=True, exist_ok=True)
            for name in (ckpt_io.LAST, ckpt_io.BEST) if finite else (ckpt_io.LAST,):
                ckpt_io.copy_atomic(self.pool_file, self.out / name)

    def _announce_continuation(self, start_epoch: int) -> None:
        """One stdout line the search engine reads: how many of this run's epochs were already trained."""
        if self.pool_file is not None:
            log(f"checkpoint pool: continuing {self.pool_file}; training epochs {start_epoch + 1}..{self.cfg.epochs}")
        print(f"resumed_from_epoch={start_epoch}", flush=True)


def train(cfg: TrainConfig, resume_ckpt: dict[str, Any] | None = None) -> dict[str, Any]:
    """Run a training job; returns the summary (also written to <out>/summary.json)."""
    try:
        return Trainer(cfg, resume_ckpt).run()
    finally:
        dist.shutdown()
