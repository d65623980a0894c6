"""What a trial's `python ...` command line asks the interpreter to run, as a plan a warm child can follow.

A warm child replaces `python [-u] [-B] SCRIPT ARGS`, `python -m MODULE ARGS` and `python -c CODE ARGS`
(and the NNI launcher wrapping one of them: `python -m kubetune.compat.nni_launch -- python ...`).
Any other interpreter option (-O, -X, -W, -E, -I, -s, -S, -i, reading from stdin ...) changes how the
interpreter starts, so such a command is not a plan: `parse` returns the reason it must run as a
subprocess instead. Pure functions of the argv and the working directory: no imports happen here.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field

NNI_LAUNCH = "kubetune.compat.nni_launch"
# nni_launch runs any `python`-looking command with its own interpreter (its PYTHON pattern).
_NNI_PYTHON = re.compile(r"^(?:.*/)?python(?:3(?:\.\d+)?)?$")
_HARMLESS_FLAGS = {"u": "unbuffered (trials are unbuffered anyway)", "B": "no .pyc files"}


@dataclass(frozen=True)
class Plan:
    """How to run the trial as `__main__` in a forked child (JSON-able through `to_wire`)."""

    kind: str            # "script" | "module" | "code"
    target: str          # the script path as given, the module name, or the code
    args: list[str]      # what follows the target (sys.argv[1:])
    argv: list[str]      # the full trial command (exec'd as is when a child must start fresh)
    run_argv: list[str]  # sys.orig_argv of the process the trial would be (after nni_launch's exec)
    dont_write_bytecode: bool = False
    nni: bool = False    # run through nni_launch's environment (shim first on PYTHONPATH)
    extra: dict = field(default_factory=dict)

    def to_wire(self) -> dict:
        return {"kind": self.kind, "target": self.target, "args": list(self.args), "argv": list(self.argv),
                "run_argv": list(self.run_argv), "dont_write_bytecode": self.dont_write_bytecode,
                "nni": self.nni, **self.extra}


def parse(argv: list[str], cwd: str) -> Plan | str:
    """The plan for `argv` (argv[0] is an interpreter already checked to be the engine's), or why not."""
    plan = _parse_python(argv, cwd, argv, nni=False)
    if isinstance(plan, str) or plan.kind != "module" or plan.target != NNI_LAUNCH:
        return plan
    inner = list(plan.args)
    if inner and inner[0] == "--":
        inner = inner[1:]
    if not inner:
        return "nni_launch without a command"
    if not _NNI_PYTHON.match(inner[0]):
        return f"the NNI trial command {inner[0]!r} is not python"
    run_argv = [argv[0]] + inner[1:]  # nni_launch exec's this interpreter with the trial's arguments
    return _parse_python(run_argv, cwd, argv, nni=True)


def _parse_python(argv: list[str], cwd: str, full: list[str], nni: bool) -> Plan | str:
    dont_write = False
    i = 1
    while i < len(argv):
        a = argv[i]
        if a == "--":
            i += 1
            break
        if not a.startswith("-") or a == "-":
            break
        if a.startswith("--"):
            return f"interpreter option {a}"
        flags = a[1:]
        for j, c in enumerate(flags):
            if c in _HARMLESS_FLAGS:
                dont_write = dont_write or c == "B"
                continue
            if c in "mc":
                value = flags[j + 1:]
                rest = argv[i + 1:]
                if not value:
                    if not rest:
                        return f"-{c} without an argument"
                    value, rest = rest[0], rest[1:]
                kind = "module" if c == "m" else "code"
                if kind == "module" and not re.fullmatch(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)*", value):
                    return f"-m {value!r} is not a module name"
                return Plan(kind, value, list(rest), list(full), list(argv), dont_write, nni)
            return f"interpreter option -{c}"
        i += 1
    if i >= len(argv):
        return "no script (an interactive interpreter)"
    script = argv[i]
    if script == "-":
        return "the script is read from stdin"
    path = script if os.path.isabs(script) else os.path.join(cwd, script)
    if not os.path.isfile(path):
        return f"{script} is not a file (a directory, a zip, or missing: the interpreter reports it)"
    with open(path, "rb") as f:
        if f.read(4) == b"PK\x03\x04":
            return f"{script} is a zip application"
    return Plan("script", script, list(argv[i + 1:]), list(full), list(argv), dont_write, nni)


def entry_file(plan: Plan, cwd: str, search_path: list[str]) -> list[str]:
    """The source files that run first (to read their imports): the script, the -m module (a
    package's __init__.py and __main__.py), nothing for -c. Found without importing anything."""
    if plan.kind == "script":
        return [plan.target if os.path.isabs(plan.target) else os.path.join(cwd, plan.target)]
    if plan.kind == "code":
        return []
    import sys
    from importlib.machinery import BuiltinImporter, FrozenImporter, PathFinder

    path, files = [cwd] + search_path, []
    parts = plan.target.split(".")
    for n, part in enumerate(parts):
        spec = PathFinder.find_spec(part, path)
        if spec is None and n == 0:  # an editable install's finder (after the path, as in the interpreter)
            for finder in sys.meta_path:
                if finder not in (BuiltinImporter, FrozenImporter, PathFinder) and hasattr(finder, "find_spec"):
                    spec = finder.find_spec(part, None)
                    if spec is not None:
                        break
        if spec is None:
            return files
        origin = spec.origin if spec.has_location else None
        locations = list(spec.submodule_search_locations or [])
        if origin and origin.endswith(".py"):
            files.append(origin)
        if n == len(parts) - 1 and locations:  # -m PACKAGE runs PACKAGE/__main__.py
            main = os.path.join(locations[0], "__main__.py")
            if os.path.isfile(main):
                files.append(main)
        path = locations
    return files
