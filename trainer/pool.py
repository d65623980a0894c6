"""The checkpoint pool: a promoted configuration continues a shorter run instead of starting over.

Multi-fidelity searches (hyperband, ASHA, BOHB) train a configuration for 1 epoch, then promote the
good ones to 3, 9, ... epochs. With `--checkpoint-pool DIR` (or $KUBETUNE_CHECKPOINT_POOL) a trial

  1. computes its configuration key (`config_key`): a hash of its resolved config without the
     budget (`epochs`) and without options that only say where or how to run (NOT_IN_KEY);
  2. resumes from the deepest checkpoint DIR/<key>/epoch-<e>.pt with e <= its --epochs (the
     ordinary bit-exact resume) and trains epochs e+1 .. --epochs only;
  3. publishes its last checkpoint as DIR/<key>/epoch-<E>.pt when it ends, unless a deeper one is
     already there, and then removes the shallower ones.

Publishing copies (or hard-links) into a temp file in DIR/<key>/ and renames it: readers never see
half a file and need no lock. Publishers of one key serialise on DIR/<key>/.lock (flock), so two
trials finishing together keep the deeper checkpoint. A reader that finds a file removed under it
lists the directory again. A schedule that depends on the total number of epochs (cosine,
onecycle) is rebuilt for the new total on continuation: the first e epochs followed the shorter
schedule, so the result differs from a from-scratch run of the longer budget, as in every
hyperband/ASHA implementation that continues training; constant and step schedules match exactly.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import tempfile
import uuid
from pathlib import Path
from typing import Any, Iterator

from trainer import checkpoint as ckpt_io
from trainer.booleans import is_off_path
from trainer.config.schema import TrainConfig
from trainer.errors import CheckpointError
from trainer.report import log

ENV = "KUBETUNE_CHECKPOINT_POOL"
KEY_VERSION = 1
# Options that say where or how a run goes, not what it trains: they do not change the key.
NOT_IN_KEY = ("epochs", "out", "resume", "stop_after_epochs", "checkpoint_pool", "threads", "device", "gpu",
              "workers", "cache", "cache_dir", "deterministic", "channels_last", "compile", "metrics_file",
              "metrics_format", "metrics_timestamps", "tensorboard", "best_metric", "best_mode",
              "score_params_budget", "score_macs_budget", "score_lambda")
_FILE = re.compile(r"epoch-(\d+)\.pt")


def config_key(cfg: TrainConfig) -> str:
    """A stable hash of what the configuration trains; the data path (made absolute) is part of it."""
    d = cfg.to_dict()
    for k in NOT_IN_KEY:
        d.pop(k, None)
    if d.get("data") and "://" not in d["data"]:
        d["data"] = os.path.abspath(d["data"])
    blob = json.dumps({"version": KEY_VERSION, "config": d}, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:24]


def pool_root(cfg: TrainConfig) -> Path | None:
    """--checkpoint-pool, else $KUBETUNE_CHECKPOINT_POOL; None when off: empty, "none" or a false word
    of trainer.booleans (off, false, 0, no, ...)."""
    value = cfg.checkpoint_pool if cfg.checkpoint_pool is not None else os.environ.get(ENV, "")
    return None if is_off_path(value) else Path(value)


class CheckpointPool:
    def __init__(self, root: Path, key: str):
        self.root, self.key = Path(root), key
        self.dir = self.root / key

    def entries(self) -> list[tuple[int, Path]]:
        """(epoch, file) of the published checkpoints, deepest first."""
        try:
            names = os.listdir(self.dir)
        except FileNotFoundError:
            return []
        found = [(int(m.group(1)), self.dir / n) for n in names if (m := _FILE.fullmatch(n))]
        return sorted(found, reverse=True)

    def find(self, max_epochs: int) -> tuple[dict[str, Any], Path] | None:
        """The deepest checkpoint of this key trained for at most `max_epochs` epochs, and its file."""
        for _ in range(5):   # a publisher may remove a file between listing and loading: list again
            usable = [(e, p) for e, p in self.entries() if e <= max_epochs]
            if not usable:
                return None
            epoch, path = usable[0]
            try:
                ckpt = ckpt_io.load(path)
            except CheckpointError as exc:
                if path.exists():
                    log(f"checkpoint pool: ignoring {path}: {exc}")
                    return None
                continue
            if ckpt.get("config_key") != self.key or int(ckpt["epoch"]) != epoch:
                log(f"checkpoint pool: ignoring {path}: written for configuration key "
                    f"{ckpt.get('config_key')!r} at epoch {ckpt['epoch']}")
                return None
            return ckpt, path
        return None

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        import fcntl
        with open(self.dir / ".lock", "a+b") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def publish(self, source: Path, epoch: int, config: dict[str, Any]) -> bool:
        """Make `source` (a checkpoint of `epoch` epochs) this key's entry unless one as deep is there."""
        self.dir.mkdir(parents=True, exist_ok=True)
        with self._locked():
            deepest = max((e for e, _ in self.entries()), default=-1)
            if deepest >= epoch:
                log(f"checkpoint pool: {self.dir} already holds epoch {deepest}; not publishing epoch {epoch}")
                return False
            target = self.dir / f"epoch-{epoch:06d}.pt"
            tmp = self.dir / f".publish.{uuid.uuid4().hex}.tmp"
            try:
                try:
                    os.link(source, tmp)        # same file system: no copy (the run replaces, never rewrites, it)
                except OSError:
                    shutil.copyfile(source, tmp)
                os.replace(tmp, target)
            except BaseException:
                tmp.unlink(missing_ok=True)
                raise
            for e, path in self.entries():
                if e < epoch:
                    path.unlink(missing_ok=True)
            info = self.dir / "config.json"
            if not info.exists():
                text = json.dumps({"key": self.key, "config": config}, indent=2, default=str) + "\n"
                fd, tmp = tempfile.mkstemp(prefix=".config.", suffix=".tmp", dir=self.dir)
                with os.fdopen(fd, "w", encoding="utf-8") as fh:
                    fh.write(text)
                os.replace(tmp, info)
        log(f"checkpoint pool: published epoch {epoch} as {target}")
        return True


def open_pool(cfg: TrainConfig) -> CheckpointPool | None:
    root = pool_root(cfg)
    return None if root is None else CheckpointPool(root, config_key(cfg))
