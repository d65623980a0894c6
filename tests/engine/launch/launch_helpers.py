"""Run one trial process through a launcher, as the engine does, and collect what it left."""
from __future__ import annotations

import queue
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from kubetune.engine.local import LaunchSpec
from kubetune.engine.runner import Exited

SCRIPTS = Path(__file__).parent / "scripts"


class Lines:
    def __init__(self):
        self.lines, self.closed = [], False

    def on_line(self, line: str) -> None:
        self.lines.append(line)

    def close(self) -> None:
        self.closed = True


@dataclass
class Outcome:
    rc: int
    reason: str
    log: str
    lines: list
    pid: int | None
    forked: bool  # started by the warm parent (not the subprocess fallback)


def spec(argv, cwd, env=None, timeout=None) -> LaunchSpec:
    return LaunchSpec([str(a) for a in argv], dict(env or {}), str(cwd), 0, timeout, {})


def start(launcher, argv, cwd, log: Path, env=None, gpu_ids=None):
    events: queue.Queue = queue.Queue()
    sink = Lines()
    handle = launcher.start("t", spec(argv, cwd, env), log, sink, events, gpu_ids)
    return handle, events, sink


def finish(handle, events, sink, log: Path, timeout: float = 60) -> Outcome:
    ev = events.get(timeout=timeout)
    assert isinstance(ev, Exited) and sink.closed
    from kubetune.engine.launch.parent import WarmTrial

    return Outcome(ev.returncode, ev.reason, log.read_text(errors="replace"), sink.lines, handle.pid,
                   isinstance(handle, WarmTrial))


def run_one(launcher, argv, cwd, log: Path, env=None, gpu_ids=None, timeout: float = 60) -> Outcome:
    return finish(*start(launcher, argv, cwd, log, env, gpu_ids), log, timeout)


def wait_for_line(log: Path, text: str, timeout: float = 30) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if log.exists() and text in log.read_text(errors="replace"):
            return
        time.sleep(0.05)
    raise AssertionError(f"{text!r} never appeared in {log}: {log.read_text() if log.exists() else '(no log)'}")


PY = sys.executable
