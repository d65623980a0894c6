"""Renderers of trials and status: rich tables, plain text, progress lines and the JSON form of a
trial. rich is imported inside the functions that draw tables (it costs ~35 ms), so `kubetune
status`, which prints plain text, never loads it."""
from __future__ import annotations

import sys
import time

from kubetune.engine.status import phase
from kubetune.results import Counts, TrialRow, ranked

STATE_STYLE = {"Succeeded": "green", "Failed": "red", "EarlyStopped": "yellow", "MetricsUnavailable": "magenta",
               "Running": "cyan", "Created": "dim", "Killed": "red"}


def console(stderr: bool = False):
    from rich.console import Console

    return Console(stderr=stderr, highlight=False, soft_wrap=False, width=None if sys.stdout.isatty() else 200)


def fmt(value) -> str:
    """A metric for a table: 4 significant digits, "-" when absent, text as it is."""
    if value is None:
        return "-"
    try:
        f = float(value)
    except (TypeError, ValueError):
        return str(value)
    return f"{f:.4g}"


def trials_table(trials: list[TrialRow], objective_type: str, metric_names: list[str], limit: int | None = None,
                 title: str | None = None):
    from rich.table import Table

    rows = ranked(trials, objective_type)[:limit] if limit else ranked(trials, objective_type)
    params = list(dict.fromkeys(k for t in rows for k in t.assignments))
    table = Table(title=title, show_lines=False, header_style="bold")
    table.add_column("#", justify="right")
    table.add_column("trial")
    table.add_column("state")
    for name in metric_names:
        table.add_column(name, justify="right")
    for p in params:
        table.add_column(p, overflow="fold")
    table.add_column("time", justify="right")
    for i, t in enumerate(rows, 1):
        metrics = [fmt(t.objective) if j == 0 else fmt((t.observation.get(m) or {}).get("latest"))
                   for j, m in enumerate(metric_names)]
        duration = f"{t.duration:.1f}s" if t.duration is not None else "-"
        table.add_row(str(i), t.name, f"[{STATE_STYLE.get(t.state, '')}]{t.state}[/]", *metrics,
                      *[t.assignments.get(p, "") for p in params], duration)
    return table


def status_title(status: dict, name: str) -> str:
    return f"experiment {name}: {phase(status.get('conditions', []))}"


def status_rows(status: dict) -> list[tuple[str, str]]:
    """(field, value) rows of a Katib status block, for a table or plain text."""
    rows = [(f"condition {c['type']}", f"{c['status']}  {c['reason']}: {c['message']}")
            for c in status.get("conditions", [])]
    rows.append(("trials", str(status.get("trials", 0))))
    for key in ("trialsSucceeded", "trialsRunning", "trialsPending", "trialsFailed", "trialsEarlyStopped",
                "trialMetricsUnavailable", "trialsKilled"):
        if key in status:
            rows.append((key, str(status[key])))
    best = status.get("currentOptimalTrial") or {}
    if best.get("bestTrialName"):
        rows.append(("best trial", best["bestTrialName"]))
        rows.append(("  parameters", ", ".join(f"{a['name']}={a['value']}" for a in best["parameterAssignments"])))
        rows.append(("  metrics", ", ".join(f"{m['name']}: latest {m.get('latest')} (min {m.get('min')}, "
                                            f"max {m.get('max')})" for m in best["observation"]["metrics"])))
    return rows


def status_table(status: dict, name: str):
    from rich.table import Table

    table = Table(title=status_title(status, name), show_header=False)
    table.add_column("field", style="bold")
    table.add_column("value")
    for field, value in status_rows(status):
        table.add_row(field, value)
    return table


def status_text(status: dict, name: str) -> str:
    """The status as aligned plain text: `kubetune status` answers without importing rich."""
    rows = status_rows(status)
    width = max(len(f) for f, _ in rows)
    return "\n".join([status_title(status, name)] + [f"  {f:<{width}}  {v}" for f, v in rows])


def progress_line(counts: Counts, best: TrialRow | None, objective_name: str, started: float) -> str:
    best_txt = f"best {objective_name}={fmt(best.objective)} ({best.name})" if best else "no result yet"
    return (f"[{time.time() - started:6.0f}s] done {counts.completed}  running {counts.running}  "
            f"waiting {counts.pending}  failed {counts.failed_for_budget}  early-stopped {counts.early_stopped}  "
            f"| {best_txt}")


def trial_dict(t: TrialRow) -> dict:
    """A trial in the JSON of every command (`trials`, `best`, `run`, `watch`)."""
    return {"name": t.name, "state": t.state, "objective": t.objective, "parameters": t.assignments,
            "observation": t.observation, "labels": t.labels, "reason": t.reason, "message": t.message,
            "exitCode": t.exit_code, "durationSeconds": t.duration, "attempts": t.attempts}
