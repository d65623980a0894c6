"""`kubetune best` for a multi-objective experiment (kubetune.io/objectives): the Pareto front.

The objectives come from the annotations the engine kept beside the state
(kubetune.engine.extensions), the values from each trial's observation by metric strategy
(kubetune.engine.pareto).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from kubetune.engine.extensions import read_annotations
from kubetune.engine.pareto import Scored, pareto_front, strategies_of
from kubetune.experiment.objectives import OBJECTIVES_ANNOTATION, Objectives, parse_objectives
from kubetune.results import TrialRow

from .common import UserError, to_json
from .tables import console, fmt, trial_dict


def objectives_of_run(run_dir: str | Path, spec: dict) -> Objectives | None:
    """The objectives of a stored run, or None for a single-objective one."""
    annotations = read_annotations(run_dir)
    if OBJECTIVES_ANNOTATION not in annotations:
        return None
    objective = spec.get("objective") or {}
    metric_names = [objective.get("objectiveMetricName", ""), *(objective.get("additionalMetricNames") or [])]
    objectives, problems = parse_objectives(annotations, metric_names, objective.get("type", ""))
    if problems:  # the run was checked before it started; a hand-edited file should not crash `best`
        raise ValueError("; ".join(str(p) for p in problems))
    return objectives


def front_of(trials: list[TrialRow], objectives: Objectives, spec: dict) -> list[Scored]:
    return pareto_front(trials, objectives, strategies_of(spec))


def front_json(front: list[Scored], objectives: Objectives, best: TrialRow | None) -> dict[str, Any]:
    """{objectives, paretoFront: [trial + values], best}: `best` is the objectiveMetricName's best,
    what Katib would call the optimal trial."""
    return {
        "objectives": [{"name": m, "direction": d} for m, d in objectives.items()],
        "paretoFront": [{**trial_dict(s.trial), "values": dict(zip(objectives.metrics, s.values))}
                        for s in front],
        "best": trial_dict(best) if best is not None else None,
    }


def front_table(front: list[Scored], objectives: Objectives, title: str):
    from rich.table import Table

    table = Table(title=title, header_style="bold")
    table.add_column("#", justify="right")
    table.add_column("trial")
    for metric, direction in objectives.items():
        table.add_column(f"{metric} ({'max' if direction == 'maximize' else 'min'})", justify="right")
    params = list(dict.fromkeys(k for s in front for k in s.trial.assignments))
    for p in params:
        table.add_column(p, overflow="fold")
    ordered = sorted(front, key=lambda s: s.values[0] if objectives.directions[0] == "minimize" else -s.values[0])
    for i, s in enumerate(ordered, 1):
        table.add_row(str(i), s.trial.name, *[fmt(v) for v in s.values],
                      *[s.trial.assignments.get(p, "") for p in params])
    return table


def show_front(run_dir: Path, experiment: dict, trials: list[TrialRow], best: TrialRow | None, output: str) -> bool:
    """Show the Pareto front of a multi-objective run; False for a single-objective one.
    experiment: the stored experiment row (name, spec); best: the objectiveMetricName's best."""
    name, spec = experiment["name"], experiment["spec"]
    try:
        objectives = objectives_of_run(run_dir, spec)
    except ValueError as e:
        raise UserError(f"experiment {name}: {e}") from None
    if objectives is None:
        return False
    front = front_of(trials, objectives, spec)
    if not front and output != "json":
        raise UserError(f"experiment {name} has no succeeded trial with every objective "
                        f"({', '.join(objectives.metrics)}) yet")
    if output == "json":
        print(to_json(front_json(front, objectives, best)))
        return True
    out = console()
    out.print(front_table(front, objectives, f"Pareto front of {name}: {len(front)} trial(s) no other "
                                             "trial beats on every objective"))
    if best is not None:
        out.print(f"best by {spec['objective'].get('objectiveMetricName')} alone (Katib's optimal trial): "
                  f"{best.name}")
    return True

