"""The engine's end of a warm parent (zygote.py): start it, ask it to fork, hear about exits.

`WarmParent` starts zygote.py with a given environment and list of modules to import, and runs one
reader thread for its socket: replies to fork requests go to the caller waiting in `fork`, exits go
to the trial's `WarmTrial` handle (the engine's usual handle: pid, deadline, kill). When the parent
dies, its trials are killed and reported as exited.
"""
from __future__ import annotations

import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

from ..runner import signal_group, terminate_group
from . import zygote

ZYGOTE = str(Path(zygote.__file__).resolve())
REPLY_TIMEOUT = 30.0


class WarmUnavailable(RuntimeError):
    """The warm parent cannot fork this trial (it failed to start, exited, or refused)."""


class WarmParent:
    """One running zygote.py: its socket, the replies to fork requests, the exits of its children."""

    def __init__(self, env: dict[str, str], modules: list[str], log_path: Path | None):
        self.modules = modules
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        out_r, out_w = os.pipe()
        try:
            self.proc = subprocess.Popen(
                [sys.executable, ZYGOTE, str(theirs.fileno())], env=env, cwd="/", stdin=subprocess.DEVNULL,
                stdout=out_w, stderr=out_w, pass_fds=(theirs.fileno(),), start_new_session=True)
        finally:
            theirs.close()
            os.close(out_w)
        self.sock = ours
        self.pid = self.proc.pid
        self.ready = threading.Event()
        self.info: dict = {}
        self.dead: str | None = None
        self._lock = threading.Lock()
        self._replies: dict[int, dict] = {}
        self._reply_ready = threading.Condition(self._lock)
        self._next_id = 0
        self.trials: dict[int, "WarmTrial"] = {}
        self._early_exits: dict[int, int] = {}
        zygote.send(ours, {"op": "init", "preload": modules, "engine_pid": os.getpid(),
                           "deathsig": threading.current_thread() is threading.main_thread()})
        threading.Thread(target=self._read, daemon=True, name="warm-parent").start()
        threading.Thread(target=_drain, args=(out_r, log_path), daemon=True, name="warm-parent-log").start()

    # -- requests ---------------------------------------------------------------------------
    def wait_ready(self) -> dict:
        while not self.ready.wait(0.5):
            if self.proc.poll() is not None and not self.ready.is_set():
                self.ready.wait(1.0)  # its last messages may still be in flight
                break
        if self.dead and not self.info:
            raise WarmUnavailable(self.dead)
        if self.info.get("unsafe"):
            raise WarmUnavailable(self.info["unsafe"])
        return self.info

    def fork(self, plan: dict, out_fd: int) -> tuple[int, str | None]:
        self.wait_ready()
        with self._lock:
            if self.dead:
                raise WarmUnavailable(self.dead)
            self._next_id += 1
            rid = self._next_id
            try:
                zygote.send(self.sock, {"op": "fork", "id": rid, "plan": plan}, [out_fd])
            except OSError as e:  # e.g. EMSGSIZE: an environment too large for one message
                raise WarmUnavailable(f"cannot send the trial to the warm parent: {e}") from e
            deadline = time.monotonic() + REPLY_TIMEOUT
            while rid not in self._replies and not self.dead and time.monotonic() < deadline:
                self._reply_ready.wait(0.5)
            reply = self._replies.pop(rid, None)
        if reply is None:
            if not self.dead:
                self.dead = f"the warm parent did not answer within {REPLY_TIMEOUT:.0f} s"
                self.proc.kill()  # its children die with it; the reader thread reports them
            raise WarmUnavailable(self.dead)
        if reply["op"] != "forked":
            raise WarmUnavailable(reply.get("error", "fork failed"))
        return reply["pid"], reply.get("fresh")

    def attach(self, trial: "WarmTrial") -> None:
        with self._lock:
            code = self._early_exits.pop(trial.pid, None)
            if code is None and not self.dead:
                self.trials[trial.pid] = trial
                return
        trial.exited(code if code is not None else -signal.SIGKILL, self.dead)

    def close(self) -> None:
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.sock.close()

    # -- the reader thread ------------------------------------------------------------------
    def _read(self) -> None:
        while True:
            try:
                msg, fds = zygote.recv(self.sock)
            except (OSError, ValueError):
                msg, fds = None, []
            for fd in fds:
                os.close(fd)
            if msg is None:
                break
            op = msg.get("op")
            if op == "ready":
                self.info = msg
                self.ready.set()
            elif op in ("forked", "error"):
                with self._lock:
                    self._replies[msg["id"]] = msg
                    if op == "forked":
                        self._early_exits.pop(msg["pid"], None)
                    self._reply_ready.notify_all()
            elif op == "exit":
                with self._lock:
                    trial = self.trials.pop(msg["pid"], None)
                    if trial is None:
                        self._early_exits[msg["pid"]] = msg["code"]
                if trial is not None:
                    trial.exited(msg["code"], None)
        self._on_death()

    def _on_death(self) -> None:
        """The parent exited (or the engine closed it): its children were killed with it."""
        rc = self.proc.wait()
        with self._lock:
            self.dead = self.dead or f"the warm parent (pid {self.pid}) exited with code {rc}"
            orphans, self.trials = dict(self.trials), {}
            self._reply_ready.notify_all()
        self.ready.set()
        for pid, trial in orphans.items():
            signal_group(pid, signal.SIGKILL)  # the group only: the pid itself may already be another process's
            trial.exited(-signal.SIGKILL, self.dead)


class WarmTrial:
    """The engine's handle on a forked trial (the warm parent reaps it and reports its exit)."""

    def __init__(self, trial: str, pid: int, events: queue.Queue, timeout: float | None):
        self.trial, self.pid, self.events = trial, pid, events
        self.reason = ""
        self.returncode: int | None = None
        self._done = threading.Event()
        self._lock = threading.Lock()
        self.deadline = time.monotonic() + timeout if timeout else None

    def exited(self, code: int, why: str | None) -> None:
        with self._lock:
            if why and not self.reason:
                self.reason = why
            self.returncode = code
        self._done.set()

    def wait(self, timeout: float | None = None) -> int | None:
        self._done.wait(timeout)
        return self.returncode

    def kill(self, reason: str) -> None:
        with self._lock:
            if self.reason or self.returncode is not None:
                return
            self.reason = reason
        # lone_process: in the instant after the fork, before it made its session, the trial is a
        # process alone (it has run none of the trial's code yet, so it has no children to take along)
        terminate_group(self.pid, self._done.wait, lone_process=True)


def _drain(fd: int, log_path: Path | None) -> None:
    """The parent's own output (import warnings, crashes) goes to its log, never to a trial's."""
    with os.fdopen(fd, "rb") as stream:
        log = open(log_path, "ab") if log_path else None
        try:
            for chunk in iter(lambda: stream.read1(65536), b""):
                if log:
                    log.write(chunk)
                    log.flush()
        finally:
            if log:
                log.close()
