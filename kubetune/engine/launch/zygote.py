"""The warm parent of kubetune's warm-worker launcher, and the child it forks for each trial.

Run by the engine (kubetune/engine/launch/warm.py) as `python zygote.py CTL_FD`: a fresh interpreter
started with the trial's environment that imports what the trials import, once, then forks one child
per trial. The child becomes the trial: new session, the trial's output pipe on stdout and stderr, its
working directory and environment, CUDA_VISIBLE_DEVICES and thread count set before the trial's code
runs, then the script / `-m` module / `-c` code run as `__main__` as the interpreter runs them
(sys.argv, sys.path[0], __file__, __spec__, tracebacks, SystemExit and KeyboardInterrupt handling).
The parent never runs trial code and never initialises CUDA.

The engine talks to it over a SOCK_SEQPACKET socket, one JSON message per packet:
  engine -> parent  {"op": "init", "preload": [...], "engine_pid": N, "deathsig": bool}
  parent -> engine  {"op": "ready", "loaded": [...], "failed": {...}, "unsafe": str | None}
  engine -> parent  {"op": "fork", "id": N, "plan": {...}} + the trial's output pipe (SCM_RIGHTS)
  parent -> engine  {"op": "forked", "id": N, "pid": P, "fresh": str | None}  or  {"op": "error", ...}
  parent -> engine  {"op": "exit", "pid": P, "code": C}  (C as subprocess reports it: -N for signal N)
When the engine's end closes (it exited or was killed), the parent kills every trial it forked and
exits; it also asks the kernel for SIGTERM when the engine dies (PR_SET_PDEATHSIG), and each child
for SIGKILL when the parent dies. Standard library only.
"""
import sys

_STARTUP = frozenset(sys.modules)  # what every fresh interpreter has imported before the trial runs
if __name__ == "__main__" and not sys.flags.safe_path:
    del sys.path[0]  # this file's directory: the parent's path must be the interpreter's default

import gc  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import select  # noqa: E402
import signal  # noqa: E402
import socket  # noqa: E402

_THIS = __file__
_MAX_MESSAGE = 1 << 20
PR_SET_PDEATHSIG = 1


def send(sock: socket.socket, msg: dict, fds: list[int] = ()) -> None:
    data = json.dumps(msg).encode()
    if fds:
        socket.send_fds(sock, [data], list(fds))
    else:
        sock.send(data)


def recv(sock: socket.socket):
    """(message, fds); (None, []) when the other end closed."""
    data, fds, _flags, _addr = socket.recv_fds(sock, _MAX_MESSAGE, 4)
    if not data:
        for fd in fds:
            os.close(fd)
        return None, []
    return json.loads(data), fds


def _prctl_deathsig(sig: int) -> None:
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, int(sig), 0, 0, 0)
    except (OSError, AttributeError):
        pass  # not Linux: the socket EOF still ends the parent


class Parent:
    def __init__(self, ctl: socket.socket):
        self.ctl = ctl
        self.pid = os.getpid()
        self.children: set[int] = set()
        self.wake_r = self.wake_w = -1
        self.imported: dict[str, object] = {}
        self.initial_threads = os.environ.get("OMP_NUM_THREADS")
        self.initial_handlers = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGCHLD)}
        self.file = _THIS

    deathsig = staticmethod(lambda sig: _prctl_deathsig(sig))

    # -- parent ---------------------------------------------------------------------------
    def start(self):
        """Preload, then report; returns the child module (loaded here so children pay nothing)."""
        init, _ = recv(self.ctl)
        if init is None:
            os._exit(0)
        if init.get("deathsig"):
            _prctl_deathsig(signal.SIGTERM)
            if os.getppid() != init.get("engine_pid"):
                os._exit(0)  # the engine died before we asked
        signal.signal(signal.SIGTERM, self._on_term)
        child = _load_child()
        loaded, failed = [], {}
        for name in init.get("preload", []):
            try:
                __import__(name)
                loaded.append(name)
            except ModuleNotFoundError as e:
                if e.name != name:  # `from pkg import name` where name is no module: nothing to say
                    failed[name] = f"{type(e).__name__}: {e}"
            except BaseException as e:  # noqa: BLE001 - the trial will meet the same error itself
                failed[name] = f"{type(e).__name__}: {e}"
        self.imported = {n.split(".")[0]: sys.modules[n.split(".")[0]] for n in list(sys.modules)
                         if n not in _STARTUP and "." not in n and sys.modules.get(n) is not None}
        for stream in (sys.stdout, sys.stderr):  # nothing of ours may reach a child's output
            stream.flush()
        gc.freeze()  # children then leave the parent's objects alone (fewer copy-on-write pages)
        send(self.ctl, {"op": "ready", "pid": self.pid, "loaded": loaded, "failed": failed,
                        "unsafe": self._unsafe()})
        return child

    def _unsafe(self):
        threading = sys.modules.get("threading")
        if threading is not None and threading.active_count() > 1:
            return f"importing the preloaded modules started {threading.active_count() - 1} thread(s)"
        torch = sys.modules.get("torch")
        cuda = getattr(torch, "cuda", None)
        if cuda is not None and getattr(cuda, "is_initialized", lambda: False)():
            return "importing the preloaded modules initialised CUDA"
        return None

    def serve(self):
        """The fork loop; returns (plan, out_fd, fresh) in a forked child only."""
        self.wake_r, self.wake_w = os.pipe()
        os.set_blocking(self.wake_r, False)
        os.set_blocking(self.wake_w, False)
        signal.set_wakeup_fd(self.wake_w, warn_on_full_buffer=False)
        signal.signal(signal.SIGCHLD, lambda *_: None)
        self._reap()
        while True:
            readable, _, _ = select.select([self.ctl, self.wake_r], [], [])
            if self.wake_r in readable:
                try:
                    while os.read(self.wake_r, 512):
                        pass
                except BlockingIOError:
                    pass
                self._reap()
            if self.ctl in readable:
                try:
                    msg, fds = recv(self.ctl)
                except OSError:
                    msg, fds = None, []
                if msg is None:
                    self._shutdown()
                if msg.get("op") == "fork" and len(fds) == 1:
                    child = self._fork(msg, fds[0])
                    if child is not None:
                        return child
                else:
                    for fd in fds:
                        os.close(fd)

    def _fork(self, msg: dict, out_fd: int):
        plan = msg["plan"]
        fresh = self._shadowed(plan)
        # Signals stay pending (not lost to a handler reset) until the child set its own up.
        blocked = signal.pthread_sigmask(signal.SIG_BLOCK, signal.valid_signals())
        try:
            pid = os.fork()
        except OSError as e:
            signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
            os.close(out_fd)
            send(self.ctl, {"op": "error", "id": msg["id"], "error": f"fork: {e}"})
            return None
        if pid == 0:
            return plan, out_fd, fresh
        signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
        os.close(out_fd)
        self.children.add(pid)
        send(self.ctl, {"op": "forked", "id": msg["id"], "pid": pid, "fresh": fresh})
        return None

    def _reap(self) -> None:
        while self.children:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            self.children.discard(pid)
            send(self.ctl, {"op": "exit", "pid": pid, "code": os.waitstatus_to_exitcode(status)})

    def _kill_children(self) -> None:
        for pid in list(self.children):
            for kill in (os.killpg, os.kill):
                try:
                    kill(pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass

    def _shutdown(self) -> None:
        self._kill_children()
        os._exit(0)

    def _on_term(self, *_):
        if os.getpid() != self.pid:  # a child between fork and its own signal set-up
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            os.kill(os.getpid(), signal.SIGTERM)
            return
        self._shutdown()

    def _shadowed(self, plan: dict):
        """Why a fresh interpreter would import one of the parent's modules from elsewhere (a file of
        the trial's directory, or of the NNI shim's path entry, shadowing it), or None."""
        from importlib.machinery import all_suffixes

        suffixes = sorted(all_suffixes(), key=len, reverse=True)
        cwd = os.path.realpath(plan["cwd"])
        for d in [p or cwd for p in main_path(plan, cwd)] + plan.get("extra_path", []):
            try:
                entries = os.listdir(d)
            except OSError:
                continue
            for entry in entries:
                name = next((entry[: -len(s)] for s in suffixes if entry.endswith(s)), entry)
                module = self.imported.get(name)
                if module is None:
                    continue
                full = os.path.join(d, entry)
                if name == entry and not os.path.isfile(os.path.join(full, "__init__.py")):
                    continue  # a plain directory: a namespace portion never wins over a module
                if not _same_location(module, full):
                    return f"{full} shadows the preloaded module {name!r}"
        return None


def _same_location(module, entry: str) -> bool:
    file = getattr(module, "__file__", None)
    if file is None:
        return any(os.path.realpath(p) == os.path.realpath(entry) for p in getattr(module, "__path__", []))
    if os.path.basename(file).startswith("__init__."):
        file = os.path.dirname(file)
    return os.path.realpath(file) == os.path.realpath(entry)


def main_path(plan: dict, cwd: str) -> list[str]:
    """sys.path[0] as the interpreter sets it (none under -P / PYTHONSAFEPATH)."""
    if sys.flags.safe_path:
        return []
    if plan["kind"] == "script":
        target = plan["target"]
        file = target if os.path.isabs(target) else os.path.join(cwd, target)
        return [os.path.dirname(os.path.realpath(file))]
    return [cwd] if plan["kind"] == "module" else [""]


Parent.main_path = staticmethod(main_path)


def _load_child():
    """child.py as a private module object (not in sys.modules: a trial may have its own `child`)."""
    from importlib.util import module_from_spec, spec_from_file_location

    spec = spec_from_file_location("_kubetune_warm_child", os.path.join(os.path.dirname(_THIS), "child.py"))
    module = module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main() -> None:
    parent = Parent(socket.socket(fileno=int(sys.argv[1])))
    child = parent.start()
    plan, out_fd, fresh = parent.serve()
    child.become_trial(plan, out_fd, fresh, parent)


if __name__ == "__main__":
    main()
