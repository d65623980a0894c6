"""`kubetune convert nni|optuna|katib`: another tool's experiment, or kubetune's extensions, as a
Katib Experiment (the conversions live in kubetune.convert; this module wires their options and
output). Exit status: 0 written, 2 bad input; `convert nni --run` then exits as `kubetune run`."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Callable

from .common import UserError, add_local_run_options, write_output
from .load import load_one


def _format_parser(csub: argparse._SubParsersAction, name: str, func: Callable[[argparse.Namespace], int],
                   help: str, description: str, source: str, source_help: str,
                   out_help: str = "write the Experiment here (default: stdout)") -> argparse.ArgumentParser:
    """One `convert FORMAT SOURCE [-o OUT]` subcommand, run by `func`."""
    p = csub.add_parser(name, help=help, description=description)
    p.add_argument(source, help=source_help)
    p.add_argument("-o", "--output", dest="out", metavar="OUT", help=out_help)
    p.set_defaults(func=func)
    return p


def add_parser(sub: argparse._SubParsersAction) -> None:
    c = sub.add_parser("convert", help="convert another tool's experiment into a Katib Experiment")
    c.set_defaults(func=lambda a: c.print_help() or 2)
    csub = c.add_subparsers(metavar="FORMAT")
    n = _format_parser(csub, "nni", cmd_convert_nni, "an NNI experiment config (v1 or v2) and its search space",
                       "Convert an NNI experiment (config v1/v2 + search space) into a Katib "
                       "Experiment; notes on approximations go to stderr and into the YAML. "
                       "See docs/nni-migration.md.",
                       "config", "NNI config YAML (config.yml)",
                       "write the Experiment here (default: stdout; with --run: <workdir>/<name>.yaml)")
    n.add_argument("--image", help="trial container image (default: the kubetune trainer image)")
    n.add_argument("--namespace", help="metadata.namespace of the Experiment (default: none, kubectl's current)")
    n.add_argument("--run", action="store_true", help="then run it locally, as `kubetune run` (the trial code "
                                                      "directory is mapped to /code automatically)")
    add_local_run_options(n, "with --run: ")
    _format_parser(csub, "optuna", cmd_convert_optuna,
                   "an Optuna-style search space (kind: SearchSpace, docs/search-spaces.md)",
                   "Compile a kubetune SearchSpace file (Optuna-style parameters, conditional "
                   "parameters, objectives) into the Katib Experiment `kubetune run` runs; it "
                   "runs unchanged on Katib, flattened. See docs/search-spaces.md.",
                   "space", "SearchSpace YAML")
    k = _format_parser(csub, "katib", cmd_convert_katib,
                       "the plain-Katib form of a kubetune Experiment (fixed-product -> grid)",
                       "Rewrite kubetune's extensions that Katib rejects: algorithm fixed-product "
                       "becomes grid over one categorical parameter `scaling` listing the allowed "
                       "alpha,beta,gamma triples. See docs/search-spaces.md.",
                       "file", "Experiment YAML (or a SearchSpace file)")
    k.add_argument("--services", action="store_true", help="for a Katib running kubetune's own services "
                   "(docs/cluster.md): keep the algorithm, move the kubetune.io/* annotations into kubetune.* "
                   "algorithm settings")


def cmd_convert_nni(args) -> int:
    from kubetune.convert import ConvertError, convert_nni

    try:
        result = convert_nni(args.config, image=args.image, namespace=args.namespace)
    except ConvertError as e:
        raise UserError(str(e)) from None
    for note in result.notes:
        print(f"kubetune: note: {note}", file=sys.stderr)
    out = args.out
    if out is None and args.run:
        out = str(Path(args.workdir) / f"{args.name or result.name}.yaml")
    write_output(result.text, out, f" (Experiment {result.name}, {result.mode} trial)")
    if not args.run:
        return 0
    from .run import cmd_run

    set_paths = [f"{mount}={local}" for mount, local in result.local_paths.items()] + list(args.set_path)
    # absolute: the trial's working directory is the code directory, so relative emptyDir paths would miss
    return cmd_run(argparse.Namespace(file=out, workdir=str(Path(args.workdir).resolve()), name=args.name,
                                      local_config=args.local_config,
                                      set_path=set_paths, set_env=args.set_env, seed=args.seed, output="table",
                                      strict=args.strict))


def cmd_convert_optuna(args) -> int:
    from kubetune.convert import ConvertError
    from kubetune.convert.optuna_space_compile import compile_space_file, experiment_yaml

    try:
        text = experiment_yaml(compile_space_file(args.space), args.space)
    except ConvertError as e:
        raise UserError(str(e)) from None
    return write_output(text, args.out)


def cmd_convert_katib(args) -> int:
    from kubetune.convert import ConvertError
    from kubetune.convert.katib_form import katib_form, services_form
    from kubetune.experiment.yaml_writer import dump_experiment

    exp = load_one(args.file)
    try:
        document, notes = (services_form if getattr(args, "services", False) else katib_form)(exp.raw, args.file)
    except ConvertError as e:
        raise UserError(str(e)) from None
    for note in notes:
        print(f"kubetune: note: {note}", file=sys.stderr)
    form = "Katib-with-kubetune-services form" if getattr(args, "services", False) else "Plain-Katib form"
    header = [f"{form} of {Path(args.file).name} (`kubetune convert katib`)."] + [str(n) for n in notes]
    return write_output(dump_experiment(document, header), args.out)
