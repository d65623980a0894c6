"""WarmLauncher: trials forked from a warm parent that already imported what they import.

`prepare` reads the experiment's first trial (a sample rendered before anything runs), decides what
the parent imports (preload.py) and starts it in the background with that trial's environment;
`start` forks each trial from it when the trial's command and environment make the fork behave as a
fresh interpreter (invocation.py, safety.py), and otherwise starts it with the SubprocessLauncher,
saying why (once per cause). Either way the engine gets its usual handle and events.
"""
from __future__ import annotations

import os
import queue
import sys
import threading
from pathlib import Path
from typing import Callable

from ..local import LaunchSpec
from ..runner import Exited, OutputSink, SubprocessLauncher, pump
from . import invocation, preload, safety
from .parent import WarmParent, WarmTrial, WarmUnavailable


class WarmLauncher:
    def __init__(self, log_path: str | Path | None = None):
        self.fallback = SubprocessLauncher()
        self.base_env = self.fallback.base_env
        self.log_path = Path(log_path) if log_path else None
        self.parent: WarmParent | None = None
        self.parent_env: dict[str, str] = {}
        self.unavailable: str | None = None
        self.user: list[str] = []
        self.notify: Callable[[str], None] = lambda text: None
        self._scans: dict[tuple, preload.EntryScan] = {}
        self._said: set[str] = set()
        self._ready_reported = False

    # -- set-up -----------------------------------------------------------------------------
    def prepare(self, sample: LaunchSpec, annotations: dict | None = None,
                notify: Callable[[str], None] | None = None) -> str | None:
        """Start the warm parent for trials like `sample`; the reason it cannot be used, or None."""
        if notify is not None:
            self.notify = notify
        self.user = preload.user_modules(annotations)
        if self.parent is not None and not self.parent.dead:
            return None  # one parent serves every experiment given this launcher
        env = self._env(sample, None)
        planned = self._plan(sample, env)
        if isinstance(planned, str):
            return planned
        plan, scan = planned
        modules = preload.modules_to_preload(scan, plan.kind, plan.target, self.user, plan.nni)
        self.parent_env = preload.apply_effects(env, scan.effects)
        self.parent = WarmParent(self.parent_env, modules, self.log_path)
        self.unavailable = None
        return None

    def describe(self) -> str:
        tops = dict.fromkeys(m.split(".")[0] for m in (self.parent.modules if self.parent else []))
        modules = ", ".join(tops) or "nothing extra"
        return (f"launcher: warm workers (each trial is forked from a parent process that imported {modules}; "
                f"opt out with the annotation kubetune.io/launcher: subprocess)")

    def close(self) -> None:
        if self.parent is not None:
            self.parent.close()
            self.parent = None

    # -- trials -----------------------------------------------------------------------------
    def start(self, trial: str, spec: LaunchSpec, log_path: Path, sink: OutputSink,
              events: queue.Queue, gpu_ids: list[str] | None):
        env = self._env(spec, gpu_ids)
        planned = self._plan(spec, env)
        if isinstance(planned, str):
            return self._subprocess(trial, planned, spec, log_path, sink, events, gpu_ids)
        if not os.path.isdir(spec.cwd):  # the subprocess launcher reports it (StartError)
            return self._subprocess(trial, "no working directory", spec, log_path, sink, events, gpu_ids)
        plan, scan = planned
        effective = preload.apply_effects(env, scan.effects)
        reason = self.unavailable or (None if self.parent else "no warm parent") or \
            safety.env_reason(effective, self.parent_env)
        if reason:
            return self._subprocess(trial, reason, spec, log_path, sink, events, gpu_ids)
        wire = plan.to_wire()
        wire.update(cwd=spec.cwd, env=env, threads=safety.threads(effective),
                    executable=safety.resolve_command(spec.argv[0], spec.cwd, env),
                    extra_path=[_shim_root()] if plan.nni else [])
        r, w = os.pipe()
        try:
            pid, fresh = self.parent.fork(wire, w)
        except WarmUnavailable as e:
            os.close(r)
            if self.parent.dead or self.parent.info.get("unsafe"):
                self.unavailable = f"warm workers are unavailable: {e}"
            return self._subprocess(trial, self.unavailable or str(e), spec, log_path, sink, events, gpu_ids)
        finally:
            os.close(w)
        self._report_ready()
        if fresh:
            self._say(f"launcher: {trial} runs in a fresh interpreter (forked, then exec'd): {fresh}", key=fresh)
        handle = WarmTrial(trial, pid, events, spec.timeout)
        log_path.parent.mkdir(parents=True, exist_ok=True)
        log = open(log_path, "ab")
        stream = os.fdopen(r, "rb")
        post = lambda rc: events.put(Exited(trial, rc, handle.reason))  # noqa: E731
        threading.Thread(target=pump, args=(stream, log, sink, handle.wait, post), daemon=True,
                         name=f"trial-{trial}").start()
        self.parent.attach(handle)
        return handle

    def _subprocess(self, trial, reason, spec, log_path, sink, events, gpu_ids):
        self._say(f"launcher: {trial} runs as a subprocess: {reason}", key=reason)
        return self.fallback.start(trial, spec, log_path, sink, events, gpu_ids)

    def _report_ready(self) -> None:
        if self._ready_reported or self.parent is None:
            return
        self._ready_reported = True
        for name, error in sorted(self.parent.info.get("failed", {}).items()):
            self._say(f"launcher: the warm parent could not import {name} ({error}); trials import it themselves")

    def _say(self, text: str, key: str | None = None) -> None:
        key = key or text
        if key not in self._said:
            self._said.add(key)
            self.notify(text + (" (said once per cause)" if key != text else ""))

    def _env(self, spec: LaunchSpec, gpu_ids: list[str] | None) -> dict[str, str]:
        env = {**self.base_env, **spec.env}  # exactly what the SubprocessLauncher would give
        if gpu_ids is not None:
            env["CUDA_VISIBLE_DEVICES"] = ",".join(gpu_ids)
        return env

    def _plan(self, spec: LaunchSpec, env: dict[str, str]):
        """(Plan, EntryScan) for a trial that can be forked, else the reason it cannot."""
        if not spec.argv:
            return "no command"
        reason = safety.interpreter_reason(spec.argv[0], spec.cwd, env)
        if reason:
            return reason
        plan = invocation.parse(spec.argv, spec.cwd)
        if isinstance(plan, str):
            return plan
        where = os.path.join(spec.cwd, plan.target) if plan.kind == "script" else plan.target
        key = (plan.kind, where, spec.cwd if plan.kind == "module" else "")
        scan = self._scans.get(key)
        if scan is None:
            files = invocation.entry_file(plan, spec.cwd, sys.path[1:])
            scan = preload.scan(files, plan.target if plan.kind == "code" else None, self.user)
            self._scans[key] = scan
        if scan.reason:
            return scan.reason
        return plan, scan


def _shim_root() -> str:
    import kubetune

    return str(Path(kubetune.__file__).resolve().parent.parent)
