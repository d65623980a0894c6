"""`kubetune run FILE`: run an Experiment on this machine with the local engine (kubetune.engine),
resuming when its state exists, with live progress on stderr and the leaderboard at the end.

Exit status: 0 succeeded with a best trial, 1 the experiment failed or found no best trial,
2 bad input (nothing started), 130 interrupted (the state is kept: run again to resume).
"""
from __future__ import annotations

import argparse

from .common import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, UserError, add_local_run_options, add_output_format, \
    add_quiet
from .conditional import inactive_rule
from .load import add_configmap_option, load_one, read_config_maps, report_check
from .progress import ConsoleReporter
from .view import MACHINE, Results, show_outcome


def add_parser(sub: argparse._SubParsersAction) -> None:
    r = sub.add_parser("run", help="run an Experiment locally (resumes when its state exists)")
    r.add_argument("file", help="Experiment YAML")
    add_local_run_options(r)
    add_configmap_option(r)
    add_output_format(r)
    add_quiet(r)
    r.set_defaults(func=cmd_run)


def cmd_run(args) -> int:
    exp = load_one(args.file, args.name, read_config_maps(getattr(args, "configmap", None)))
    blocking, _ = report_check(args.file, exp, args.strict)
    if blocking:
        raise UserError(f"{args.file}: not run ({blocking} problem(s) above)")
    from kubetune.algorithms import SuggestionError, cluster_only  # here: building the parser loads no algorithm code

    if exp.algorithm is not None and (why := cluster_only(exp.algorithm.name)) is not None:
        raise UserError(f"{args.file}: not run: spec.algorithm.algorithmName: {why}")
    from kubetune.engine import EngineError, LocalEngine, LocalOverrides, TemplateError  # the samplers load here
    from kubetune.engine.collector import CollectorError

    reporter = ConsoleReporter(exp, quiet=args.output in MACHINE or getattr(args, "quiet", False))
    try:
        overrides = LocalOverrides.load(args.local_config, args.set_path, args.set_env)
        engine = LocalEngine(exp, args.workdir, overrides, reporter=reporter, seed=args.seed,
                             launcher=getattr(args, "launcher", None))
        result = engine.run()
    except (EngineError, TemplateError, CollectorError, SuggestionError, ValueError) as e:
        raise UserError(str(e)) from None
    finally:
        reporter.close()
    results = Results(exp.name, exp.objective.type, exp.metric_names, result.trials,
                      inactive_of=inactive_rule(exp.annotations, exp.spec))
    show_outcome(results, result.status, {"directory": str(result.directory)},
                 footer(exp.name, args.workdir, result), args.output)
    if result.interrupted:
        return EXIT_INTERRUPTED
    return EXIT_OK if result.succeeded and result.status["currentOptimalTrial"]["bestTrialName"] else EXIT_FAILED


def footer(name: str, workdir: str, result) -> list[str]:
    """Where things are and what to do next: `best` only when there is a best trial."""
    lines = [f"state: {result.directory / 'state.db'}   logs: {result.directory / 'trials'}/<trial>/log"]
    where = f"--workdir {workdir}"
    if result.status["currentOptimalTrial"]["bestTrialName"]:
        lines.append(f"next: kubetune best {name} {where}  |  kubetune dashboard {name} {where}")
    elif result.interrupted:
        lines.append("next: run the same command again to resume")
    else:
        failed = next((t.name for t in result.trials if t.state in ("Failed", "MetricsUnavailable")), None)
        lines.append(f"no trial produced a result. next: kubetune trials {name} {where}"
                     + (f"  |  kubetune logs {name} {failed} {where}" if failed else ""))
    return lines
