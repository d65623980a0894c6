"""`kubetune validate FILE...`: Katib's webhook rules and kubetune's lint of Katib traps, with no
cluster. Exit status: 0 valid, 1 a problem found (with --strict, a warning counts too)."""
from __future__ import annotations

import argparse
import sys

from .common import UserError
from .load import add_configmap_option, read_config_maps, read_experiments, report_check
from .tables import console


def add_parser(sub: argparse._SubParsersAction) -> None:
    v = sub.add_parser("validate", help="check Experiments with Katib's webhook rules and lint Katib traps")
    v.add_argument("files", nargs="+", help="Experiment YAML files (multi-document allowed)")
    v.add_argument("--strict", action="store_true", help="treat warnings as errors")
    v.add_argument("-q", "--quiet", action="store_true", help="print problems only")
    add_configmap_option(v)
    v.set_defaults(func=cmd_validate)


def cmd_validate(args) -> int:
    from kubetune.experiment import SpecError

    out = console()
    failed = False
    config_maps = read_config_maps(args.configmap)
    for f in args.files:
        try:
            experiments = read_experiments(f, config_maps)
        except (SpecError, UserError) as e:
            print(str(e), file=sys.stderr)
            failed = True
            continue
        for exp in experiments:
            blocking, warnings = report_check(f, exp, args.strict)
            failed |= bool(blocking)
            if not args.quiet and not blocking:
                out.print(f"{f}: {exp.name}: valid ({exp.algorithm.name}, {len(exp.parameters)} parameters"
                          f"{', ' + str(warnings) + ' warning(s)' if warnings else ''})")
    return 1 if failed else 0
