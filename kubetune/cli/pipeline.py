"""`kubetune pipeline compile|run --local|submit`: the KFP pipeline (pipelines/) compiled, run on
this machine with kfp.local, or started on a Kubeflow Pipelines server. The steps' logic is
kubetune.steps; kfp is imported only by the action that needs it.

Exit status: 0 done, 1 the run failed, 2 bad input (a clear message, nothing started).
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from .common import UserError

DEFAULT_PACKAGE = "pipelines/kubetune_pipeline.yaml"
LOCAL_RUNS = ".kubetune/pipeline-runs"
# Named options shared by `run --local` and `submit` -> pipeline parameter names.
OPTION_PARAMS = {"data": "dataset", "model": "model", "search_space": "search_space", "algorithm": "algorithm",
                 "trials": "max_trials", "parallel": "parallel_trials", "epochs": "epochs",
                 "image_size": "image_size", "batch_size": "batch_size", "gpus_per_trial": "gpus_per_trial",
                 "ensemble_size": "ensemble_size", "ensemble_method": "ensemble_method", "store": "store",
                 "backend": "backend"}
# `run --local` defaults: a search that finishes in minutes on a laptop's CPU (the pipeline's own
# defaults are cluster-sized: efficientnet-b0 at 224 px for 10 epochs, 12 trials, 1 GPU each).
LOCAL_DEFAULTS = {"model": "cells", "trials": 4, "parallel": 2, "epochs": 3, "image_size": 32, "batch_size": 64,
                  "ensemble_size": 3, "algorithm": "tpe"}


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("pipeline", help="the KFP pipeline: compile it, run it locally (kfp.local), submit it to KFP",
                       description="prepare data -> search (Katib or local engine) -> export best model to the store -> "
                                   "ensemble top-k -> report. See docs/pipeline.md.")
    psub = p.add_subparsers(metavar="ACTION")

    c = psub.add_parser("compile", help="compile the pipeline to KFP IR YAML (the checked-in file is "
                                        f"{DEFAULT_PACKAGE})")
    c.add_argument("-o", "--output", default=DEFAULT_PACKAGE, help=f"file to write (default {DEFAULT_PACKAGE})")
    c.set_defaults(func=cmd_compile)

    r = psub.add_parser("run", help="run the whole pipeline on this machine with kfp.local (search backend local)")
    r.add_argument("--local", action="store_true", required=True,
                   help="run with kfp.local's SubprocessRunner (required: use `kubetune pipeline submit` for a cluster)")
    _run_options(r, local=True)
    r.add_argument("-o", "--output", help=f"directory for everything the run writes (default {LOCAL_RUNS}/<time>)")
    r.add_argument("-v", "--verbose", action="store_true",
                   help="show kfp's executor chatter too (it is always in <output>/pipeline.log)")
    r.set_defaults(func=cmd_run)

    s = psub.add_parser("submit", help="start a run on a Kubeflow Pipelines server")
    s.add_argument("--host", default=os.environ.get("KF_PIPELINES_ENDPOINT"),
                   help="KFP API endpoint, e.g. https://kfp.example (default $KF_PIPELINES_ENDPOINT)")
    _run_options(s, local=False)
    s.add_argument("--package", default=None, help=f"compiled pipeline (default: the checked-in {DEFAULT_PACKAGE})")
    s.add_argument("--experiment", default="kubetune", help="KFP experiment to file the run under (default kubetune)")
    s.add_argument("--run-name", help="name of the run (default: KFP's)")
    s.add_argument("--kfp-namespace", help="the KFP (profile) namespace of the run (multi-user installs)")
    s.add_argument("--service-account", help="service account the run's pods use")
    s.add_argument("--token", default=os.environ.get("KFP_TOKEN"), help="bearer token (default $KFP_TOKEN)")
    s.add_argument("--wait", action="store_true", help="wait until the run finishes (exit 1 unless it succeeded)")
    s.add_argument("--timeout", type=float, default=24 * 3600, help="seconds to wait with --wait (default 86400)")
    s.set_defaults(func=cmd_submit)
    p.set_defaults(func=lambda args: (p.print_help(), 2)[1])


def _run_options(p: argparse.ArgumentParser, local: bool) -> None:
    d = LOCAL_DEFAULTS if local else {}
    where = "(default %(default)s)" if local else "(default: the pipeline's)"
    p.add_argument("--data", required=local,
                   help="dataset: a directory/CSV" + (" on this machine" if local else " as the pipeline pods see it "
                                                      "(e.g. /datasets/digits on the datasets claim)")
                   + ", or s3://bucket/prefix published with kubetune.store")
    p.add_argument("--model", default=d.get("model"), help=f"model family, e.g. cells, efficientnet-b0, vit {where}")
    p.add_argument("--search-space", help="a built-in space (auto, basic, cells, efficientnet, vit), inline YAML/JSON, "
                                          "or a YAML file holding the parameters (default auto: by model family)")
    p.add_argument("--algorithm", default=d.get("algorithm"), help=f"Katib algorithm name {where}")
    p.add_argument("--trials", type=int, default=d.get("trials"), help=f"budget: maxTrialCount {where}")
    p.add_argument("--parallel", type=int, default=d.get("parallel"), help=f"parallelTrialCount {where}")
    p.add_argument("--epochs", type=int, default=d.get("epochs"), help=f"epochs per trial {where}")
    p.add_argument("--image-size", type=int, default=d.get("image_size"), help=f"input size in pixels {where}")
    p.add_argument("--batch-size", type=int, default=d.get("batch_size"), help=f"batch size {where}")
    p.add_argument("--gpus-per-trial", type=int, help="GPUs per trial (default: " + ("0" if local else "the pipeline's")
                   + ")")
    p.add_argument("--ensemble-size", type=int, default=d.get("ensemble_size"), help=f"top-k to ensemble {where}")
    p.add_argument("--ensemble-method", choices=["soft", "hard", "weighted"], help="voting method (default soft)")
    p.add_argument("--store", help="where the exported model is published: s3://bucket/prefix or a directory "
                   + ("(default <output>/store)" if local else "(default: the pipeline's)"))
    if not local:
        p.add_argument("--backend", choices=["katib", "local"], help="search backend (default katib)")
    p.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                   help="any other pipeline parameter (repeatable; see docs/pipeline.md)")


def _search_space_value(value: str | None) -> str | None:
    """A YAML file given as --search-space is passed inline (the pipeline pods cannot read this machine)."""
    if value and "\n" not in value and value.endswith((".yaml", ".yml", ".json")):
        path = Path(value)
        if not path.is_file():
            raise UserError(f"--search-space {value}: no such file")
        return path.read_text(encoding="utf-8")
    return value


def _arguments(args, known: dict) -> dict:
    from kubetune.steps.params import ParameterError, build_arguments

    given = {param: getattr(args, option, None) for option, param in OPTION_PARAMS.items()}
    given["search_space"] = _search_space_value(given.get("search_space"))
    try:
        return build_arguments(known, given, args.param)
    except ParameterError as e:
        raise UserError(str(e)) from None


def _preflight(arguments: dict, known: dict) -> None:
    """Render the search step's Experiment from these arguments (placeholder paths) so that a bad
    search space, algorithm or budget fails here, before any step runs."""
    from kubetune.experiment import SpecError
    from kubetune.steps.experiment import ExperimentSettings, ExperimentSettingsError, render_experiment
    from kubetune.steps.space import SpaceError

    value = lambda name: arguments.get(name, known[name][1])  # noqa: E731 - given, else the default
    try:
        render_experiment(ExperimentSettings(
            name="kt-preflight", data_path="/datasets/data", trials_dir="/models/trials", model=value("model"),
            search_space=value("search_space"), algorithm=value("algorithm"), max_trials=int(value("max_trials")),
            parallel_trials=int(value("parallel_trials")), max_failed_trials=int(value("max_failed_trials")),
            epochs=int(value("epochs")), image_size=int(value("image_size")), batch_size=int(value("batch_size")),
            gpus_per_trial=int(value("gpus_per_trial")), seed=int(value("seed"))))
    except (SpaceError, ExperimentSettingsError) as e:
        raise UserError(str(e)) from None
    except SpecError as e:
        raise UserError(f"the search step's Experiment would be invalid:\n{e}") from None


# -- compile ------------------------------------------------------------------------------------
def cmd_compile(args) -> int:
    from pipelines.compile import compile_to, kubernetes_extension_installed

    path = compile_to(args.output)
    print(f"compiled the kubetune pipeline to {path}")
    if not kubernetes_extension_installed():
        print("note: kfp-kubernetes is not installed, so the pipeline has no volume/Secret/toleration settings "
              "(pip install kfp-kubernetes==2.17.0 and compile again to add them)", file=sys.stderr)
    return 0


# -- run --local --------------------------------------------------------------------------------
def cmd_run(args) -> int:
    from kubetune.steps.params import parameters_of_pipeline
    from pipelines.kubetune_pipeline import build_pipeline
    from pipelines.run_local import LocalRunError, run_local_pipeline

    if not Path(args.data).exists() and "://" not in args.data:
        raise UserError(f"--data {args.data}: no such file or directory")
    known = parameters_of_pipeline(build_pipeline(for_local=True))
    arguments = _arguments(args, known)
    arguments.setdefault("gpus_per_trial", 0)
    _preflight(arguments, known)
    out = Path(args.output or Path(LOCAL_RUNS) / time.strftime("%Y%m%d-%H%M%S"))
    dataset = arguments.pop("dataset")
    store = arguments.pop("store", None)
    try:
        result = run_local_pipeline(out, dataset=dataset, arguments=arguments, store=store,
                                    verbose=getattr(args, "verbose", False))
    except LocalRunError as e:
        print(f"kubetune: pipeline failed: {e}", file=sys.stderr)
        return 1
    for line in summary_lines(result):
        print(line)
    return 0


def summary_lines(result) -> list[str]:
    """The end of `pipeline run --local`: like compared with like (validation with validation, test
    with test), the ensemble's gain over its best member, the confusion matrix in one line."""
    from kubetune.numbers import human
    from kubetune.steps.report import confusion_summary, ensemble_lines

    search = result.metrics.get("search", {})
    best = next(((k[5:], v) for k, v in search.items() if k.startswith("best_")), None)
    lines = [f"\npipeline finished in {result.seconds:.0f}s"]
    if best:
        lines.append(f"  search: best trial {result.trial or '?'}, validation {best[0]} {human(best[1])} "
                     f"({human(search.get('trials_succeeded'))} of {human(search.get('trials'))} trials succeeded)")
    ensemble = result.ensemble
    if ensemble:
        lines += [f"  {line}" for line in ensemble_lines(ensemble)]
        lines.append(f"  confusion: {confusion_summary(ensemble['classes'], ensemble['confusion_matrix'])}")
    lines.append(f"model: {result.model_uri} (fetched and verified into {result.files['model']})")
    lines.append(f"outputs in {result.out_dir}:")
    for name in ("model", "leaderboard.md", "metrics.json", "confusion_matrix.csv", "predictions.csv",
                 "experiment.yaml", "summary.json", "pipeline.log"):
        lines.append(f"  {result.files[name]}")
    return lines


# -- submit -------------------------------------------------------------------------------------
def cmd_submit(args) -> int:
    from kubetune.steps.params import ParameterError, parameters_of_package
    from pipelines.submit import SubmitError, submit_run

    if not args.host:
        raise UserError("--host is required (or set KF_PIPELINES_ENDPOINT): the Kubeflow Pipelines API endpoint")
    package = args.package
    if package is None:
        from pipelines.compile import COMPILED

        package = str(COMPILED)
    try:
        known = parameters_of_package(package)
    except ParameterError as e:
        raise UserError(str(e)) from None
    arguments = _arguments(args, known)
    _preflight(arguments, known)
    try:
        run = submit_run(package, arguments, host=args.host, namespace=args.kfp_namespace, experiment=args.experiment,
                         run_name=args.run_name, token=args.token, service_account=args.service_account,
                         wait=args.wait, timeout=args.timeout)
    except SubmitError as e:
        print(f"kubetune: error: {e}", file=sys.stderr)
        return 1
    print(run.url)
    if args.wait and (run.state or "").upper() != "SUCCEEDED":
        return 1
    return 0
