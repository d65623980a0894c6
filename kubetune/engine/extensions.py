"""The engine's side of kubetune's Experiment extensions (kubetune.experiment.extensions).

* `build_suggester(exp, seed)`: the Experiment's algorithm (`make_suggester`), asked define-by-run
  when `kubetune.io/conditions` is set, and replaced by NSGA-II over the listed metrics when
  `kubetune.io/objectives` is set.
* `record_annotations(directory, exp)` / `read_annotations(directory)`: the state database keeps
  the spec only, so the `kubetune.io/*` annotations are kept beside it (`annotations.json`) for the
  commands that read a finished run (`kubetune best` shows the Pareto front from them).
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from optuna.samplers import NSGAIISampler

from kubetune.experiment import Experiment
from kubetune.experiment.conditions import parse_conditions
from kubetune.experiment.objectives import parse_objectives

from kubetune.algorithms import Suggester, SuggestionError, make_suggester, objective_direction
from kubetune.algorithms.define_by_run import DefineByRunSuggester
from kubetune.algorithms.optuna_study import OptunaSuggester
from kubetune.algorithms.space import SearchSpace
from kubetune.algorithms.settings import int_setting

ANNOTATIONS_FILE = "annotations.json"
KUBETUNE_ANNOTATION_PREFIX = "kubetune.io/"


def build_suggester(exp: Experiment, seed: int | None = None) -> Suggester:
    """The suggester `kubetune run` uses for `exp`; SuggestionError for what it cannot run."""
    parameters = exp.parameters
    conditions, problems = parse_conditions(exp.annotations, parameters)
    objectives, found = parse_objectives(exp.annotations, exp.metric_names, exp.objective.type)
    errors = [str(p) for p in problems + found if p.is_error]
    if errors:
        raise SuggestionError("; ".join(errors))
    algorithm = exp.algorithm
    base = make_suggester(algorithm.name, algorithm.settings, parameters, exp.objective.type,
                          exp.metric_names, seed)
    if conditions is None and objectives is None:
        return base
    if objectives is not None:
        nsga_seed = int_setting(algorithm.settings, "random_state", seed)
        population = objectives.population_size
        return DefineByRunSuggester(
            "nsga2", SearchSpace(parameters), conditions,
            [objective_direction(d) for d in objectives.directions],
            lambda count, trials: NSGAIISampler(population_size=population, seed=nsga_seed),
            metrics=objectives.metrics)
    if not isinstance(base, OptunaSuggester):
        raise SuggestionError(f"conditional parameters need an Optuna-backed algorithm; {algorithm.name} "
                              "samples a fixed space")
    return DefineByRunSuggester.conditional(base, conditions)


def extension_notes(exp: Experiment) -> list[str]:
    """One line per extension in use, for the run's progress output."""
    notes = []
    try:
        conditions, _ = parse_conditions(exp.annotations, exp.parameters)
    except Exception:  # reported as errors elsewhere
        conditions = None
    objectives, _ = parse_objectives(exp.annotations, exp.metric_names, exp.objective.type)
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
