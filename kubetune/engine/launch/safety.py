"""When a forked warm child behaves as the fresh interpreter it replaces.

Two rules, checked per trial (a trial that breaks one runs as a subprocess, and kubetune says why):

1. The command starts with the engine's own interpreter: the same file by resolved path, from the
   same directory (so the same virtualenv: a venv's `bin/python` and the system python it links to
   are the same file but import from different places).
2. Every environment variable that changes what, or how, the interpreter and its libraries import
   has the value the warm parent was started with: PYTHON* (PYTHONPATH, PYTHONHOME, ...), the virtual
   env, the dynamic loader (LD_*), the locale, and what OpenMP/BLAS/torch read when loaded.
   Two exceptions are applied in the child instead: CUDA_VISIBLE_DEVICES (read when CUDA is first
   initialised, which the parent never does) and OMP_NUM_THREADS (set with torch.set_num_threads).
   Relative PYTHONPATH entries are refused: they resolve against the working directory.
"""
from __future__ import annotations

import os
import shutil
import site
import sys

_PREFIXES = ("PYTHON", "LC_", "LD_", "OMP_", "KMP_", "GOMP_", "MKL_", "OPENBLAS_", "GOTO_", "BLIS_",
             "VECLIB_", "NUMEXPR_", "TORCH", "PYTORCH_", "MALLOC_", "CONDA_")
_EXACT = {"LANG", "LANGUAGE", "VIRTUAL_ENV", "TZ", "CONDA_PREFIX"}
# Read at run time (or applied in the child), not at import.
_RUNTIME = {"OMP_NUM_THREADS", "PYTHONBREAKPOINT", "PYTHONSTARTUP", "PYTHONINSPECT"}
THREADS_VAR = "OMP_NUM_THREADS"


def import_time_var(name: str) -> bool:
    if name in _RUNTIME:
        return False
    return name in _EXACT or name.startswith(_PREFIXES) or (name == "HOME" and site.ENABLE_USER_SITE)


def resolve_command(argv0: str, cwd: str, env: dict[str, str]) -> str | None:
    """The file the OS would run for argv0 (PATH lookup without a slash, else relative to cwd)."""
    if "/" in argv0:
        path = argv0 if os.path.isabs(argv0) else os.path.join(cwd, argv0)
        return path if os.path.isfile(path) else None
    found = shutil.which(argv0, path=env.get("PATH", os.defpath))
    return os.path.abspath(found) if found else None


def interpreter_reason(argv0: str, cwd: str, env: dict[str, str], engine: str = sys.executable) -> str | None:
    path = resolve_command(argv0, cwd, env)
    if path is None:
        return f"the command {argv0!r} is not found"
    if os.path.dirname(os.path.abspath(path)) != os.path.dirname(os.path.abspath(engine)):
        return f"the command {argv0!r} is not the engine's interpreter {engine}"
    try:
        if os.path.samefile(path, engine):
            return None
    except OSError:
        pass
    return f"the command {argv0!r} is not the engine's interpreter {engine}"


def threads(env: dict[str, str]) -> int | None:
    try:
        n = int(env.get(THREADS_VAR, ""))
    except ValueError:
        return None
    return n if n > 0 else None


def env_reason(trial_env: dict[str, str], parent_env: dict[str, str]) -> str | None:
    """Why the trial's environment would import differently from the warm parent's, or None."""
    for name in sorted(set(trial_env) | set(parent_env)):
        if not import_time_var(name):
            continue
        mine, theirs = trial_env.get(name), parent_env.get(name)
        if mine != theirs:
            if theirs is None:
                return f"{name} is set in the trial's environment"
            if mine is None:
                return f"{name} is unset in the trial's environment"
            return f"{name}={mine!r} differs from the warm parent's {theirs!r}"
    for entry in (trial_env.get("PYTHONPATH") or "").split(os.pathsep):
        if entry and not os.path.isabs(entry):
            return f"PYTHONPATH entry {entry!r} is relative to the working directory"
    if THREADS_VAR in parent_env and THREADS_VAR not in trial_env:
        return f"{THREADS_VAR} is unset in the trial's environment"
    if THREADS_VAR in trial_env and threads(trial_env) is None and \
            trial_env.get(THREADS_VAR) != parent_env.get(THREADS_VAR):
        return f"{THREADS_VAR}={trial_env[THREADS_VAR]!r} is not a positive number"
    return None
