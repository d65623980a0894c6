"""`kubetune run FILE`: run an Experiment on this machine with the local engine (kubetune.engine),
resuming when its state exists, with live progress on stderr and the leaderboard at the end.

Exit status: 0 succeeded with a best trial, 1 the experiment failed or found no best trial,
2 bad input (nothing started), 130 interrupted (the state is kept: run again to resume).
"""
from __future__ import annotations

import argparse
import sys
import time

from .common import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, UserError, add_local_run_options, add_output_format
from .load import load_one
from .tables import STATE_STYLE, console, fmt, progress_line
from .view import Results, show_outcome


def add_parser(sub: argparse._SubParsersAction) -> None:
    r = sub.add_parser("run", help="run an Experiment locally (resumes when its state exists)")
    r.add_argument("file", help="Experiment YAML")
    add_local_run_options(r)
    add_output_format(r)
    r.set_defaults(func=cmd_run)


def cmd_run(args) -> int:
    from kubetune.engine import EngineError, LocalEngine, LocalOverrides, TemplateError
    from kubetune.engine.collector import CollectorError
    from kubetune.algorithms import check

    exp = load_one(args.file, args.name)
    errors, warnings = check(exp)
    for w in warnings:
        print(f"{args.file}: {'error' if args.strict else 'warning'}: {w}", file=sys.stderr)
    if errors or (args.strict and warnings):
        raise UserError(f"{args.file}: not run ({len(errors) + (len(warnings) if args.strict else 0)} problem(s) above)")
    try:
        overrides = LocalOverrides.load(args.local_config, args.set_path, args.set_env)
        reporter = ConsoleReporter(exp, quiet=args.output == "json")
        engine = LocalEngine(exp, args.workdir, overrides, reporter=reporter, seed=args.seed,
                             launcher=args.launcher)
        result = engine.run()
    except (EngineError, TemplateError, CollectorError, ValueError) as e:
        raise UserError(str(e)) from None
    results = Results(exp.name, exp.objective.type, exp.metric_names, result.trials)
    show_outcome(results, result.status, {"directory": str(result.directory)}, [
        f"state: {result.directory / 'state.db'}   logs: {result.directory / 'trials'}/<trial>/log",
        f"next: kubetune best {exp.name} --workdir {args.workdir}  |  "
        f"kubetune dashboard {exp.name} --workdir {args.workdir}"], args.output)
    if result.interrupted:
        return EXIT_INTERRUPTED
    return EXIT_OK if result.succeeded and result.status["currentOptimalTrial"]["bestTrialName"] else EXIT_FAILED


class ConsoleReporter:
    """Live progress on stderr: one line per trial event, a status line every few seconds."""

    TICK_SECONDS = 10.0

    def __init__(self, exp, quiet: bool = False):
        self.exp, self.quiet = exp, quiet
        self.started_at = time.time()
        self.last_tick = 0.0
        self.err = console(stderr=True)

    def _say(self, text: str) -> None:
        if not self.quiet:
            self.err.print(text)

    def started(self, trial) -> None:
        params = " ".join(f"{k}={v}" for k, v in trial.assignments.items())
        self._say(f"[cyan]start[/]  {trial.name}  {params}")

    def finished(self, trial) -> None:
        style = STATE_STYLE.get(trial.state, "")
        value = f"{self.exp.objective.metric_name}={fmt(trial.objective)}" if trial.objective is not None else ""
        detail = "" if trial.state == "Succeeded" else f"  ({trial.message.splitlines()[0] if trial.message else trial.reason})"
        self._say(f"[{style}]{trial.state.lower():<8}[/] {trial.name}  {value}{detail}")

    def resumed(self, reset: list[str], kept: int) -> None:
        if kept or reset:
            self._say(f"resuming: {kept} finished trial(s) kept, {len(reset)} interrupted trial(s) to re-run")

    def tick(self, counts, best) -> None:
        now = time.time()
        if now - self.last_tick >= self.TICK_SECONDS:
            self.last_tick = now
            self._say(progress_line(counts, best, self.exp.objective.metric_name, self.started_at))

    def message(self, text: str) -> None:
        self._say(text)
