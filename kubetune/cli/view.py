"""The one view of an experiment's results, whether they come from local state or from Katib's
objects on a cluster: what `status`, `trials`, `best` print, and the leaderboard that ends `run`
and `watch`. Tables for people (fitted to the terminal, `-o wide` for every column), JSON or
YAML of the same shape either way for scripts (exact values)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from kubetune.numbers import INACTIVE, human
from kubetune.results import TrialRow, ranked

from .common import UserError, to_json, to_yaml
from .conditional import InactiveOf, never
from kubetune.engine.failures import failure_summary
from .tables import console, fmt, status_table, status_text, trial_dict, trials_table
from .terminal import emit, escape, width_of

LEADERBOARD_ROWS = 20
MACHINE = ("json", "yaml")


@dataclass(frozen=True)
class Results:
    """What the view needs of an experiment, from either source."""

    name: str
    objective_type: str
    metric_names: list[str]  # the objective first
    trials: list[TrialRow]  # creation order
    best: TrialRow | None = None  # the optimal trial (Katib's choice on a cluster)
    inactive_of: InactiveOf = field(default=never)  # conditional parameters a trial does not use


def dump(document, output: str) -> None:
    """A document for scripts: JSON (exact values) or YAML."""
    print(to_yaml(document) if output == "yaml" else to_json(document), end="\n" if output == "json" else "")


def show_status(document: dict, output: str, trials: list[TrialRow] | None = None,
                inactive: frozenset = frozenset()) -> None:
    """document: an Experiment in Katib's shape (apiVersion, kind, metadata, spec, status).
    trials (the failed ones suffice): say why they failed, below the status."""
    if output in MACHINE:
        dump(document, output)
        return
    print(status_text(document["status"], document["metadata"]["name"], inactive, width_of()))
    for line in failure_summary(trials or [], width_of()):
        print(line)


def explain_failed(client, rows: list[TrialRow], namespace: str, primary_container: str,
                   reader=None) -> list[TrialRow]:
    """Cluster rows whose failed trials say why from their pods' logs and exit codes
    (kubetune.cluster.pods; a bounded number of API calls); what could not be read is noted on
    stderr once. reader: a PodReader kept across calls (a watch), else a new one."""
    import sys

    from kubetune.cluster.pods import PodReader

    reader = reader or PodReader(client, namespace, primary_container)
    said = len(reader.notes)
    rows = reader.explain(rows)
    for note in reader.notes[said:]:
        print(f"kubetune: note: {note}", file=sys.stderr)
    return rows


def show_trials(results: Results, output: str, limit: int | None = None) -> None:
    if output in MACHINE:
        dump([trial_dict(t) for t in ranked(results.trials, results.objective_type)], output)
        return
    out = console(wide=output == "wide")
    table, notes = trials_table(results.trials, results.objective_type, results.metric_names, limit=limit,
                                title=f"trials of {results.name}", width=None if output == "wide" else out.width,
                                out=out, inactive_of=results.inactive_of)
    emit(out, table)
    for note in notes:
        out.print(f"[dim]{escape(note)}[/]", soft_wrap=False)  # prose: wrapped to the width
    for line in failure_summary(results.trials, out.width if output != "wide" else 200):
        out.print(_loud(line))


def _loud(line: str) -> str:
    return f"[bold red]{escape(line)}[/]" if line.startswith("!!") else escape(line)


def show_best(results: Results, log_hint: Callable[[TrialRow], str], output: str, exact: bool = False) -> None:
    """The best trial's parameters and metrics; log_hint(best) says where its output is.
    exact: every value as stored (copy-paste), and a `--name=value` line of them."""
    best = results.best
    if best is None:
        failed = sum(t.state in ("Failed", "MetricsUnavailable") for t in results.trials)
        why = f" ({failed} of {len(results.trials)} trials failed: `kubetune trials {results.name}` says why)" \
            if failed else ""
        raise UserError(f"experiment {results.name} has no trial with an objective value yet{why}")
    if output in MACHINE:
        dump(trial_dict(best), output)
        return
    show = (lambda v: "-" if v is None else str(v)) if exact else human
    out = console()
    inactive = results.inactive_of(best.assignments)
    out.print(f"[bold]best trial[/]: {escape(best.name)}  ({escape(results.metric_names[0])} = "
              f"{escape(show(best.result))}, {results.objective_type})")
    width = max((len(k) for k in best.assignments), default=0)
    for k, v in best.assignments.items():
        out.print(f"  {escape(k):<{width}} = " + (INACTIVE if k in inactive else escape(show(v))))
    for m, obs in best.observation.items():
        out.print(escape(f"  {m}: latest {show(obs.get('latest'))}  min {show(obs.get('min'))}  "
                         f"max {show(obs.get('max'))}"))
    out.print(f"  log: {escape(log_hint(best))}")
    if exact:
        args = " ".join(f"--{k}={v}" for k, v in best.assignments.items() if k not in inactive)
        out.print(f"  as flags: {escape(args)}", soft_wrap=True)
    else:
        out.print("[dim]  (values rounded for reading: --exact prints them as stored)[/]")


def leaderboard(results: Results, limit: int | None = LEADERBOARD_ROWS, width: int | None = None, out=None):
    """(table, notes) of the best `limit` trials."""
    title = f"leaderboard: {results.name} (objective {results.metric_names[0]}, {results.objective_type})"
    return trials_table(results.trials, results.objective_type, results.metric_names, limit=limit, title=title,
                        width=width, out=out, inactive_of=results.inactive_of)


def show_outcome(results: Results, status: dict, where: dict, footer: list[str], output: str) -> None:
    """The end of `run` and `watch`: leaderboard, status and why trials failed, or JSON/YAML
    {name, <where>, status, trials in creation order}; where is {"directory": ...} locally,
    {"namespace": ...} on a cluster."""
    if output in MACHINE:
        dump({"name": results.name, **where, "status": status,
              "trials": [trial_dict(t) for t in results.trials]}, output)
        return
    wide = output == "wide"
    out = console(wide=wide)
    table, notes = leaderboard(results, None if wide else LEADERBOARD_ROWS, None if wide else out.width, out)
    emit(out, table)
    for note in notes:
        out.print(f"[dim]{escape(note)}[/]", soft_wrap=False)  # prose: wrapped to the width
    best = results.best or next((t for t in results.trials
                                 if t.name == (status.get("currentOptimalTrial") or {}).get("bestTrialName")), None)
    emit(out, status_table(status, results.name, results.inactive_of(best.assignments) if best else frozenset()))
    for line in failure_summary(results.trials, out.width if not wide else 200):
        out.print(_loud(line))
    for line in footer:
        out.print(escape(line), soft_wrap=True)


__all__ = ["Results", "dump", "fmt", "leaderboard", "show_best", "show_outcome", "show_status", "show_trials"]
