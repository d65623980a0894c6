"""The metrics collector of one local trial: Katib's StdOut or File collector, fed as the trial runs.

StdOut: every line of the merged stdout+stderr is parsed as it arrives (the runner calls
`on_line`). File: the file the trial writes (Katib's `fileSystemPath.path`, by default
/var/log/katib/metrics.log) is mapped to `<trial dir>/metrics/<file name>` and tailed while the
trial runs (TEXT or JSON lines), then read to the end when it exits. Parsed logs are handed to the
engine in batches (`take`), which stores them and feeds early stopping.

While the trial has a frozen early-stopping rule, the collector also does what Katib's sidecar
(cmd/metricscollector/v1beta1/file-metricscollector, watchMetricsFile) does on each line that
contains the rule's metric: every name=value match of the filters must parse as a float (JSON: the
rule metric's string value), or the sidecar exits; that is reported as a CollectorFailure at its
place in the stream, and the engine decides what it means (trialmetrics.py).
"""
from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Callable

from kubetune.algorithms.earlystopping.rules import parse_sidecar_value

from .metrics.files import FileTailer
from .metrics.json_lines import JsonMetricParser
from .metrics.report import MetricLog, MetricsCollectionError
from .metrics.text import TextMetricParser

POLL_SECONDS = 0.2
PENDING_LIMIT = 20_000  # logs a trial's reader may hold for the engine before it waits
LOCAL_KINDS = ("StdOut", "File")


class CollectorError(ValueError):
    pass


def collector_kind(spec: dict) -> str:
    return ((spec or {}).get("collector") or {}).get("kind", "StdOut")


def check_supported(spec: dict) -> None:
    kind = collector_kind(spec)
    if kind not in LOCAL_KINDS:
        raise CollectorError(
            f"spec.metricsCollectorSpec.collector.kind: {kind} cannot run locally; use StdOut or File "
            "(the trainer writes both formats)"
        )
    fs = ((spec or {}).get("source") or {}).get("fileSystemPath") or {}
    if kind == "File" and fs.get("kind", "File") != "File":
        raise CollectorError("spec.metricsCollectorSpec.source.fileSystemPath.kind: only File is supported locally")


@dataclass(frozen=True)
class CollectorFailure:
    """Katib's collection fails here. `sidecar`: its early-stopping sidecar exits (only while a
    frozen rule is active: a value it cannot parse); `report`: the report itself fails (a JSON
    line that is not an object): no metrics are reported either way."""

    message: str
    sidecar: bool = False
    report: bool = False


@dataclass
class Batch:
    """What the engine takes from a collector at once: logs in report order, and the failures
    since the last take, each as (n, failure): it came after logs[:n]."""

    logs: list[MetricLog]
    failures: list[tuple[int, CollectorFailure]] = field(default_factory=list)


class TrialCollector:
    """Collects while the trial runs and hands the logs over in batches: the first log after a
    `take()` rings `notify()` (once), and the engine takes everything collected by then. A
    reader thread that gets more than PENDING_LIMIT logs ahead of the engine waits for it."""

    def __init__(self, spec: dict, metric_names: list[str], trial_dir: Path,
                 notify: Callable[[], None] = lambda: None, *, rule_metric: str | None = None):
        check_supported(spec)
        self.kind = collector_kind(spec)
        source = (spec or {}).get("source") or {}
        self.filters = (source.get("filter") or {}).get("metricsFormat") or None
        fs = source.get("fileSystemPath") or {}
        self.format = fs.get("format", "TEXT")
        self.metric_names = metric_names
        self.notify = notify
        self.local_path_map = self.path_map(spec, trial_dir)
        self.file = Path(next(iter(self.local_path_map.values()))) if self.kind == "File" else None
        self._parser = TextMetricParser(metric_names, self.filters)
        self._json = JsonMetricParser(metric_names, str(self.file)) if self.format == "JSON" else None
        self._watch = rule_metric  # Katib's sidecar watches lines with the frozen rule's metric
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._tailer = FileTailer(self.file) if self.file is not None else None
        self._cond = threading.Condition()
        self._pending: list[MetricLog] = []
        self._failures: list[tuple[int, CollectorFailure]] = []
        self._report_failed = False  # a JSON line that is not an object: Katib reads no further
        self._rung = False
        self._detached = False

    @staticmethod
    def path_map(spec: dict, trial_dir: Path) -> dict[str, str]:
        """Container path of the metrics file -> its per-trial local path (File collector only)."""
        if collector_kind(spec) != "File":
            return {}
        path = (((spec.get("source") or {}).get("fileSystemPath") or {}).get("path")) or "/var/log/katib/metrics.log"
        local = trial_dir / "metrics" / PurePosixPath(path).name
        local.parent.mkdir(parents=True, exist_ok=True)
        return {path: str(local)}

    # -- handing over ---------------------------------------------------------------------------
    def _push(self, logs: list[MetricLog], failure: CollectorFailure | None = None) -> None:
        with self._cond:
            while len(self._pending) >= PENDING_LIMIT and not self._detached:
                self._cond.wait(1.0)
            if failure is not None:
                self._failures.append((len(self._pending), failure))
            self._pending.extend(logs)
            ring = not self._rung and (self._pending or self._failures)
            if ring:
                self._rung = True
        if ring:
            self.notify()

    def take(self) -> Batch:
        """Everything collected since the last take (the engine calls it when notified)."""
        with self._cond:
            batch = Batch(self._pending, self._failures)
            self._pending, self._failures, self._rung = [], [], False
            self._cond.notify_all()
        return batch

    def detach(self) -> None:
        """The engine stops taking (it is shutting down): a waiting reader goes on."""
        with self._cond:
            self._detached = True
            self._cond.notify_all()

    # -- collecting -----------------------------------------------------------------------------
    def _sidecar_exits(self, logs: list[MetricLog], pairs, where: str, converts: str) -> bool:
        """Katib's sidecar converts the (name, value) `pairs` it watches and exits on the first that
        is not a number: then that failure is handed over after `logs` (the line's logs), the watch
        ends, and True. `where` and `converts` complete the failure's message."""
        for name, value in pairs:
            try:
                parse_sidecar_value(value)
            except ValueError:
                self._watch = None
                self._push(logs, CollectorFailure(
                    f"Katib's metrics collector sidecar exits on {name}={value!r} (not a number) {where}: while "
                    f"an early-stopping rule is active it converts {converts}; the trial's pod fails and no "
                    "metrics are reported", sidecar=True))
                return True
        return False

    def _text_line(self, line: str) -> None:
        if self._watch is not None and self._watch in line:
            pairs = list(self._parser.pairs(line))
            logs = self._parser.logs_of(line, pairs)
            if self._sidecar_exits(logs, pairs, f"in the line {line[:200]!r}",
                                   "every name=value on a line with the objective metric"):
                return
        else:
            logs = self._parser.parse_line(line)
        if logs:
            self._push(logs)

    def _json_line(self, line: str) -> None:
        if self._report_failed:
            return  # Katib's collection already failed: nothing more is read
        try:
            logs = self._json.parse_line(line)
        except MetricsCollectionError as e:
            self._report_failed = True
            self._push([], CollectorFailure(str(e), sidecar=self._watch is not None, report=True))
            return
        watched = [(log.name, log.value) for log in logs if log.name == self._watch]
        if watched and self._sidecar_exits(logs, watched, f"in {self.file}", "the objective's value on every line"):
            return
        if logs:
            self._push(logs)

    def on_line(self, line: str) -> None:
        if self.kind == "StdOut":
            self._text_line(line)

    def start(self) -> None:
        if self._tailer is not None:
            self._thread = threading.Thread(target=self._tail, daemon=True)
            self._thread.start()

    def _tail(self) -> None:
        while not self._stop.wait(POLL_SECONDS):
            self._read_new()

    def _read_new(self, final: bool = False) -> None:
        handle = self._json_line if self._json is not None else self._text_line
        for line in self._tailer.read_new_lines(final=final):
            handle(line)

    def close(self) -> None:
        """Called by the runner once the process has exited, before it reports the exit: the
        last read of the metrics file is handed over ahead of the exit, so no value is lost."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._read_new(final=True)  # a last line without a newline counts too
            self._tailer.close()

    def unavailable_message(self, metric: str) -> str:
        if self.kind == "File" and not self.file.exists():
            return f"the metrics file {self.file} never appeared; the trial must write {metric}=<value> lines there"
        where = f"file {self.file}" if self.kind == "File" else "the trial's output"
        return f"objective metric {metric!r} was not found in {where} (Katib's default format: {metric}=<number>)"
