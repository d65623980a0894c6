"""The metrics collector of one local trial: Katib's StdOut or File collector, fed as the trial runs.

StdOut: every line of the merged stdout+stderr is parsed as it arrives (the runner calls
`on_line`). File: the file the trial writes (Katib's `fileSystemPath.path`, by default
/var/log/katib/metrics.log) is mapped to `<trial dir>/metrics/<file name>` and tailed while the
trial runs, then read to the end when it exits. Parsed logs are posted to the engine, which stores
them and feeds early stopping.
"""
from __future__ import annotations

import threading
from pathlib import Path, PurePosixPath
from typing import Callable

from .metrics.files import FileTailer
from .metrics.json_lines import parse_json_lines
from .metrics.report import MetricLog
from .metrics.text import TextMetricParser

POLL_SECONDS = 0.2
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


class TrialCollector:
    def __init__(self, spec: dict, metric_names: list[str], trial_dir: Path,
                 post: Callable[[list[MetricLog]], None]):
        check_supported(spec)
        self.kind = collector_kind(spec)
        source = (spec or {}).get("source") or {}
        self.filters = (source.get("filter") or {}).get("metricsFormat") or None
        fs = source.get("fileSystemPath") or {}
        self.format = fs.get("format", "TEXT")
        self.metric_names = metric_names
        self.post = post
        self.local_path_map = self.path_map(spec, trial_dir)
        self.file = Path(next(iter(self.local_path_map.values()))) if self.kind == "File" else None
        self._parser = TextMetricParser(metric_names, self.filters)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._tailer = FileTailer(self.file) if self.file is not None and self.format == "TEXT" else None

    @staticmethod
    def path_map(spec: dict, trial_dir: Path) -> dict[str, str]:
        """Container path of the metrics file -> its per-trial local path (File collector only)."""
        if collector_kind(spec) != "File":
            return {}
        path = (((spec.get("source") or {}).get("fileSystemPath") or {}).get("path")) or "/var/log/katib/metrics.log"
        local = trial_dir / "metrics" / PurePosixPath(path).name
        local.parent.mkdir(parents=True, exist_ok=True)
        return {path: str(local)}

    def on_line(self, line: str) -> None:
        if self.kind == "StdOut":
            logs = self._parser.feed_line(line)
            if logs:
                self.post(logs)

    def start(self) -> None:
        if self._tailer is not None:
            self._thread = threading.Thread(target=self._tail, daemon=True)
            self._thread.start()

    def _tail(self) -> None:
        while not self._stop.wait(POLL_SECONDS):
            self._read_new()

    def _read_new(self, final: bool = False) -> None:
        logs = [m for line in self._tailer.read_new_lines(final=final) for m in self._parser.feed_line(line)]
        if logs:
            self.post(logs)

    def close(self) -> None:
        """Called by the runner once the process has exited, before it reports the exit: the
        last read of the metrics file is posted ahead of the exit, so no value is lost."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._read_new(final=True)  # a last line without a newline counts too
        elif self.kind == "File" and self.format == "JSON" and self.file.exists():
            logs = parse_json_lines(self.file, self.metric_names)
            if logs:
                self.post(logs)

    def unavailable_message(self, metric: str) -> str:
        if self.kind == "File" and not self.file.exists():
            return f"the metrics file {self.file} never appeared; the trial must write {metric}=<value> lines there"
        where = f"file {self.file}" if self.kind == "File" else "the trial's output"
        return f"objective metric {metric!r} was not found in {where} (Katib's default format: {metric}=<number>)"
