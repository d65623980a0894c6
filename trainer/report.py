"""Metric lines in the formats Katib's collectors parse (stdout/TEXT file, JSON file) + TensorBoard.

Metric names (one line per epoch, plus one `params=... macs=...` line at start):
  unprefixed = the validation split: `accuracy`, `loss`, `top5`, `f1` (also `val_accuracy`, `val_loss`),
  and `score` (accuracy penalised by model size, see `penalised_score`) when a score budget is set;
  `train_` prefix = the training split: `train_loss`, `train_accuracy`; plus `epoch`, `lr`.
Names use only word characters and `-`, so Katib's default regex `([\\w|-]+)\\s*=\\s*(...)` reads each one
whole (a name with `/` or `.` would be cut, e.g. `val/loss` would be read as `loss`).

Imports only the standard library at module level: kubetune's NNI shim reuses `format_metrics`.
"""

from __future__ import annotations

import json
import math
import os
import re
import sys
from datetime import datetime, timezone
from typing import IO, Any, Mapping

# Katib's default StdOut/File TEXT filter (katib-semantics.md 5.2).
KATIB_DEFAULT_REGEX = r"([\w|-]+)\s*=\s*([+-]?\d*(\.\d+)?([Ee][+-]?\d+)?)"
_NAME_RE = re.compile(r"[A-Za-z0-9_|-]+")
_RESERVED = {"timestamp"}   # the JSON collector reads it as the time of the line


def format_value(value: Any) -> str:
    """A number as the default regex reads it back in full (ints exact, floats to 6 significant digits)."""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):   # numpy / torch scalars
        return format_value(value.item())
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"metric value {value!r} is not finite; Katib cannot parse it")
        if value == int(value) and abs(value) < 1e15:
            return str(int(value))
        return format(value, ".6g")
    raise ValueError(f"metric value {value!r} is not a number")


def check_name(name: str) -> str:
    if not isinstance(name, str) or not _NAME_RE.fullmatch(name) or name in _RESERVED:
        raise ValueError(f"metric name {name!r} cannot be read by Katib's default regex; use letters, digits, "
                         "'_' or '-' only (no '/', '.', spaces) and not 'timestamp'")
    return name


def format_metrics(metrics: Mapping[str, Any]) -> str:
    """`{'epoch': 3, 'accuracy': 0.87}` -> `'epoch=3 accuracy=0.87'` (Katib StdOut / File TEXT)."""
    return " ".join(f"{check_name(k)}={format_value(v)}" for k, v in metrics.items())


def format_json_metrics(metrics: Mapping[str, Any], timestamp: str | None = None) -> str:
    """One JSON line with every value as a quoted string, as Katib's JSON collector requires."""
    obj = {check_name(k): format_value(v) for k, v in metrics.items()}
    if timestamp:
        obj["timestamp"] = timestamp
    return json.dumps(obj, separators=(", ", ": "))


def rfc3339_now() -> str:
    """UTC time that Katib's collector parses as the line's timestamp (RFC3339 with fraction)."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def penalised_score(accuracy: float, params: int, macs: int, *, params_budget: int = 0, macs_budget: int = 0,
                    weight: float = 0.1) -> float:
    """The scalarised "small model, good accuracy" objective Katib can optimise on its own:

        score = accuracy - weight * (max(0, ln(params / params_budget)) + max(0, ln(macs / macs_budget)))

    A budget of 0 drops its term. Below budget a model is not rewarded, above it each doubling of
    size costs weight * ln 2 (0.069 with the default weight 0.1) of accuracy."""
    penalty = 0.0
    for size, budget in ((params, params_budget), (macs, macs_budget)):
        if budget > 0 and size > budget:
            penalty += math.log(size / budget)
    return float(accuracy) - weight * penalty


def finite_only(metrics: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """Split off values that cannot be reported (NaN/inf) so one bad value does not lose the line."""
    kept, dropped = {}, []
    for k, v in metrics.items():
        try:
            format_value(v)
            kept[k] = v
        except ValueError:
            dropped.append(k)
    return kept, dropped


class MetricsReporter:
    """Writes each report as one stdout line and, optionally, one metrics-file line and TB scalars."""

    def __init__(self, stream: IO[str] | None = None, metrics_file: str | None = None,
                 metrics_format: str = "text", timestamps: bool = True, tensorboard_dir: str | None = None):
        if metrics_format not in ("text", "json"):
            raise ValueError(f"metrics_format must be text or json, got {metrics_format!r}")
        self.stream = stream if stream is not None else sys.stdout
        self.format = metrics_format
        self.timestamps = timestamps
        self._file: IO[str] | None = None
        if metrics_file:
            parent = os.path.dirname(os.path.abspath(metrics_file))
            os.makedirs(parent, exist_ok=True)
            self._file = open(metrics_file, "a", encoding="utf-8", buffering=1)
        self._tb = None
        self._tb_dir = tensorboard_dir

    def report(self, metrics: Mapping[str, Any], step: int | None = None) -> str:
        """Emit one report; returns the TEXT line (without timestamp)."""
        text = format_metrics(metrics)
        stamp = rfc3339_now() if self.timestamps else None
        line = f"{stamp} {text}" if stamp else text
        self.stream.write(line + "\n")   # one write per line so logs never interleave inside it
        self.stream.flush()
        if self._file is not None:
            self._file.write((line if self.format == "text" else format_json_metrics(metrics, stamp)) + "\n")
            self._file.flush()
        if self._tb_dir and step is not None:
            self._tensorboard(metrics, step)
        return text

    def _tensorboard(self, metrics: Mapping[str, Any], step: int) -> None:
        if self._tb is None:
            from torch.utils.tensorboard import SummaryWriter   # lazy: heavy import
            self._tb = SummaryWriter(log_dir=self._tb_dir)
        for k, v in metrics.items():
            if k != "epoch":
                self._tb.add_scalar(k, float(v), step)   # same names as the metric lines
        self._tb.flush()

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
        if self._tb is not None:
            self._tb.close()
            self._tb = None


def log(message: str, stream: IO[str] | None = None) -> None:
    """Human-readable progress on stderr. '=' is replaced so no log line reads as `name=value`
    to a Katib collector (StdOut collects stdout and stderr together and parses every line)."""
    (stream or sys.stderr).write("[trainer] " + message.replace("=", ":") + "\n")
    (stream or sys.stderr).flush()
