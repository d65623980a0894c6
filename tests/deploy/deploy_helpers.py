"""Helpers shared by the tests/deploy tests (imported as a plain module)."""
from __future__ import annotations

import copy
import os
import re
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
TOOLS_BIN = ROOT / ".tools" / "bin"
EXPERIMENTS = ROOT / "manifests" / "experiments"
CHART = ROOT / "charts" / "kubetune"
KUBETUNE = [sys.executable, "-m", "kubetune.cli"]
# The Kubernetes version docs/cluster.md names; kubernetes-validate checks against its schemas.
KUBERNETES_VERSION = "1.33.0"
EXPERIMENT_FILES = sorted(p.name for p in EXPERIMENTS.glob("*.yaml") if p.name != "local.yaml")


def run(argv: list[str], *, input_text: str | None = None, timeout: float = 300,
        env: dict[str, str] | None = None, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run(argv, input=input_text, capture_output=True, text=True, timeout=timeout,
                          env=env, cwd=cwd)


def load_docs(text: str) -> list[dict]:
    return [d for d in yaml.safe_load_all(text) if d]


def pod_specs(workload: dict) -> list[dict]:
    """Every pod spec of a Job / PyTorchJob / Deployment / Pod object."""
    kind, spec = workload.get("kind"), workload.get("spec") or {}
    if kind == "Pod":
        return [spec]
    if kind in ("Job", "Deployment", "StatefulSet", "DaemonSet"):
        return [spec["template"]["spec"]]
    if kind == "PyTorchJob":
        return [r["template"]["spec"] for r in spec["pytorchReplicaSpecs"].values()]
    return []


def trial_pod_specs(experiment: dict) -> list[dict]:
    return pod_specs(experiment["spec"]["trialTemplate"]["trialSpec"])


def primary_container(experiment: dict) -> dict:
    name = experiment["spec"]["trialTemplate"]["primaryContainerName"]
    for pod in trial_pod_specs(experiment):
        for c in pod["containers"]:
            if c["name"] == name:
                return c
    raise AssertionError(f"{experiment['metadata']['name']}: no primary container {name!r}")


def shrink_experiment(doc: dict, *, image_size: int, lists: dict[str, list[str]] | None = None,
                      trials: int = 1) -> dict:
    """A tiny-budget copy: `trials` trials one at a time, 1 epoch, small images, small batches, and
    (for cost only) some categorical/discrete lists cut to their cheap values."""
    doc = copy.deepcopy(doc)
    spec = doc["spec"]
    spec["maxTrialCount"] = trials
    spec["parallelTrialCount"] = 1
    spec["maxFailedTrialCount"] = min(spec.get("maxFailedTrialCount", 1), trials)
    for param in spec["parameters"]:
        if param["name"] in (lists or {}):
            param["feasibleSpace"]["list"] = list(lists[param["name"]])
    replacements = {
        r"^--epochs=\d+$": "--epochs=1",
        r"^--image-size=\d+$": f"--image-size={image_size}",
        r"^--batch-size=\d+$": "--batch-size=64",
        r"^--workers=\d+$": "--workers=0",
    }
    container = primary_container(doc)
    args = []
    for arg in container["args"]:
        for pattern, new in replacements.items():
            arg = re.sub(pattern, new, arg)
        args.append(arg)
    container["args"] = args
    return doc


def tool_path(name: str) -> Path | None:
    """The tool from .tools/bin (scripts/install-tools.sh), else None."""
    path = TOOLS_BIN / name
    if path.exists() and os.access(path, os.X_OK):
        return path
    return None
