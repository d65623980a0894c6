"""`kubetune`: validate and run Katib Experiments locally or on a cluster, and read their results.

One module per command group; each adds its own subcommands with `add_parser(subparsers)`:

validate.py   validate FILE...                    experiments checked with Katib's rules, no cluster
run.py        run FILE                            the local engine, live progress, leaderboard
status.py     status|trials|best|logs NAME        results from local state or (-n) from the cluster
convert.py    convert nni|optuna|katib            other formats to a Katib Experiment
dashboard.py  dashboard NAME                      optuna-dashboard over local state
cluster.py    submit|watch|delete                 Experiments on a cluster with Katib (live.py: watch)
ensemble.py   ensemble --predictions CSV...       voting over prediction CSVs
pipeline.py   pipeline compile|run --local|submit the KFP pipeline
export.py     export NAME --to URI                the best trial's model to a store
serve.py      serve suggestion|early-stopping     kubetune's algorithms as Katib gRPC services

Shared: common.py (UserError, exit codes, DEFAULT_WORKDIR, local-run options, writing output),
connection.py (reaching a cluster), load.py (Experiment and SearchSpace files, parsed once; the
whole check, printed as validate/run/submit print it), view.py (the one results view, local or
cluster), tables.py (tables and JSON of trials and status), fit.py (tables
fitted to the width), terminal.py (width, colour only on a terminal, the rich console), progress.py
(`run`'s live progress), conditional.py (inactive conditional parameters), pareto.py (`best` of a
multi-objective run). Numbers for people: kubetune.numbers; why trials failed: kubetune.engine.failures. Start-up stays light: the modules import optuna, torch, kfp,
kubernetes and rich only inside the commands that need them (`kubetune status` loads none).
"""
from __future__ import annotations

import argparse
import os
import sys

from . import cluster, convert, dashboard, ensemble, export, pipeline, run, serve, status, validate
from .common import EXIT_INTERRUPTED, EXIT_USAGE, UserError

# Subcommands in the order `kubetune --help` lists them.
COMMAND_GROUPS = (validate, run, status, convert, dashboard, cluster, ensemble, pipeline, export, serve)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_USAGE
    try:
        return args.func(args) or 0
    except UserError as e:
        print(f"kubetune: error: {e}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("kubetune: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # `kubetune status x -o json | head`: the reader has what it wanted
        _silence_stdout()
        return EXIT_BROKEN_PIPE


EXIT_BROKEN_PIPE = 141  # what a shell reports for a process ended by SIGPIPE (128 + 13)


def _silence_stdout() -> None:
    """Point stdout at /dev/null so that the interpreter's final flush does not fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="kubetune", description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(metavar="COMMAND")
    for group in COMMAND_GROUPS:
        group.add_parser(sub)
    return p
