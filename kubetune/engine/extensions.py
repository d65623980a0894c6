"""The engine's side of kubetune's Experiment extensions (kubetune.experiment.extensions).

* `build_suggester(exp, seed)` (kubetune.algorithms.extended, shared with `kubetune serve
  suggestion`): the Experiment's algorithm (`make_suggester`), asked define-by-run when conditions
  are set, and replaced by NSGA-II over the listed metrics when objectives are set (annotations
  `kubetune.io/*` or their settings form `kubetune.*`).
* `record_annotations(directory, exp)` / `read_annotations(directory)`: the state database keeps
  the spec only, so the `kubetune.io/*` annotations are kept beside it (`annotations.json`) for the
  commands that read a finished run (`kubetune best` shows the Pareto front from them).
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from kubetune.experiment import Experiment

from kubetune.algorithms.extended import build_suggester, experiment_extensions

ANNOTATIONS_FILE = "annotations.json"
KUBETUNE_ANNOTATION_PREFIX = "kubetune.io/"


def extension_notes(exp: Experiment) -> list[str]:
    """One line per extension in use, for the run's progress output."""
    notes = []
    try:
        found = experiment_extensions(exp)
        conditions, objectives = found.conditions, found.objectives
    except Exception:  # reported as errors elsewhere
        conditions = objectives = None
    if conditions is not None:
        notes.append(f"kubetune.io/conditions: {len(conditions.conditions)} conditional parameter(s) sampled "
                     "define-by-run; inactive ones get their neutral value (Katib would sample them all)")
    if objectives is not None:
        listed = ", ".join(f"{m} ({d[:3]})" for m, d in objectives.items())
        notes.append(f"kubetune.io/objectives: NSGA-II (population {objectives.population_size}) over {listed} "
                     f"instead of {exp.algorithm.name} (Katib runs {exp.algorithm.name} on "
                     f"{exp.objective.metric_name}); kubetune best shows the Pareto front")
    return notes


def kubetune_annotations(exp: Experiment) -> dict[str, str]:
    return {k: v for k, v in exp.annotations.items()
            if isinstance(k, str) and k.startswith(KUBETUNE_ANNOTATION_PREFIX)}


def record_annotations(directory: str | Path, exp: Experiment) -> None:
    """Write the kubetune.io/* annotations next to the state (atomically; absent when none)."""
    path = Path(directory) / ANNOTATIONS_FILE
    annotations = kubetune_annotations(exp)
    if not annotations:
        path.unlink(missing_ok=True)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(annotations, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def read_annotations(directory: str | Path) -> dict[str, Any]:
    """The annotations `record_annotations` kept ({} when there are none or the file is unreadable)."""
    try:
        data = json.loads((Path(directory) / ANNOTATIONS_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}
