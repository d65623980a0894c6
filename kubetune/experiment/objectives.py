"""Multi-objective search: kubetune's `kubetune.io/objectives` annotation.

Katib optimises one metric. The annotation names two or more of the Experiment's metrics (the
objective metric and/or `additionalMetricNames`) with a direction each:

    metadata:
      annotations:
        kubetune.io/objectives: "{accuracy: maximize, params: minimize}"
        kubetune.io/population-size: "8"         # optional, NSGA-II's population (default 50)

`kubetune run` then optimises them together with Optuna's NSGA-II (instead of the Experiment's
algorithm), and `kubetune best` shows the Pareto front. Each trial's value of a metric is the one
its metric strategy selects (as Katib selects the objective value). Katib ignores annotations:
on a cluster the Experiment's own algorithm optimises `objectiveMetricName`, which should be a
single scalarised metric the trial computes (the trainer's `score`, see docs/search-spaces.md).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import yaml

from .errors import Problem, did_you_mean, error, kind_of, show

OBJECTIVES_ANNOTATION = "kubetune.io/objectives"
POPULATION_ANNOTATION = "kubetune.io/population-size"
ANNOTATION_PATH = f"metadata.annotations[{OBJECTIVES_ANNOTATION}]"
POPULATION_PATH = f"metadata.annotations[{POPULATION_ANNOTATION}]"
DIRECTIONS = ("minimize", "maximize")
DEFAULT_POPULATION = 50  # Optuna's NSGAIISampler default
# The Experiment's algorithm is replaced locally by NSGA-II; these would lose their meaning.
NOT_WITH_OBJECTIVES = ("fixed-product", "hyperband", "asha", "bohb", "pbt", "enas", "darts")


@dataclass(frozen=True)
class Objectives:
    metrics: tuple[str, ...]
    directions: tuple[str, ...]  # 'minimize' | 'maximize', one per metric
    population_size: int = DEFAULT_POPULATION

    def items(self) -> list[tuple[str, str]]:
        return list(zip(self.metrics, self.directions))


def parse_objectives(annotations: Mapping[str, Any] | None, metric_names: Sequence[str],
                     objective_type: str) -> tuple[Objectives | None, list[Problem]]:
    """The objectives (None without the annotation) and the errors in the annotations.

    `metric_names` is the objective metric first, then the additional metrics.
    """
    if not annotations or OBJECTIVES_ANNOTATION not in annotations:
        if annotations and POPULATION_ANNOTATION in annotations:
            return None, [error(POPULATION_PATH, f"is set but {OBJECTIVES_ANNOTATION} is not",
                                f"add {OBJECTIVES_ANNOTATION}, or remove {POPULATION_ANNOTATION}")]
        return None, []
    text = annotations[OBJECTIVES_ANNOTATION]
    example = "e.g. \"{accuracy: maximize, params: minimize}\""
    if not isinstance(text, str):
        return None, [error(ANNOTATION_PATH, f"found {kind_of(text)}; annotation values are strings", example)]
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        return None, [error(ANNOTATION_PATH, f"is not valid YAML: {str(exc).strip().splitlines()[0]}", example)]
    if not isinstance(document, dict):
        return None, [error(ANNOTATION_PATH, f"found {kind_of(document)}; must be a mapping metric -> "
                            "minimize|maximize", example)]
    problems: list[Problem] = []
    metrics, directions = [], []
    for metric, direction in document.items():
        path = f"{ANNOTATION_PATH}.{metric}"
        if not isinstance(metric, str) or metric not in metric_names:
            hint = did_you_mean(str(metric), metric_names) or (
                f"metrics of this Experiment: {', '.join(metric_names)}; add it to additionalMetricNames")
            problems.append(error(path, f"{show(metric)} is not objectiveMetricName or one of "
                                        "additionalMetricNames", hint))
            continue
        if direction not in DIRECTIONS:
            problems.append(error(path, f"found {show(direction)}; must be minimize or maximize",
                                  did_you_mean(str(direction), DIRECTIONS)))
            continue
        if metric == metric_names[0] and direction != objective_type:
            problems.append(error(path, f"{metric} is the objective metric, optimised with objective.type "
                                        f"{objective_type}; found {direction}",
                                  f"write {metric}: {objective_type}, or leave the objective metric out"))
            continue
        metrics.append(metric)
        directions.append(direction)
    if not problems and len(metrics) < 2:
        problems.append(error(ANNOTATION_PATH, f"names {len(metrics)} metric(s); multi-objective search needs "
                                               "at least 2", example))
    population, found = _population(annotations)
    problems += found
    if problems:
        return None, problems
    return Objectives(tuple(metrics), tuple(directions), population), []


def _population(annotations: Mapping[str, Any]) -> tuple[int, list[Problem]]:
    text = annotations.get(POPULATION_ANNOTATION)
    if text is None:
        return DEFAULT_POPULATION, []
    try:
        value = int(text) if isinstance(text, str) else None
    except ValueError:
        value = None
    if value is None or value < 2:
        return DEFAULT_POPULATION, [error(POPULATION_PATH, f"found {show(text)}; must be an integer >= 2 written "
                                                           "as a string", 'e.g. "8"')]
    return value, []
