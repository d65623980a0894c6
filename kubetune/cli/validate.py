"""`kubetune validate FILE...`: Katib's webhook rules and kubetune's lint of Katib traps, with no
cluster. Exit status: 0 valid, 1 a problem found (with --strict, a warning counts too)."""
from __future__ import annotations

import argparse
import sys

from .common import UserError
from .load import add_configmap_option, read_config_maps, space_targets
from .tables import console


def add_parser(sub: argparse._SubParsersAction) -> None:
    v = sub.add_parser("validate", help="check Experiments with Katib's webhook rules and lint Katib traps")
    v.add_argument("files", nargs="+", help="Experiment YAML files (multi-document allowed)")
    v.add_argument("--strict", action="store_true", help="treat warnings as errors")
    v.add_argument("-q", "--quiet", action="store_true", help="print problems only")
    add_configmap_option(v)
    v.set_defaults(func=cmd_validate)


def cmd_validate(args) -> int:
    from kubetune.algorithms import check, service_errors
    from kubetune.experiment import SpecError, load_experiments

    out = console()
    failed = False
    config_maps = read_config_maps(args.configmap)
    for f in args.files:
        try:
            experiments = space_targets(f) or load_experiments(f, service_checks=service_errors,
                                                               config_maps=config_maps)
        except (SpecError, UserError) as e:
            print(str(e), file=sys.stderr)
            failed = True
            continue
        except OSError as e:
            print(f"{f}: {e.strerror or e}", file=sys.stderr)
            failed = True
            continue
        for exp in experiments:
            errors, warnings = check(exp)
            for pr in errors + warnings:
                label = "error" if pr in errors or args.strict else "warning"
                print(f"{f}: {exp.name}: {label}: {pr}", file=sys.stderr)
            bad = bool(errors) or (args.strict and bool(warnings))
            failed |= bad
            if not args.quiet and not bad:
                out.print(f"{f}: {exp.name}: valid ({exp.algorithm.name}, {len(exp.parameters)} parameters"
                          f"{', ' + str(len(warnings)) + ' warning(s)' if warnings else ''})")
    return 1 if failed else 0
