"""`kubetune best` for a multi-objective experiment (kubetune.io/objectives): the Pareto front.

The objectives come from the annotations the engine kept beside the state
(kubetune.engine.extensions; read with conditional.annotations_of_run, which does not load the
engine and optuna) or, for a cluster experiment, the Experiment's own annotations, or
from their settings form in spec.algorithm (kubetune.experiment.extension_form); the values from
each trial's observation by metric strategy (kubetune.engine.pareto).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from kubetune.engine.pareto import Scored, pareto_front, strategies_of
from kubetune.experiment.extension_form import extension_values
from kubetune.experiment.objectives import OBJECTIVES_ANNOTATION, Objectives, parse_objectives
from kubetune.experiment.validate import settings_of
from kubetune.results import TrialRow

from .common import UserError, to_json, to_yaml
from .conditional import annotations_of_run
from .fit import Col, fit_table
from .tables import console, fmt, trial_dict
from .terminal import emit, escape


def objectives_of(annotations: dict, spec: dict) -> Objectives | None:
    """The objectives of an Experiment (annotation or settings form), or None."""
    algorithm = spec.get("algorithm") if isinstance(spec.get("algorithm"), dict) else {}
    values, _, found = extension_values(annotations, settings_of(algorithm))
    if OBJECTIVES_ANNOTATION not in values:
        return None
    if found:
        raise ValueError("; ".join(str(p) for p in found))
    objective = spec.get("objective") or {}
    metric_names = [objective.get("objectiveMetricName", ""), *(objective.get("additionalMetricNames") or [])]
    objectives, problems = parse_objectives(values, metric_names, objective.get("type", ""))
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


def front_table(front: list[Scored], objectives: Objectives, title: str, width: int | None = None, out=None):
    """(table, notes): the front ordered by the first objective, fitted to `width` like every table."""
    ordered = sorted(front, key=lambda s: s.values[0] if objectives.directions[0] == "minimize" else -s.values[0])
    cols = [Col("#", [str(i) for i in range(1, len(ordered) + 1)], justify="right"),
            Col("trial", [s.trial.name for s in ordered])]
    for k, (metric, direction) in enumerate(objectives.items()):
        cols.append(Col(f"{metric} ({'max' if direction == 'maximize' else 'min'})",
                        [fmt(s.values[k]) for s in ordered], justify="right", numeric=True))
    params = list(dict.fromkeys(k for s in ordered for k in s.trial.assignments))
    for k, p in enumerate(params):
        cols.append(Col(p, [fmt(s.trial.assignments.get(p, "")) if p in s.trial.assignments else ""
                            for s in ordered], drop=1 + len(params) - k))
    return fit_table(cols, width, out or console(), title)


def show_front(run_dir: Path, experiment: dict, trials: list[TrialRow], best: TrialRow | None, output: str) -> bool:
    """Show the Pareto front of a multi-objective run; False for a single-objective one.
    experiment: the stored experiment row (name, spec); best: the objectiveMetricName's best."""
    return show_front_of(experiment["name"], annotations_of_run(run_dir), experiment["spec"], trials, best, output)


def show_cluster_front(experiment: dict, trials: list[TrialRow], best: TrialRow | None, output: str) -> bool:
    """show_front for a Katib Experiment object (`kubetune best -n NS`): its annotations or the
    kubetune.objectives setting kubetune's Katib services ran it with."""
    metadata = experiment.get("metadata") or {}
    return show_front_of(metadata.get("name", ""), metadata.get("annotations") or {}, experiment.get("spec") or {},
                         trials, best, output)


def show_front_of(name: str, annotations: dict, spec: dict, trials: list[TrialRow], best: TrialRow | None,
                  output: str) -> bool:
    try:
        objectives = objectives_of(annotations, spec)
    except ValueError as e:
        raise UserError(f"experiment {name}: {e}") from None
    if objectives is None:
        return False
    front = front_of(trials, objectives, spec)
    if not front and output not in ("json", "yaml"):
        raise UserError(f"experiment {name} has no succeeded trial with every objective "
                        f"({', '.join(objectives.metrics)}) yet")
    if output in ("json", "yaml"):
        print(to_yaml(front_json(front, objectives, best)) if output == "yaml" else to_json(front_json(
            front, objectives, best)))
        return True
    out = console(wide=output == "wide")
    table, notes = front_table(front, objectives, f"Pareto front of {name}: {len(front)} trial(s) no other "
                                                  "trial beats on every objective",
                               None if output == "wide" else out.width, out)
    emit(out, table)
    for note in notes:
        out.print(f"[dim]{escape(note)}[/]")
    if best is not None:
        out.print(f"best by {spec['objective'].get('objectiveMetricName')} alone (Katib's optimal trial): "
                  f"{best.name}")
    return True

