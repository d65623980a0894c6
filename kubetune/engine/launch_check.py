"""The launch check: one trial rendered with sample values and checked before anything runs, so
a broken template, a missing script or a wrong path mapping fails the run at once instead of
failing every trial (the checks themselves are preflight.py's)."""
from __future__ import annotations

import shutil
from pathlib import Path
from typing import Callable

from kubetune.experiment import Experiment

from .collector import TrialCollector
from .local import LaunchSpec, LocalOverrides, local_launch
from .preflight import create_output_mounts, preflight
from .template import primary_container, render_workload


def check_launchable(exp: Experiment, overrides: LocalOverrides, directory: Path, has_gpus: bool,
                     say: Callable[[str], None]) -> LaunchSpec:
    """The sample trial's launch spec, once its template renders and preflight passes
    (TemplateError otherwise). Writable mounts it creates, and trials asking for GPUs this
    machine does not have, are said through `say`."""
    sample = {p.name: sample_value(p) for p in exp.parameters}
    workload = render_workload(exp.trial_template, sample, f"{exp.name}-check", exp.namespace)
    pc = primary_container(workload, exp.trial_template.get("primaryContainerName", ""))
    probe = directory / "trials" / ".launch-check"
    try:
        spec = local_launch(pc, overrides, probe, f"{exp.name}-check", exp.namespace,
                            TrialCollector.path_map(exp.metrics_collector, probe), exp.parallel_trial_count)
        for line in create_output_mounts(pc.container, overrides.paths):
            say(line)
        preflight(spec, pc.container, overrides.paths)  # a missing script fails here, not in every trial
    finally:
        shutil.rmtree(probe, ignore_errors=True)
    if pc.gpus and not has_gpus:
        say(f"trials ask for {pc.gpus} nvidia.com/gpu; this machine has none: running on CPU")
    return spec


def sample_value(p) -> str:
    """A value of the parameter's feasible space: its first listed value, else its minimum."""
    if p.values:
        return p.values[0]
    return p.format_value(p.min)
