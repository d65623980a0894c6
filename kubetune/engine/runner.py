"""Launching trial processes: argv lists (never a shell), output to a per-trial log, events to the engine.

`Launcher` is the one small interface the engine uses. `SubprocessLauncher` starts a fresh process
per trial; `kubetune.engine.launch.WarmLauncher` forks each trial from a warm parent that already
imported torch (and falls back to this one where that would not behave the same); the engine picks
one with `kubetune.engine.launch.setup_launcher`.

Each trial gets one reader thread that appends its merged stdout+stderr (Katib's StdOut collector
reads both) to `<trial dir>/log`, hands every line to the trial's line callback (the metrics
collector) and, when the process ends, posts an `Exited` event on the engine's queue.
"""
from __future__ import annotations

import os
import queue
import signal
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Protocol

from .local import LaunchSpec

KILL_GRACE_SECONDS = 5.0


@dataclass(frozen=True)
class Exited:
    trial: str
    returncode: int
    reason: str  # '' for a normal exit; 'DeadlineExceeded' / 'EarlyStopped' / 'Killed' when we ended it


class TrialHandle(Protocol):
    pid: int | None         # the trial's process (a session leader: its group is the trial)
    deadline: float | None  # time.monotonic() after which the engine kills it (activeDeadlineSeconds)

    def kill(self, reason: str) -> None: ...


class OutputSink(Protocol):
    """Receives the trial's output lines (the metrics collector); closed after the process exits
    and before the exit is posted, so everything it posts precedes `Exited` on the queue."""

    def on_line(self, line: str) -> None: ...
    def close(self) -> None: ...


class Launcher(Protocol):
    """Optional: `prepare(sample, annotations, notify) -> str` before the first trial (the line saying
    how trials are launched) and `close()` after the last one."""

    def start(self, trial: str, spec: LaunchSpec, log_path: Path, sink: OutputSink,
              events: "queue.Queue", gpu_ids: list[str] | None) -> TrialHandle: ...


class _Process:
    def __init__(self, trial: str, proc: subprocess.Popen, events: queue.Queue, timeout: float | None):
        self.trial, self.proc, self.events = trial, proc, events
        self.reason = ""
        self._lock = threading.Lock()
        self.deadline = time.monotonic() + timeout if timeout else None

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc.pid > 0 else None

    def kill(self, reason: str) -> None:
        with self._lock:
            if self.reason or self.proc.poll() is not None:
                return
            self.reason = reason
        terminate_group(self.proc.pid, self._exits_within)

    def _exits_within(self, seconds: float) -> bool:
        try:
            self.proc.wait(seconds)
            return True
        except subprocess.TimeoutExpired:
            return False


def terminate_group(pid: int, exits_within: Callable[[float], bool], *, lone_process: bool = False) -> None:
    """End a trial's process group the way Kubernetes ends a pod: SIGTERM now, then SIGKILL from a
    helper thread unless `exits_within(KILL_GRACE_SECONDS)` says the trial ended in that grace.
    `lone_process`: see `signal_group`."""
    signal_group(pid, signal.SIGTERM, lone_process=lone_process)

    def escalate() -> None:
        if not exits_within(KILL_GRACE_SECONDS):
            signal_group(pid, signal.SIGKILL, lone_process=lone_process)

    threading.Thread(target=escalate, daemon=True, name=f"kill-{pid}").start()


def signal_group(pid: int, sig: int, *, lone_process: bool = False) -> None:
    """Signal the process group `pid` leads (the trial is a session leader: its children go too);
    a group that is gone is no error. `lone_process`: when there is no such group, signal the
    process alone (a warm-forked trial in the instant before it made its session; a trial started
    by Popen has made it before Popen returns, so it never needs this)."""
    try:
        os.killpg(pid, sig)
    except ProcessLookupError:
        if lone_process:
            try:
                os.kill(pid, sig)
            except (ProcessLookupError, PermissionError):
                pass
    except PermissionError:
        pass


def stop_all(handles: list, reason: str = "Killed") -> None:
    """Kill every trial and wait until its process group is gone (SIGKILL after the grace period):
    when the engine stops on an error, no trial process outlives it."""
    for handle in handles:
        handle.kill(reason)
    deadline = time.monotonic() + KILL_GRACE_SECONDS
    for pid in [getattr(h, "pid", None) for h in handles]:
        try:
            while pid and time.monotonic() < deadline:
                os.killpg(pid, 0)
                time.sleep(0.05)
            if pid:
                os.killpg(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


def reap_orphans(interrupted: list[tuple[str, int | None, float | None]]) -> None:
    """Trial processes of a killed `kubetune run` live on in their own session: end them first.
    `interrupted`: (trial, pid, start time) of the trials the state still has Running."""
    import psutil

    for _name, pid, started in interrupted:
        if not pid:
            continue
        try:
            proc = psutil.Process(pid)
            if started is not None and abs(proc.create_time() - started) > 1.0:
                continue  # pid recycled by an unrelated process
            os.killpg(pid, signal.SIGKILL)
        except (psutil.Error, ProcessLookupError, PermissionError):
            continue


def rotate_log(path: Path) -> None:
    """A re-run attempt keeps the previous attempt's log beside it (log.1, log.2, ...)."""
    if path.exists():
        n = 1
        while path.with_name(f"log.{n}").exists():
            n += 1
        path.rename(path.with_name(f"log.{n}"))


class SubprocessLauncher:
    """One fresh process per trial."""

    def __init__(self) -> None:
        self.base_env = {**os.environ, "PYTHONUNBUFFERED": "1"}  # copied once, not per trial

    def start(self, trial: str, spec: LaunchSpec, log_path: Path, sink: OutputSink,
              events: queue.Queue, gpu_ids: list[str] | None) -> _Process:
        env = {**self.base_env, **spec.env}
        if gpu_ids is not None:
            env["CUDA_VISIBLE_DEVICES"] = ",".join(gpu_ids)
        log_path.parent.mkdir(parents=True, exist_ok=True)
        log = open(log_path, "ab")
        try:
            proc = subprocess.Popen(
                spec.argv, env=env, cwd=spec.cwd, stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,
            )
        except (OSError, ValueError) as e:  # ValueError: a NUL byte in an argument or env value
            log.write(f"kubetune: cannot start {spec.argv[0]!r}: {e}\n".encode())
            log.close()
            sink.close()
            events.put(Exited(trial, 127, f"StartError: {getattr(e, 'strerror', None) or e}"))
            return _Process(trial, _Finished(), events, None)
        handle = _Process(trial, proc, events, spec.timeout)
        threading.Thread(target=_pump, args=(handle, log, sink), daemon=True, name=f"trial-{trial}").start()
        return handle


def _pump(handle: _Process, log, sink: OutputSink) -> None:
    pump(handle.proc.stdout, log, sink, handle.proc.wait, lambda rc: handle.events.put(Exited(handle.trial, rc, handle.reason)))


def pump(stream, log, sink: OutputSink, wait, post) -> None:
    """Copy the trial's output to its log and its sink until EOF; then the exit code (`wait()`), the
    sink closed, and `post(rc)`: so everything the sink posts precedes the exit on the queue."""
    try:
        for raw in iter(stream.readline, b""):
            log.write(raw)
            log.flush()
            try:
                sink.on_line(raw.decode("utf-8", errors="replace").rstrip("\r\n"))
            except Exception as e:  # a collector bug must not hang the trial
                log.write(f"kubetune: metrics collector error: {e!r}\n".encode())
    finally:
        rc = wait()
        stream.close()
        log.close()
        try:
            sink.close()
        finally:
            post(rc)


class _Finished:
    """Stands in for a process that never started."""

    pid = -1

    def poll(self) -> int:
        return 127
