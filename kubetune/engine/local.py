"""Run a cluster-ready trial container on this machine without editing the Experiment.

A container on the cluster sees volume mounts, Secret-sourced env vars and an image entrypoint that
do not exist here. `LocalOverrides` maps them: mount paths -> local paths, env vars -> values,
images -> a local command. It comes from `kubetune run --set-path/--set-env` flags and/or a small
YAML file (`--local-config`):

    paths:   {/data: ./data/digits}          # volumeMount mountPath -> local directory
    env:     {AWS_SECRET_ACCESS_KEY: dev}    # values for env vars sourced from Secrets/ConfigMaps
    images:  {ghcr.io/me/trainer: [python, -m, trainer]}   # entrypoint of an image whose command is unset

`python`/`python3` as a command run the interpreter kubetune runs under (the project's venv), so a
trial `python -m trainer ...` finds the trainer. emptyDir volumes become per-trial directories.
"""
from __future__ import annotations

import os
import re
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .template import PrimaryContainer, TemplateError

# Images whose entrypoint is `python -m trainer` (the kubetune trainer image).
TRAINER_IMAGE_HINT = "kubetune-trainer"
PYTHON_NAMES = {"python", "python3", f"python{sys.version_info.major}.{sys.version_info.minor}"}


@dataclass
class LocalOverrides:
    paths: dict[str, str] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)
    images: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def load(cls, path: str | None, set_paths: list[str] = (), set_env: list[str] = ()) -> "LocalOverrides":
        data: dict = {}
        if path:
            try:
                data = yaml.safe_load(Path(path).read_text()) or {}
            except (OSError, yaml.YAMLError) as e:
                raise TemplateError(f"{path}: cannot read local overrides: {e}") from e
            if not isinstance(data, dict):
                raise TemplateError(f"{path}: must be a mapping with keys paths, env, images")
            unknown = set(data) - {"paths", "env", "images"}
            if unknown:
                raise TemplateError(f"{path}: unknown key(s) {', '.join(sorted(unknown))}; allowed: paths, env, images")
        base = Path(path).parent if path else Path(".")
        over = cls(
            paths={str(k): str((base / str(v)).resolve()) for k, v in (data.get("paths") or {}).items()},
            env={str(k): str(v) for k, v in (data.get("env") or {}).items()},
            images={str(k): [str(a) for a in (v if isinstance(v, list) else [v])] for k, v in (data.get("images") or {}).items()},
        )
        for item, target, what in [(p, over.paths, "--set-path") for p in set_paths] + [(e, over.env, "--set-env") for e in set_env]:
            key, sep, value = item.partition("=")
            if not sep or not key:
                raise TemplateError(f"{what} {item!r}: expected KEY=VALUE")
            target[key] = str(Path(value).resolve()) if what == "--set-path" else value
        return over


@dataclass(frozen=True)
class LaunchSpec:
    """Everything needed to start one trial process."""

    argv: list[str]
    env: dict[str, str]  # only the container's own variables; the launcher adds os.environ
    cwd: str
    gpus: int
    timeout: float | None
    path_map: dict[str, str]  # container path -> local path (for the File collector path)


def _map_paths(text: str, path_map: dict[str, str]) -> str:
    """Replace container paths that start the text or follow `=` (`--data=/data/x`), in one pass."""
    if not path_map:
        return text
    mounts = sorted((m.rstrip("/") or "/" for m in path_map), key=len, reverse=True)
    local = {m.rstrip("/") or "/": v for m, v in path_map.items()}
    pattern = re.compile(r"(^|=)(" + "|".join(map(re.escape, mounts)) + r")(?=/|$)")
    return pattern.sub(lambda m: m.group(1) + local[m.group(2)], text)


def _env_value(var: dict, over: LocalOverrides, trial_name: str, namespace: str) -> str:
    name = var.get("name", "")
    if name in over.env:
        return over.env[name]
    if "value" in var:
        return str(var["value"])
    source = var.get("valueFrom") or {}
    field_ref = (source.get("fieldRef") or {}).get("fieldPath")
    if field_ref in ("metadata.name",):
        return trial_name
    if field_ref == "metadata.namespace":
        return namespace
    ref = source.get("secretKeyRef") or source.get("configMapKeyRef")
    if ref is not None:
        kind = "Secret" if "secretKeyRef" in source else "ConfigMap"
        raise TemplateError(
            f"env {name}: comes from {kind} {ref.get('name')}/{ref.get('key')}, which exists only on the "
            f"cluster; give a local value with `--set-env {name}=VALUE` or under `env:` in --local-config"
        )
    return ""


def cpu_threads(container: dict, parallel: int) -> int:
    """Threads a trial may use: its `cpu` limit (as a pod would get), else a fair share of this
    machine. Without it every PyTorch trial starts one thread per core and parallel trials thrash."""
    cores = os.cpu_count() or 1
    limit = str(((container.get("resources") or {}).get("limits") or {}).get("cpu", ""))
    if limit:
        try:
            cpus = float(limit[:-1]) / 1000 if limit.endswith("m") else float(limit)
            return max(1, min(cores, int(cpus)))
        except ValueError:
            pass
    return max(1, cores // max(1, parallel))


def local_launch(pc: PrimaryContainer, over: LocalOverrides, trial_dir: Path, trial_name: str,
                 namespace: str, extra_path_map: dict[str, str] | None = None, parallel: int = 1) -> LaunchSpec:
    """The primary container as a local process: argv (no shell), env, working dir, GPUs, deadline."""
    c = pc.container
    trial_dir.mkdir(parents=True, exist_ok=True)
    path_map = dict(extra_path_map or {})
    volumes = {v.get("name"): v for v in pc.pod_spec.get("volumes") or []}
    texts = [*map(str, c.get("command") or []), *map(str, c.get("args") or []),
             *[str(e.get("value", "")) for e in c.get("env") or []], str(c.get("workingDir", ""))]
    for mount in c.get("volumeMounts") or []:
        mpath = mount.get("mountPath", "")
        if mpath in over.paths:
            path_map[mpath] = over.paths[mpath]
        elif mpath in path_map:
            continue
        elif "emptyDir" in (volumes.get(mount.get("name")) or {}):
            local = trial_dir / "volumes" / str(mount.get("name"))
            local.mkdir(parents=True, exist_ok=True)
            path_map[mpath] = str(local)
        elif mpath and any(_map_paths(t, {mpath: "\0"}) != t for t in texts):  # the command uses it
            raise TemplateError(
                f"volumeMount {mount.get('name')} at {mpath}: no local path for it; map it with "
                f"`--set-path {mpath}=LOCAL_DIR` or under `paths:` in --local-config"
            )
    for mpath, local in over.paths.items():
        path_map.setdefault(mpath, local)

    command = [str(a) for a in c.get("command") or []]
    if not command:
        image = str(c.get("image", ""))
        entry = next((v for k, v in over.images.items() if image == k or image.startswith(k + ":")), None)
        if entry is None and TRAINER_IMAGE_HINT in image:
            entry = ["python", "-m", "trainer"]
        if entry is None:
            raise TemplateError(
                f"container {c.get('name')}: no command, and the entrypoint of image {image!r} is unknown "
                f"locally; set it under `images:` in --local-config, e.g. {{{image.split(':')[0]}: [python, train.py]}}"
            )
        command = list(entry)
    argv = [_map_paths(a, path_map) for a in command + [str(a) for a in c.get("args") or []]]
    if argv and argv[0] in PYTHON_NAMES:
        argv[0] = sys.executable
    elif argv and shutil.which(argv[0]) is None and not os.path.isfile(argv[0]):
        raise TemplateError(
            f"container {c.get('name')}: command {argv[0]!r} is not found on this machine (PATH) and is "
            "not a file; install it, or map the image's entrypoint under `images:` in --local-config"
        )
    env = {}
    for var in c.get("env") or []:
        env[str(var.get("name"))] = _map_paths(_env_value(var, over, trial_name, namespace), path_map)
    for name, value in over.env.items():
        env.setdefault(name, value)
    if "OMP_NUM_THREADS" not in env and "OMP_NUM_THREADS" not in os.environ:
        env["OMP_NUM_THREADS"] = str(cpu_threads(c, parallel))
    cwd = c.get("workingDir")
    cwd = _map_paths(str(cwd), path_map) if cwd else str(trial_dir)
    if not Path(cwd).is_dir():
        raise TemplateError(f"container {c.get('name')}: workingDir {cwd} does not exist locally; map it with --set-path")
    return LaunchSpec(argv, env, cwd, pc.gpus, pc.active_deadline_seconds, path_map)
