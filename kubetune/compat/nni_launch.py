"""Launcher of NNI trial commands: `python -m kubetune.compat.nni_launch -- <command> [args...]`.

The converted Experiment runs the NNI trial command through it. It puts the directory holding the
`nni` shim package first on PYTHONPATH (so `import nni` in the trial finds the shim even where a
real NNI is installed), fills in the NNI_* variables a trial may read that are not set yet
(NNI_OUTPUT_DIR and NNI_SYS_DIR default to the working directory), creates NNI_OUTPUT_DIR, and
replaces itself with the command (exec: signals and the exit code are the command's). `python` /
`python3` as the command mean this interpreter, as in kubetune's local engine.
"""
from __future__ import annotations

import os
import re
import sys
from pathlib import Path

PYTHON = re.compile(r"^(?:.*/)?python(?:3(?:\.\d+)?)?$")


def shim_root() -> Path:
    """The directory that holds the `nni` shim package (next to the `kubetune` package, in a wheel
    install as in a source checkout)."""
    import kubetune

    return Path(kubetune.__file__).resolve().parent.parent


def launch_env(environ: dict[str, str]) -> dict[str, str]:
    env = dict(environ)
    root = str(shim_root())
    parts = [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p and p != root]
    env["PYTHONPATH"] = os.pathsep.join([root] + parts)
    cwd = os.getcwd()
    env.setdefault("NNI_PLATFORM", "katib")
    env.setdefault("NNI_OUTPUT_DIR", cwd)
    env.setdefault("NNI_SYS_DIR", env["NNI_OUTPUT_DIR"])
    env.setdefault("NNI_CODE_DIR", cwd)
    env.setdefault("NNI_TRIAL_SEQ_ID", "0")
    return env


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] == "--":
        args = args[1:]
    if not args:
        sys.stderr.write("usage: python -m kubetune.compat.nni_launch -- COMMAND [ARGS...]\n")
        return 2
    if not (shim_root() / "nni" / "__init__.py").is_file():
        sys.stderr.write(f"kubetune nni_launch: the nni shim package is missing next to kubetune in {shim_root()}; "
                         "reinstall kubetune\n")
        return 2
    env = launch_env(dict(os.environ))
    os.makedirs(env["NNI_OUTPUT_DIR"], exist_ok=True)
    if PYTHON.match(args[0]):
        args[0] = sys.executable
    try:
        os.execvpe(args[0], args, env)
    except OSError as exc:
        sys.stderr.write(f"kubetune nni_launch: cannot run {args[0]!r}: {exc.strerror or exc}\n")
        return 127
    return 0  # not reached


if __name__ == "__main__":
    sys.exit(main())
