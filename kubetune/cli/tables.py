"""Renderers of trials and status: rich tables that fit the terminal (fit.py), plain text, progress
lines and the JSON form of a trial. Numbers for people go through kubetune.numbers.human (a few
significant digits); JSON keeps exact values. rich is imported inside the functions that draw
tables (it costs ~35 ms), so `kubetune status`, which prints plain text, never loads it."""
from __future__ import annotations

import time
from typing import Callable, Mapping

from kubetune.engine.status import phase
from kubetune.numbers import INACTIVE, human, human_assignments
from kubetune.results import Counts, TrialRow, ranked

from .fit import Col, fit_table
from .terminal import console  # noqa: F401 - the console every command prints with

OBJECTIVE_CLIP = 40  # a text objective's characters in a table too narrow for it (-o wide: all)
FAILED_STATES = ("Failed", "MetricsUnavailable", "Killed")  # trials that ended without a result

STATE_STYLE = {"Succeeded": "green", "Failed": "red", "EarlyStopped": "yellow", "MetricsUnavailable": "magenta",
               "Running": "cyan", "Created": "dim", "Killed": "red"}
STATE_SHORT = {"Succeeded": "ok", "Failed": "failed", "EarlyStopped": "stopped", "MetricsUnavailable": "no-metric",
               "Running": "running", "Created": "waiting", "Killed": "killed"}


def fmt(value) -> str:
    """A metric or parameter for people: a few significant digits, "-" when absent, text as it is."""
    return human(value)


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    if seconds < 60:
        return f"{seconds:.1f}s"
    if seconds < 3600:
        return f"{int(seconds // 60)}m{int(seconds % 60):02d}s"
    return f"{int(seconds // 3600)}h{int(seconds % 3600 // 60):02d}m"


def _common_prefix(names: list[str]) -> str:
    """The experiment-name prefix every trial name shares (`demo-digits-`), cut at a dash."""
    if len(names) < 2:
        return names[0].rsplit("-", 1)[0] + "-" if names and "-" in names[0] else ""
    first, last = min(names), max(names)
    n = 0
    while n < min(len(first), len(last)) and first[n] == last[n]:
        n += 1
    prefix = first[:n]
    return prefix[: prefix.rfind("-") + 1] if "-" in prefix else ""


def trial_columns(rows: list[TrialRow], metric_names: list[str],
                  inactive_of: Callable[[Mapping[str, str]], frozenset] | None = None) -> list[Col]:
    """The trials table as columns, with the order in which they go when the table is too wide:
    time, then parameters (last first), then additional metrics; never #, trial, objective."""
    params = list(dict.fromkeys(k for t in rows for k in t.assignments))
    names = [t.name for t in rows]
    prefix = _common_prefix(names)
    cols = [Col("#", [str(i) for i in range(1, len(rows) + 1)], justify="right"),
            Col("trial", names, short=["…" + n[len(prefix):] if prefix else n for n in names]),
            Col("state", [t.state for t in rows], styles=[STATE_STYLE.get(t.state, "") for t in rows],
                short=[STATE_SHORT.get(t.state, t.state) for t in rows])]
    extra = len(metric_names) - 1
    for j, m in enumerate(metric_names):
        if j == 0:
            cols.append(_objective_column(m, rows))
            continue
        cells = [fmt((t.observation.get(m) or {}).get("latest")) for t in rows]
        cols.append(Col(m, cells, justify="right", numeric=True, drop=100 + extra - j))
    inactive = [inactive_of(t.assignments) if inactive_of else frozenset() for t in rows]
    for k, p in enumerate(params):
        cells = [INACTIVE if p in off else ("" if p not in t.assignments else fmt(t.assignments[p]))
                 for t, off in zip(rows, inactive)]
        numeric = all(c in ("", INACTIVE) or c[:1].isdigit() or c[:1] in "-." for c in cells)
        cols.append(Col(p, cells, justify="right" if numeric else "left", numeric=numeric,
                        styles=["dim" if c == INACTIVE else "" for c in cells], drop=2 + len(params) - k))
    cols.append(Col("time", [_duration(t.duration) for t in rows], justify="right", drop=1))
    return cols


def _objective_column(metric: str, rows: list[TrialRow]) -> Col:
    """The objective: numbers whole; a text objective (a DARTS genotype) clipped to OBJECTIVE_CLIP
    when the table is too wide, and cut with an ellipsis if it still does not fit."""
    cells = [fmt(t.result) for t in rows]
    if not any(t.objective is None and t.objective_text is not None for t in rows):
        return Col(metric, cells, justify="right", numeric=True)
    return Col(metric, cells, justify="left", short=[clip(c, OBJECTIVE_CLIP) for c in cells])


def clip(text: str, width: int) -> str:
    """`text` within `width` characters, ending in "…" when cut."""
    return text if len(text) <= width else text[: max(1, width - 1)] + "…"


def trials_table(trials: list[TrialRow], objective_type: str, metric_names: list[str], limit: int | None = None,
                 title: str | None = None, width: int | None = None, out=None,
                 inactive_of: Callable[[Mapping[str, str]], frozenset] | None = None):
    """(table, notes): the trials best first, `limit` rows at most, fitted to `width` (None: all
    columns); notes say what was left out (rows and columns)."""
    everything = ranked(trials, objective_type)
    rows = everything[:limit] if limit else everything
    table, notes = fit_table(trial_columns(rows, metric_names, inactive_of), width, out or console(), title)
    if len(rows) < len(everything):
        notes.insert(0, f"showing the best {len(rows)} of {len(everything)} trials")
    return table, notes


def status_title(status: dict, name: str) -> str:
    return f"experiment {name}: {phase(status.get('conditions', []))}"


def status_rows(status: dict, inactive: frozenset = frozenset()) -> list[tuple[str, str]]:
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
        rows.append(("  parameters", human_assignments({a["name"]: a["value"] for a in best["parameterAssignments"]},
                                                       inactive, sep=", ")))
        rows.append(("  metrics", ", ".join(f"{m['name']}: latest {human(m.get('latest'))} (min {human(m.get('min'))}, "
                                            f"max {human(m.get('max'))})" for m in best["observation"]["metrics"])))
    return rows


def status_table(status: dict, name: str, inactive: frozenset = frozenset()):
    from rich import box
    from rich.table import Table
    from rich.text import Text

    table = Table(title=status_title(status, name), show_header=False, box=box.SIMPLE, show_edge=False,
                  title_justify="left", title_style="bold")
    table.add_column("field", style="bold", no_wrap=True)
    table.add_column("value")
    for field, value in status_rows(status, inactive):
        table.add_row(field, Text(value))
    return table


def status_text(status: dict, name: str, inactive: frozenset = frozenset(), width: int | None = None) -> str:
    """The status as aligned plain text, values wrapped within `width` columns: `kubetune status`
    answers without importing rich."""
    import textwrap

    rows = status_rows(status, inactive)
    key = max(len(f) for f, _ in rows)
    room = max(20, (width or 10_000) - key - 4)
    lines = [status_title(status, name)]
    for f, v in rows:
        parts = textwrap.wrap(v, room, break_long_words=False, break_on_hyphens=False) or [""]
        lines.append(f"  {f:<{key}}  {parts[0]}")
        lines += [" " * (key + 4) + p for p in parts[1:]]
    return "\n".join(lines)


def progress_line(counts: Counts, best: TrialRow | None, objective_name: str, started: float,
                  budget: int | None = None, latest: str = "") -> str:
    """One line of progress: counts, the best so far, and the latest intermediate report."""
    best_txt = f"best {objective_name}={clip(fmt(best.result), OBJECTIVE_CLIP)} ({best.name})" if best else \
        "no result yet"
    done = f"done {counts.completed}" + (f"/{budget}" if budget else "")
    return (f"[{time.time() - started:6.0f}s] {done}  running {counts.running}  "
            f"waiting {counts.pending}  failed {counts.failed_for_budget}  early-stopped {counts.early_stopped}  "
            f"| {best_txt}" + (f" | latest {latest}" if latest else ""))


def trial_dict(t: TrialRow) -> dict:
    """A trial in the JSON of every command (`trials`, `best`, `run`, `watch`): exact values; the
    objective is a number, or its text when it is not one (a DARTS genotype), or null."""
    return {"name": t.name, "state": t.state, "objective": t.result, "parameters": t.assignments,
            "observation": t.observation, "labels": t.labels, "reason": t.reason, "message": t.message,
            "exitCode": t.exit_code, "durationSeconds": t.duration, "attempts": t.attempts}
