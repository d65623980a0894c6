"""The trial side of a warm fork: turn the forked copy of the warm parent into the trial's process.

Loaded by zygote.py into the warm parent (under a private name, not in sys.modules) so that a child
pays nothing for it. `become_trial` never returns: it sets the process up as the subprocess launcher
would (session, stdout/stderr, working directory, environment), resets per-process library state
(thread count, RNG seeds, caches), runs the trial as `__main__` the way the interpreter does, then
exits the way the interpreter exits: non-daemon threads joined, atexit handlers run, the main
module's globals released (closing the files they hold), files the trial left open flushed, stdout
and stderr flushed, SystemExit / uncaught exception / KeyboardInterrupt (death by SIGINT) mapped to
the same exit status. What it skips is the teardown of every imported module (seconds for torch,
and only observable through `__del__` of objects held by module globals).
"""
import builtins
import gc
import io
import os
import signal
import sys
import types

_OWN_FILES = {__file__}


def become_trial(plan: dict, out_fd: int, fresh, parent) -> None:
    _OWN_FILES.add(parent.file)
    _set_up_process(plan, out_fd, parent)
    if fresh:  # a module of the trial's directory shadows a preloaded one: start a real interpreter
        _exec(plan)
    if plan.get("nni"):
        _enter_nni_launch(plan)
    _reset_library_state(plan, parent)
    main = _install_main(plan, parent)
    code, sigint = _run(plan, main)
    code = _finalize(code, main)
    if sigint:
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGINT)
    os._exit(code)


def _set_up_process(plan: dict, out_fd: int, parent) -> None:
    parent.deathsig(signal.SIGKILL)  # die with the warm parent (it kills our group when the engine dies)
    if os.getppid() != parent.pid:
        os._exit(1)
    signal.set_wakeup_fd(-1)
    for sig, handler in parent.initial_handlers.items():
        signal.signal(sig, handler)
    for fd in (parent.wake_r, parent.wake_w):
        os.close(fd)
    parent.ctl.close()
    os.setsid()  # a session (and process group) of its own, as the subprocess launcher starts trials
    os.dup2(out_fd, 1)
    os.dup2(out_fd, 2)
    if out_fd > 2:
        os.close(out_fd)
    signal.pthread_sigmask(signal.SIG_SETMASK, [])
    try:
        os.chdir(plan["cwd"])
    except OSError as e:
        os.write(2, f"kubetune: cannot start {plan['argv'][0]!r}: {e}\n".encode())
        os._exit(127)
    os.environ.clear()
    os.environ.update(plan["env"])


def _exec(plan: dict) -> None:
    try:
        os.execve(plan["executable"], plan["argv"], plan["env"])
    except OSError as e:
        os.write(2, f"kubetune: cannot start {plan['argv'][0]!r}: {e}\n".encode())
        os._exit(127)


def _enter_nni_launch(plan: dict) -> None:
    """What `python -m kubetune.compat.nni_launch -- python ...` does before it exec's the trial."""
    from kubetune.compat import nni_launch

    if not (nni_launch.shim_root() / "nni" / "__init__.py").is_file():
        sys.stderr.write(f"kubetune nni_launch: the nni shim package is missing next to kubetune in "
                         f"{nni_launch.shim_root()}; reinstall kubetune\n")
        sys.stderr.flush()
        os._exit(2)
    env = nni_launch.launch_env(dict(os.environ))
    os.makedirs(env["NNI_OUTPUT_DIR"], exist_ok=True)
    os.environ.clear()
    os.environ.update(env)
    plan["env"] = env
    if env["PYTHONPATH"].split(os.pathsep)[0] != plan["extra_path"][0]:
        _exec(plan)  # not the shim directory the parent was checked against


def _reset_library_state(plan: dict, parent) -> None:
    threads = plan.get("threads")
    torch = sys.modules.get("torch")
    if torch is not None:
        if threads:
            torch.set_num_threads(threads)  # OMP_NUM_THREADS was read when the parent imported torch
        torch.default_generator.seed()  # a fresh process seeds it from the OS: each trial its own
    if threads and str(threads) != parent.initial_threads and "numpy" in sys.modules:
        try:
            from threadpoolctl import threadpool_limits

            threadpool_limits(threads)
        except Exception:  # noqa: BLE001 - BLAS keeps the parent's count
            pass
    nprandom = sys.modules.get("numpy.random")
    if nprandom is not None:
        nprandom.seed()  # the legacy global generator is seeded from the OS at import
    tempfile = sys.modules.get("tempfile")
    if tempfile is not None:
        tempfile.tempdir = None  # computed again from this trial's TMPDIR
    import importlib

    importlib.invalidate_caches()


def _install_main(plan: dict, parent) -> types.ModuleType:
    from importlib.machinery import BuiltinImporter, SourceFileLoader

    sys.path[0:0] = parent.main_path(plan, os.getcwd()) + list(plan.get("extra_path", []))
    sys.orig_argv = list(plan["run_argv"])
    sys.executable = plan["executable"]
    if plan.get("dont_write_bytecode"):
        sys.dont_write_bytecode = True
    main = types.ModuleType("__main__")
    main.__dict__.update(__loader__=BuiltinImporter, __annotations__={}, __builtins__=builtins)
    kind, target, args = plan["kind"], plan["target"], plan["args"]
    if kind == "script":
        file = target if os.path.isabs(target) else os.path.join(os.getcwd(), target)
        main.__dict__.update(__file__=file, __cached__=None, __loader__=SourceFileLoader("__main__", file))
        sys.argv = [target, *args]
    else:
        sys.argv = ["-m" if kind == "module" else "-c", *args]
    sys.modules["__main__"] = main
    return main


def _run(plan: dict, main: types.ModuleType):
    """(exit code, died of KeyboardInterrupt) of running the trial as __main__."""
    kind, target = plan["kind"], plan["target"]
    try:
        if kind == "script":
            with io.open_code(main.__file__) as f:
                source = f.read()
            exec(compile(source, main.__file__, "exec", dont_inherit=True), main.__dict__)
        elif kind == "module":
            import runpy

            runpy._run_module_as_main(target, True)  # what `python -m` calls
        else:
            exec(compile(target, "<string>", "exec", dont_inherit=True), main.__dict__)
    except SystemExit as e:
        return _system_exit_code(e), False
    except BaseException as e:  # noqa: BLE001 - the interpreter's top level
        _forget_file(main, kind)
        _print_uncaught(e)
        return 1, isinstance(e, KeyboardInterrupt)
    _forget_file(main, kind)
    return 0, False


def _forget_file(main: types.ModuleType, kind: str) -> None:
    if kind == "script":  # the interpreter removes them once the script has run
        main.__dict__.pop("__file__", None)
        main.__dict__.pop("__cached__", None)


def _system_exit_code(e: SystemExit) -> int:
    code = e.code
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF
    try:
        sys.stderr.write(f"{code}\n")
        sys.stderr.flush()
    except Exception:  # noqa: BLE001
        pass
    return 1


def _print_uncaught(e: BaseException) -> None:
    """PyErr_Print: sys.last_*, then sys.excepthook, with the warm parent's frames left out."""
    tb = e.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename in _OWN_FILES:
        tb = tb.tb_next
    e.__traceback__ = tb
    sys.last_type, sys.last_value, sys.last_traceback = type(e), e, tb
    try:
        sys.excepthook(type(e), e, tb)
    except BaseException as hook_error:  # noqa: BLE001
        sys.stderr.write("Error in sys.excepthook:\n")
        sys.__excepthook__(type(hook_error), hook_error, hook_error.__traceback__)
        sys.stderr.write("\nOriginal exception was:\n")
        sys.__excepthook__(type(e), e, tb)


def _finalize(code: int, main: types.ModuleType) -> int:
    threading = sys.modules.get("threading")
    if threading is not None:
        try:
            threading._shutdown()  # join non-daemon threads
        except BaseException:  # noqa: BLE001
            pass
    import atexit

    atexit._run_exitfuncs()
    _clear_module(main)
    gc.collect()
    for obj in gc.get_objects():  # only what the trial created: the parent's objects are frozen
        if isinstance(obj, (io.BufferedWriter, io.BufferedRandom, io.TextIOWrapper)):
            try:
                if not obj.closed:
                    obj.flush()
            except Exception:  # noqa: BLE001
                pass
    for name in ("stderr", "stdout"):
        stream = getattr(sys, name, None)
        try:
            if stream is not None:
                stream.flush()
        except Exception as e:  # noqa: BLE001
            if name == "stdout":
                try:
                    sys.stderr.write(f"Exception ignored in: {stream!r}\n{type(e).__name__}: {e}\n")
                except Exception:  # noqa: BLE001
                    pass
                code = 120  # what the interpreter exits with when stdout cannot be flushed
    return code


def _clear_module(module: types.ModuleType) -> None:
    """_PyModule_ClearDict: names starting with one underscore first, then the rest (not __builtins__)."""
    d = module.__dict__
    for first in (True, False):
        for key in list(d):
            if not isinstance(key, str) or key == "__builtins__":
                continue
            if (key.startswith("_") and not key.startswith("__")) == first:
                try:
                    d[key] = None
                except Exception:  # noqa: BLE001
                    pass
