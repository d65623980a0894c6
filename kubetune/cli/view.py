"""The one view of an experiment's results, whether they come from local state or from Katib's
objects on a cluster: what `status`, `trials`, `best` print, and the leaderboard that ends `run`
and `watch`. Tables for people, JSON of the same shape either way for scripts."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from kubetune.results import TrialRow, ranked

from .common import UserError, to_json
from .tables import console, fmt, status_table, status_text, trial_dict, trials_table


@dataclass(frozen=True)
class Results:
    """What the view needs of an experiment, from either source."""

    name: str
    objective_type: str
    metric_names: list[str]  # the objective first
    trials: list[TrialRow]  # creation order
    best: TrialRow | None = None  # the optimal trial (Katib's choice on a cluster)


def show_status(document: dict, output: str) -> None:
    """document: an Experiment in Katib's shape (apiVersion, kind, metadata, spec, status)."""
    if output == "json":
        print(to_json(document))
    else:
        print(status_text(document["status"], document["metadata"]["name"]))


def show_trials(results: Results, output: str) -> None:
    if output == "json":
        print(to_json([trial_dict(t) for t in ranked(results.trials, results.objective_type)]))
    else:
        console().print(trials_table(results.trials, results.objective_type, results.metric_names,
                                     title=f"trials of {results.name}"))


def show_best(results: Results, log_hint: Callable[[TrialRow], str], output: str) -> None:
    """The best trial's parameters and metrics; log_hint(best) says where its output is."""
    best = results.best
    if best is None:
        raise UserError(f"experiment {results.name} has no trial with an objective value yet")
    if output == "json":
        print(to_json(trial_dict(best)))
        return
    out = console()
    out.print(f"[bold]best trial[/]: {best.name}  ({results.metric_names[0]} = {fmt(best.objective)}, "
              f"{results.objective_type})")
    for k, v in best.assignments.items():
        out.print(f"  {k} = {v}")
    for m, obs in best.observation.items():
        out.print(f"  {m}: latest {obs.get('latest')}  min {obs.get('min')}  max {obs.get('max')}")
    out.print(f"  log: {log_hint(best)}")


def leaderboard(results: Results, limit: int | None = 20):
    title = f"leaderboard: {results.name} (objective {results.metric_names[0]}, {results.objective_type})"
    return trials_table(results.trials, results.objective_type, results.metric_names, limit=limit, title=title)


def show_outcome(results: Results, status: dict, where: dict, footer: list[str], output: str) -> None:
    """The end of `run` and `watch`: leaderboard and status, or JSON {name, <where>, status,
    trials in creation order}; where is {"directory": ...} locally, {"namespace": ...} on a cluster."""
    if output == "json":
        print(to_json({"name": results.name, **where, "status": status,
                       "trials": [trial_dict(t) for t in results.trials]}))
        return
    out = console()
    out.print(leaderboard(results))
    out.print(status_table(status, results.name))
    for line in footer:
        out.print(line)
