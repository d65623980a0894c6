"""Live progress of `kubetune run` on stderr (the engine's Reporter callbacks).

On a terminal: a rich progress bar of trials done / budget with the counts, the best so far and
the latest intermediate report, redrawn in place; trial events scroll above it. Elsewhere (a pipe,
a CI log): one plain line per trial event and a progress line every TICK_SECONDS when something
changed, no escape codes. `--quiet` keeps only warnings and the result.

A failed trial's line says why (the meaningful lines of its log, kubetune.cli.failures); when most
trials fail the same way, that is said once, prominently, while the run goes on.
"""
from __future__ import annotations

import sys
import time

from kubetune.numbers import human, human_assignments
from kubetune.results import TrialRow

from .conditional import inactive_rule
from kubetune.engine.failures import FailureTally, failure_of
from .tables import OBJECTIVE_CLIP, STATE_STYLE, clip, progress_line
from .terminal import colour, console, escape, width_of

COMMON_FAILURE_AFTER = 3  # failures alike before the run says so


def finished_lines(trial: TrialRow, metric: str) -> list[str]:
    """A finished trial's line (rich markup): its state, name and objective, and why it failed
    (the meaningful lines of its log) - for `run` and, from a trial pod's log, `watch`."""
    style = STATE_STYLE.get(trial.state, "")
    value = f"  {escape(metric)}={escape(clip(human(trial.result), OBJECTIVE_CLIP))}" \
        if trial.result is not None else ""
    head = f"[{style}]{trial.state.lower():<9}[/] {escape(trial.name)}{value}"
    failure = failure_of(trial) if trial.state != "Succeeded" else None
    if failure is None:
        return [head + ("" if trial.state == "Succeeded" or not trial.reason else f"  ({escape(trial.reason)})")]
    lines = list(failure.lines)
    first = f"{failure.headline}: {lines.pop()}" if lines else failure.headline
    out = [head + f"  ({escape(first)})"] + [f"          {escape(line)}" for line in lines]
    if failure.log and not failure.lines:
        out.append(f"          log: {escape(failure.log)}")
    return out


class ConsoleReporter:
    """kubetune.engine.Reporter for people."""

    TICK_SECONDS = 10.0

    def __init__(self, exp, quiet: bool = False, live: bool | None = None):
        self.exp, self.quiet = exp, quiet
        self.metric = exp.objective.metric_name
        self.budget = exp.max_trial_count
        self.started_at = time.time()
        self.last_tick = 0.0
        self.last_line = ""
        self.latest = ""
        self.failures = FailureTally(minimum=COMMON_FAILURE_AFTER)  # the finished trials, by name
        self.told_common = False
        self.err = console(stderr=True)
        self.inactive_of = inactive_rule(exp.annotations, exp.spec)
        self.progress = self.task = None
        if (colour(sys.stderr) if live is None else live) and not quiet:
            self._start_live()

    # -- output -----------------------------------------------------------------------------
    def _start_live(self) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, \
            TimeElapsedColumn
        from rich.table import Column

        def fixed(width: int) -> Column:  # the counts never shrink; the status text gives way
            return Column(no_wrap=True, min_width=width)

        self.progress = Progress(SpinnerColumn(), TextColumn("[bold]trials", table_column=fixed(6)),
                                 BarColumn(bar_width=20), MofNCompleteColumn(table_column=fixed(7)),
                                 TimeElapsedColumn(table_column=fixed(7)),
                                 TextColumn("{task.fields[status]}", table_column=Column(no_wrap=True,
                                                                                         overflow="ellipsis")),
                                 console=self.err, transient=True, refresh_per_second=4)
        self.task = self.progress.add_task("trials", total=self.budget, status="starting")
        self.progress.start()

    def _say(self, text: str) -> None:
        if not self.quiet:
            (self.progress.console if self.progress else self.err).print(text, soft_wrap=True)

    def close(self) -> None:
        """Stop the live display (before the leaderboard is printed)."""
        if self.progress is not None:
            self.progress.stop()
            self.progress = None

    # -- engine callbacks -------------------------------------------------------------------
    def started(self, trial: TrialRow) -> None:
        params = human_assignments(trial.assignments, self.inactive_of(trial.assignments))
        self._say(f"[cyan]start[/]     {escape(trial.name)}  {escape(params)}")

    def finished(self, trial: TrialRow) -> None:
        for line in finished_lines(trial, self.metric):
            self._say(line)
        self._common_failure(trial)

    def _common_failure(self, trial: TrialRow) -> None:
        if self.told_common:
            return
        self.failures.add(trial)
        common = self.failures.common()
        if common is None:
            return
        self.told_common = True
        budget = self.exp.max_failed_trial_count
        stop = (f"the run stops after {budget} failed trials (maxFailedTrialCount)" if budget is not None
                else "maxFailedTrialCount is not set, so every remaining trial will be tried")
        first, *reasons = common.lines(max(40, width_of(sys.stderr) - 6))
        for line in [f"!! {first}"] + [f"!!   {r}" for r in reasons]:
            self._say(f"[bold red]{escape(line)}[/]")
        self._say(f"[red]   {stop}; Ctrl-C stops now (the state is kept); "
                  f"kubetune logs {escape(self.exp.name)} {escape(common.example.name)} shows the whole log[/]")

    def intermediate(self, trial: str, values: list[float]) -> None:
        """A running trial reported its objective metric (values: every report so far)."""
        if values:
            self.latest = f"{trial} {self.metric}={human(values[-1])} (report {len(values)})"

    def resumed(self, reset: list[str], kept: int) -> None:
        if kept or reset:
            self._say(f"resuming: {kept} finished trial(s) kept, {len(reset)} interrupted trial(s) to re-run")

    def tick(self, counts, best) -> None:
        if self.progress is not None:
            best_txt = f"best {self.metric}={clip(human(best.result), OBJECTIVE_CLIP)}" if best else "no result yet"
            status = (f"running {counts.running}  failed {counts.failed_for_budget}  | {best_txt}"
                      + (f" | {self.latest}" if self.latest else ""))
            self.progress.update(self.task, completed=counts.completed, status=escape(status))
            return
        line = progress_line(counts, best, self.metric, self.started_at, self.budget, self.latest)
        now = time.time()
        changed = line.split("]", 1)[-1] != self.last_line.split("]", 1)[-1]  # ignore the clock
        if now - self.last_tick >= self.TICK_SECONDS and changed:
            self.last_tick, self.last_line = now, line
            self._say(escape(line))

    def message(self, text: str) -> None:
        self._say(escape(text))
