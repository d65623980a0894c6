"""Checks before the first trial starts: what a trial needs that can be seen from here.

A trial whose script is missing fails in a second, and so does every other one: a converted NNI
config with its code directory mapped wrong burned a 100-trial budget in 11 s. So before anything
runs, the engine checks the rendered sample trial (launch_check.py):

* `python SCRIPT ...`: SCRIPT is a file, relative to the trial's working directory;
* `python -m MODULE ...`: MODULE can be imported by the trial's interpreter, from its working
  directory with its PYTHONPATH (checked in a child interpreter: no trial code is imported);
* every volume mount mapped to a local path (`--set-path`, `paths:` in --local-config) exists:
  on the cluster a volume is there before the container starts. A `readOnly` mount is the trial's
  input, so a missing one is an error; a writable mount (models, outputs) that is missing is
  created, as an empty volume would be, and said on the terminal (`create_output_mounts`).

Each problem names what is missing, where it was looked for, and the flag that fixes it.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from .local import LaunchSpec
from .template import TemplateError

# Python's own options before the script / -m / -c (python --help): those that take a value.
_OPTIONS_WITH_VALUE = {"-W", "-X", "--check-hash-based-pycs"}
_MODULE_CHECK = ("import importlib.util, sys\n"
                 "name = sys.argv[1]\n"
                 "top, _, rest = name.partition('.')\n"
                 "spec = importlib.util.find_spec(top)\n"
                 "if spec is not None and rest:\n"  # a submodule: look for its file without importing the package
                 "    import importlib.machinery as m\n"
                 "    spec = m.PathFinder.find_spec(name.rsplit('.', 1)[1], [str(p) for p in "
                 "(spec.submodule_search_locations or [])]) if name.count('.') == 1 else spec\n"
                 "sys.exit(0 if spec is not None else 3)\n")
MODULE_CHECK_SECONDS = 30.0


class PreflightError(TemplateError):
    """What the first trial would fail on; nothing has run."""


def python_target(argv: list[str]) -> tuple[str, str] | None:
    """("script", path) or ("module", name) of a `python ...` command line; None for `-c`, stdin
    or a command that is not the interpreter."""
    if not argv or argv[0] != sys.executable:
        return None
    i = 1
    while i < len(argv):
        arg = argv[i]
        if arg == "-m":
            return ("module", argv[i + 1]) if i + 1 < len(argv) else None
        if arg.startswith("-m") and len(arg) > 2:
            return "module", arg[2:]
        if arg in ("-c", "-") or (arg.startswith("-c") and len(arg) > 2):
            return None
        if arg in _OPTIONS_WITH_VALUE:
            i += 2
            continue
        if arg.startswith("-"):
            i += 1
            continue
        return "script", arg
    return None


def _module_missing(name: str, spec: LaunchSpec) -> bool:
    """Whether `python -m name` would fail with "No module named": True only when the check ran and
    said so (a check that cannot run is no reason to refuse a run)."""
    env = {**os.environ, **spec.env}
    try:
        r = subprocess.run([sys.executable, "-c", _MODULE_CHECK, name], cwd=spec.cwd, env=env,
                           stdin=subprocess.DEVNULL, capture_output=True, timeout=MODULE_CHECK_SECONDS)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return r.returncode == 3


def problems(spec: LaunchSpec, container: dict, mapped: dict[str, str]) -> list[str]:
    """What the sample trial `spec` (of `container`) would fail on. mapped: the mount paths the
    user mapped to local paths (LocalOverrides.paths)."""
    found = []
    name = container.get("name", "")
    for mount in container.get("volumeMounts") or []:
        mount_path = mount.get("mountPath", "")
        local = mapped.get(mount_path)
        if local is not None and not Path(local).exists():
            found.append(f"volumeMount {mount.get('name')} at {mount_path} is mapped to {local}, which does not "
                         f"exist; fix --set-path {mount_path}=LOCAL_DIR (or `paths:` in --local-config), or create "
                         "the directory if the trial writes there")
    target = python_target(spec.argv)
    if target is not None:
        kind, value = target
        workdir = Path(spec.cwd)
        if kind == "script" and not (workdir / value).is_file():
            declared = container.get("workingDir")
            if Path(value).is_absolute():
                where = f"{value} is not a file on this machine"
            elif declared:
                where = (f"it is not a file in the working directory {declared} (here {workdir}); map the trial "
                         f"code directory with --set-path {declared}=LOCAL_DIR")
            else:
                where = ("the trial starts in an empty directory of its own (the container sets no workingDir), "
                         "so it is not found; give the script's absolute path, or set workingDir and map it "
                         "with --set-path")
            found.append(f"container {name}: the trial runs `python {value}`, but {where}")
        elif kind == "module" and _module_missing(value, spec):
            found.append(f"container {name}: the trial runs `python -m {value}`, but no module {value!r} can be "
                         f"imported from {workdir} (with PYTHONPATH={spec.env.get('PYTHONPATH', '')!r}); install "
                         "it in this environment or map the directory that holds it with --set-path")
    return found


def create_output_mounts(container: dict, mapped: dict[str, str]) -> list[str]:
    """Create the missing local directories of writable mounts; the lines saying so."""
    created = []
    for mount in container.get("volumeMounts") or []:
        local = mapped.get(mount.get("mountPath", ""))
        if local is None or mount.get("readOnly") or Path(local).exists():
            continue
        try:
            Path(local).mkdir(parents=True)
        except OSError:
            continue  # problems() reports it
        created.append(f"created {local} for the writable volumeMount {mount.get('name')} at {mount.get('mountPath')}")
    return created


def preflight(spec: LaunchSpec, container: dict, mapped: dict[str, str]) -> None:
    """PreflightError listing every problem; nothing when the trial can start."""
    found = problems(spec, container, mapped)
    if found:
        raise PreflightError("the trials cannot start, so none was run (no budget used):\n  - "
                             + "\n  - ".join(found))
