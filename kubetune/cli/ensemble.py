"""`kubetune ensemble`: vote over prediction CSVs and report each member against the ensemble
(the logic is kubetune.ensemble; numpy is loaded only when the command runs).

Exit status: 0 done, 2 bad input (a clear message, nothing written).
"""
from __future__ import annotations

import argparse
import json
import sys

from .common import DEFAULT_WORKDIR, UserError, write_file


def add_parser(sub: argparse._SubParsersAction) -> None:
    e = sub.add_parser(
        "ensemble", help="soft/hard/weighted voting over prediction CSVs, with each member's metrics",
        description="Combine `python -m trainer predict` CSVs (id,label,prob_<class>...) and compare every "
                    "member with the ensemble. See docs/ensemble.md.")
    e.add_argument("--predictions", nargs="+", required=True, metavar="CSV", help="one prediction CSV per member")
    e.add_argument("--method", choices=["soft", "hard", "weighted"],
                   help="soft: mean probability; weighted: weighted mean; hard: majority of labels "
                        "(default soft, or weighted when --weights is given)")
    e.add_argument("--weights", nargs="+", type=float, metavar="W",
                   help="one weight per file (weighted or hard voting); default: from the scores for weighted")
    scores = e.add_mutually_exclusive_group()
    scores.add_argument("--scores", nargs="+", type=float, metavar="S",
                        help="each member's validation objective, one per file in the same order")
    scores.add_argument("--objective-from", metavar="EXPERIMENT",
                        help="read each member's objective from this local experiment (trial name in the CSV's path)")
    e.add_argument("--objective-type", choices=["maximize", "minimize"],
                   help="whether a higher --scores value is better (default maximize; --objective-from uses the "
                        "experiment's)")
    e.add_argument("--workdir", default=DEFAULT_WORKDIR, help=f"for --objective-from (default {DEFAULT_WORKDIR})")
    e.add_argument("--top-k", type=int, metavar="K", help="vote with the K best members by score only")
    e.add_argument("--labels", metavar="CSV", help="true labels: `id` or `path` column + `label` (e.g. test.csv)")
    e.add_argument("--out", metavar="CSV", help="write the ensemble's predictions here (same format as members)")
    e.add_argument("--report", metavar="JSON", help="write the JSON report here")
    e.add_argument("-o", "--output", choices=["table", "json"], default="table")
    e.set_defaults(func=cmd_ensemble)


def cmd_ensemble(args: argparse.Namespace) -> int:
    from kubetune.ensemble import EnsembleError, report_table, run_ensemble, scores_from_experiment

    from .tables import console

    try:
        scores, objective_type = args.scores, args.objective_type or "maximize"
        if args.objective_from:
            scores, experiment_type = scores_from_experiment(args.workdir, args.objective_from, args.predictions)
            if args.objective_type and args.objective_type != experiment_type:
                raise EnsembleError(f"--objective-type {args.objective_type} contradicts experiment "
                                    f"{args.objective_from} ({experiment_type})")
            objective_type = experiment_type
        method = args.method or ("weighted" if args.weights else "soft")
        result = run_ensemble(args.predictions, method, weights=args.weights, scores=scores,
                              objective_type=objective_type, top_k=args.top_k, labels=args.labels, out=args.out)
    except EnsembleError as e:
        raise UserError(str(e)) from None
    text = json.dumps(result.report, indent=2) + "\n"
    if args.report:
        write_file(args.report, text)
    if args.output == "json":
        sys.stdout.write(text)
        return 0
    out = console()
    out.print(report_table(result.report))
    if "metrics" not in result.report["ensemble"]:
        out.print("no --labels: metrics not computed")
    for what, where in (("ensemble predictions", result.report["ensemble"]["path"]), ("report", args.report)):
        if where:
            out.print(f"{what}: {where}")
    return 0
