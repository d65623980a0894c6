"""`kubetune`: validate and run Katib Experiments locally, and read their results."""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from kubetune import leaderboard as lb

DEFAULT_WORKDIR = os.environ.get("KUBETUNE_WORKDIR", ".kubetune/runs")


class UserError(Exception):
    """A problem the user can fix: printed without a traceback, exit code 2."""


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return args.func(args) or 0
    except UserError as e:
        print(f"kubetune: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("kubetune: interrupted", file=sys.stderr)
        return 130


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="kubetune", description=__doc__)
    sub = p.add_subparsers(metavar="COMMAND")

    v = sub.add_parser("validate", help="check Experiments with Katib's webhook rules and lint Katib traps")
    v.add_argument("files", nargs="+", help="Experiment YAML files (multi-document allowed)")
    v.add_argument("--strict", action="store_true", help="treat warnings as errors")
    v.add_argument("-q", "--quiet", action="store_true", help="print problems only")
    v.set_defaults(func=cmd_validate)

    r = sub.add_parser("run", help="run an Experiment locally (resumes when its state exists)")
    r.add_argument("file", help="Experiment YAML")
    _local_run_options(r)
    r.add_argument("-o", "--output", choices=["table", "json"], default="table")
    r.set_defaults(func=cmd_run)

    for command, func, text in (("status", cmd_status, "experiment status (Katib's shape)"),
                                ("trials", cmd_trials, "all trials, best first"),
                                ("best", cmd_best, "the best trial: parameters and metrics")):
        reader = sub.add_parser(command, help=text)
        reader.add_argument("name")
        _workdir(reader)
        reader.add_argument("-o", "--output", choices=["table", "json"], default="table")
        reader.set_defaults(func=func)

    lg = sub.add_parser("logs", help="a trial's output")
    lg.add_argument("name")
    lg.add_argument("trial", help="trial name (or a unique suffix of it)")
    _workdir(lg)
    lg.set_defaults(func=cmd_logs)

    c = sub.add_parser("convert", help="convert another tool's experiment into a Katib Experiment")
    c.set_defaults(func=lambda a: c.print_help() or 2)
    csub = c.add_subparsers(metavar="FORMAT")
    n = csub.add_parser("nni", help="an NNI experiment config (v1 or v2) and its search space",
                        description="Convert an NNI experiment (config v1/v2 + search space) into a Katib "
                                    "Experiment; notes on approximations go to stderr and into the YAML. "
                                    "See docs/nni-migration.md.")
    n.add_argument("config", help="NNI config YAML (config.yml)")
    n.add_argument("-o", "--output", dest="out", metavar="OUT",
                   help="write the Experiment here (default: stdout; with --run: <workdir>/<name>.yaml)")
    n.add_argument("--image", help="trial container image (default: the kubetune trainer image)")
    n.add_argument("--namespace", help="metadata.namespace of the Experiment (default: none, kubectl's current)")
    n.add_argument("--run", action="store_true", help="then run it locally, as `kubetune run` (the trial code "
                                                      "directory is mapped to /code automatically)")
    _local_run_options(n, "with --run: ")
    n.set_defaults(func=cmd_convert_nni)
    o = csub.add_parser("optuna", help="an Optuna-style search space (kind: SearchSpace, docs/search-spaces.md)",
                        description="Compile a kubetune SearchSpace file (Optuna-style parameters, conditional "
                                    "parameters, objectives) into the Katib Experiment `kubetune run` runs; it "
                                    "runs unchanged on Katib, flattened. See docs/search-spaces.md.")
    o.add_argument("space", help="SearchSpace YAML")
    o.add_argument("-o", "--output", dest="out", metavar="OUT", help="write the Experiment here (default: stdout)")
    o.set_defaults(func=cmd_convert_optuna)
    k = csub.add_parser("katib", help="the plain-Katib form of a kubetune Experiment (fixed-product -> grid)",
                        description="Rewrite kubetune's extensions that Katib rejects: algorithm fixed-product "
                                    "becomes grid over one categorical parameter `scaling` listing the allowed "
                                    "alpha,beta,gamma triples. See docs/search-spaces.md.")
    k.add_argument("file", help="Experiment YAML (or a SearchSpace file)")
    k.add_argument("-o", "--output", dest="out", metavar="OUT", help="write the Experiment here (default: stdout)")
    k.set_defaults(func=cmd_convert_katib)

    d = sub.add_parser("dashboard", help="optuna-dashboard over the experiment's state (live)")
    d.add_argument("name")
    _workdir(d)
    d.add_argument("--host", default="127.0.0.1")
    d.add_argument("--port", type=int, default=8080)
    d.set_defaults(func=cmd_dashboard)

    from kubetune.cluster.cli import register as register_cluster_commands

    register_cluster_commands(sub)  # submit/watch/delete; -n/--namespace on status/trials/best -> the cluster

    from kubetune.ensemble.cli import register as register_ensemble_command

    register_ensemble_command(sub)  # ensemble over prediction CSVs (logic in kubetune.ensemble)

    from kubetune.pipeline.cli import register as register_pipeline_commands

    register_pipeline_commands(sub)  # pipeline compile|run --local|submit, export NAME --to URI
    return p


def _local_run_options(p: argparse.ArgumentParser, prefix: str = "") -> None:
    """The options of a local run (`run`, `convert nni --run`)."""
    _workdir(p)
    p.add_argument("--name", help=prefix + "run under this metadata.name instead of the file's")
    p.add_argument("--local-config", help=prefix + "YAML mapping cluster paths/env/images to local ones "
                                                   "(see docs/local-runs.md)")
    p.add_argument("--set-path", action="append", default=[], metavar="MOUNT=DIR",
                   help=prefix + "map a volumeMount path to a local directory (repeatable)")
    p.add_argument("--set-env", action="append", default=[], metavar="NAME=VALUE",
                   help=prefix + "value for an env var sourced from a Secret/ConfigMap (repeatable)")
    p.add_argument("--seed", type=int, help=prefix + "seed for the search algorithm (default: its random_state setting)")
    p.add_argument("--strict", action="store_true", help=prefix + "refuse to run when lint finds a trap")


def _workdir(p: argparse.ArgumentParser) -> None:
    p.add_argument("--workdir", default=DEFAULT_WORKDIR,
                   help=f"where experiment state lives (default {DEFAULT_WORKDIR}; env KUBETUNE_WORKDIR)")


# -- validate ---------------------------------------------------------------------------------
def cmd_validate(args) -> int:
    from kubetune.spec import SpecError, check, load_experiments

    out = lb.console()
    failed = False
    for f in args.files:
        try:
            experiments = _validate_targets(f) or load_experiments(f)
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


# -- run --------------------------------------------------------------------------------------
def _validate_targets(path: str) -> list:
    """A SearchSpace file validates as the Experiment it compiles to; [] for other files."""
    from kubetune.convert.optuna_space import is_space_file

    return [_compiled_space(path)] if is_space_file(path) else []


def _load_one(path: str, name: str | None = None):
    from kubetune.convert.optuna_space import is_space_file
    from kubetune.spec import SpecError, experiment_from_dict, load_experiments

    if is_space_file(path):  # an Optuna-style SearchSpace: run the Experiment it compiles to
        return _compiled_space(path, name)
    try:
        experiments = load_experiments(path)
    except SpecError as e:
        raise UserError(str(e)) from None
    except OSError as e:
        raise UserError(f"{path}: {e.strerror or e}") from None
    if len(experiments) > 1:
        raise UserError(f"{path}: holds {len(experiments)} Experiments; `kubetune run` takes one per file")
    exp = experiments[0]
    if name:
        raw = dict(exp.raw)
        raw["metadata"] = {**(raw.get("metadata") or {}), "name": name}
        exp = experiment_from_dict(raw, source=path)
    return exp


def cmd_run(args) -> int:
    from kubetune.engine import EngineError, LocalEngine, LocalOverrides, TemplateError
    from kubetune.engine.collector import CollectorError

    exp = _load_one(args.file, args.name)
    from kubetune.spec import check

    errors, warnings = check(exp)
    for w in warnings:
        print(f"{args.file}: {'error' if args.strict else 'warning'}: {w}", file=sys.stderr)
    if errors or (args.strict and warnings):
        raise UserError(f"{args.file}: not run ({len(errors) + (len(warnings) if args.strict else 0)} problem(s) above)")
    try:
        overrides = LocalOverrides.load(args.local_config, args.set_path, args.set_env)
        reporter = ConsoleReporter(exp, quiet=args.output == "json")
        engine = LocalEngine(exp, args.workdir, overrides, reporter=reporter, seed=args.seed)
        result = engine.run()
    except (EngineError, TemplateError, CollectorError, ValueError) as e:
        raise UserError(str(e)) from None
    if args.output == "json":
        print(lb.to_json({"name": result.name, "directory": str(result.directory), "status": result.status,
                          "trials": [lb.trial_dict(t) for t in result.trials]}))
    else:
        out = lb.console()
        out.print(lb.trials_table(result.trials, exp.objective.type, exp.metric_names, limit=20,
                                  title=f"leaderboard: {exp.name} (objective {exp.objective.metric_name}, "
                                        f"{exp.objective.type})"))
        out.print(lb.status_table(result.status, exp.name))
        out.print(f"state: {result.directory / 'state.db'}   logs: {result.directory / 'trials'}/<trial>/log")
        out.print(f"next: kubetune best {exp.name} --workdir {args.workdir}  |  "
                  f"kubetune dashboard {exp.name} --workdir {args.workdir}")
    if result.interrupted:
        return 130
    return 0 if result.succeeded and result.status["currentOptimalTrial"]["bestTrialName"] else 1


class ConsoleReporter:
    """Live progress on stderr: one line per trial event, a status line every few seconds."""

    TICK_SECONDS = 10.0

    def __init__(self, exp, quiet: bool = False):
        self.exp, self.quiet = exp, quiet
        self.started_at = time.time()
        self.last_tick = 0.0
        self.err = lb.console(stderr=True)

    def _say(self, text: str) -> None:
        if not self.quiet:
            self.err.print(text)

    def started(self, trial) -> None:
        params = " ".join(f"{k}={v}" for k, v in trial.assignments.items())
        self._say(f"[cyan]start[/]  {trial.name}  {params}")

    def finished(self, trial) -> None:
        style = lb.STATE_STYLE.get(trial.state, "")
        value = f"{self.exp.objective.metric_name}={lb._fmt(trial.objective)}" if trial.objective is not None else ""
        detail = "" if trial.state == "Succeeded" else f"  ({trial.message.splitlines()[0] if trial.message else trial.reason})"
        self._say(f"[{style}]{trial.state.lower():<8}[/] {trial.name}  {value}{detail}")

    def resumed(self, reset: list[str], kept: int) -> None:
        if kept or reset:
            self._say(f"resuming: {kept} finished trial(s) kept, {len(reset)} interrupted trial(s) to re-run")

    def tick(self, counts, best) -> None:
        now = time.time()
        if now - self.last_tick >= self.TICK_SECONDS:
            self.last_tick = now
            self._say(lb.progress_line(counts, best, self.exp.objective.metric_name, self.started_at))

    def message(self, text: str) -> None:
        self._say(text)


# -- convert ----------------------------------------------------------------------------------
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
    if out is None:
        sys.stdout.write(result.text)
    else:
        try:
            Path(out).parent.mkdir(parents=True, exist_ok=True)
            Path(out).write_text(result.text, encoding="utf-8")
        except OSError as e:
            raise UserError(f"{out}: cannot write: {e.strerror or e}") from None
        print(f"kubetune: wrote {out} (Experiment {result.name}, {result.mode} trial)", file=sys.stderr)
    if not args.run:
        return 0
    set_paths = [f"{mount}={local}" for mount, local in result.local_paths.items()] + list(args.set_path)
    # absolute: the trial's working directory is the code directory, so relative emptyDir paths would miss
    return cmd_run(argparse.Namespace(file=out, workdir=str(Path(args.workdir).resolve()), name=args.name,
                                      local_config=args.local_config,
                                      set_path=set_paths, set_env=args.set_env, seed=args.seed, output="table",
                                      strict=args.strict))


def _compiled_space(path: str, name: str | None = None):
    from kubetune.convert import ConvertError
    from kubetune.convert.optuna_space import compile_space_file
    from kubetune.spec import SpecError, experiment_from_dict

    try:
        document = compile_space_file(path)
        if name:
            document["metadata"]["name"] = name
        return experiment_from_dict(document, source=path)
    except (ConvertError, SpecError) as e:
        raise UserError(str(e)) from None


def cmd_convert_optuna(args) -> int:
    from kubetune.convert import ConvertError
    from kubetune.convert.optuna_space import compile_space_file, experiment_yaml

    try:
        text = experiment_yaml(compile_space_file(args.space), args.space)
    except ConvertError as e:
        raise UserError(str(e)) from None
    return _write_output(text, args.out)


def cmd_convert_katib(args) -> int:
    from kubetune.convert import ConvertError
    from kubetune.convert.katib_form import katib_form
    from kubetune.convert.optuna_space import dump_experiment

    exp = _load_one(args.file)
    try:
        document, notes = katib_form(exp.raw, args.file)
    except ConvertError as e:
        raise UserError(str(e)) from None
    for note in notes:
        print(f"kubetune: note: {note}", file=sys.stderr)
    header = [f"Plain-Katib form of {Path(args.file).name} (`kubetune convert katib`)."] + [str(n) for n in notes]
    text = dump_experiment(document, header)
    return _write_output(text, args.out)


def _write_output(text: str, out: str | None) -> int:
    """A converted Experiment to `out`, or to stdout when none is given."""
    if out is None:
        sys.stdout.write(text)
        return 0
    try:
        Path(out).parent.mkdir(parents=True, exist_ok=True)
        Path(out).write_text(text, encoding="utf-8")
    except OSError as e:
        raise UserError(f"{out}: cannot write: {e.strerror or e}") from None
    print(f"kubetune: wrote {out}", file=sys.stderr)
    return 0


# -- reading results ----------------------------------------------------------------------------
def _open_state(args):
    from kubetune.engine.state import ExperimentState, StateError

    path = Path(args.workdir) / args.name / "state.db"
    if not path.exists():
        known = sorted(p.parent.name for p in Path(args.workdir).glob("*/state.db"))
        raise UserError(f"no experiment {args.name!r} in {args.workdir}"
                        + (f" (experiments there: {', '.join(known)})" if known else "; give --workdir"))
    try:
        return ExperimentState(path, readonly=True)
    except StateError as e:
        raise UserError(str(e)) from None


def _context(args, index_only: bool = False):
    """(experiment row, trials, objective type, metric names, best trial or None) from the stored
    state alone. index_only: trials without parameters/observations except the best (status)."""
    from kubetune.engine.status import optimal_trial

    state = _open_state(args)
    try:
        exp = state.experiment()
        objective_type = (exp["spec"].get("objective") or {}).get("type", "maximize")
        best = None
        if index_only:
            trials = state.trial_index()
            best = optimal_trial(trials, objective_type)
            if best is not None:
                position = trials.index(best)
                best = trials[position] = state.trial(best.name)
        else:
            trials = state.trials()
    finally:
        state.close()
    objective = exp["spec"].get("objective") or {}
    metric_names = [objective.get("objectiveMetricName", "objective")] + list(objective.get("additionalMetricNames") or [])
    return exp, trials, objective_type, metric_names, best


def cmd_status(args) -> int:
    from kubetune.engine.status import experiment_status

    exp, trials, objective_type, _, best = _context(args, index_only=True)
    status = experiment_status(exp, trials, objective_type, best)
    if args.output == "json":
        print(lb.to_json({"apiVersion": "kubeflow.org/v1beta1", "kind": "Experiment",
                          "metadata": {"name": exp["name"], "namespace": exp["namespace"]},
                          "spec": exp["spec"], "status": status}))
    else:
        print(lb.status_text(status, exp["name"]))
    return 0


def cmd_trials(args) -> int:
    exp, trials, objective_type, metric_names, _ = _context(args)
    if args.output == "json":
        print(lb.to_json([lb.trial_dict(t) for t in lb.ranked(trials, objective_type)]))
    else:
        lb.console().print(lb.trials_table(trials, objective_type, metric_names, title=f"trials of {exp['name']}"))
    return 0


def cmd_best(args) -> int:
    from kubetune.engine.status import optimal_trial

    exp, trials, objective_type, metric_names, _ = _context(args)
    best = optimal_trial(trials, objective_type)
    if _best_pareto(args, exp, trials, best):  # kubetune.io/objectives: the Pareto front
        return 0
    if best is None:
        raise UserError(f"experiment {exp['name']} has no trial with an objective value yet")
    if args.output == "json":
        print(lb.to_json(lb.trial_dict(best)))
    else:
        out = lb.console()
        out.print(f"[bold]best trial[/]: {best.name}  ({metric_names[0]} = {lb._fmt(best.objective)}, {objective_type})")
        for k, v in best.assignments.items():
            out.print(f"  {k} = {v}")
        for m, obs in best.observation.items():
            out.print(f"  {m}: latest {obs.get('latest')}  min {obs.get('min')}  max {obs.get('max')}")
        out.print(f"  log: {Path(args.workdir) / exp['name'] / 'trials' / best.name / 'log'}")
    return 0


def _best_pareto(args, exp: dict, trials, best) -> bool:
    """Show the Pareto front of a multi-objective run; False for a single-objective one."""
    from kubetune.pareto_report import front_json, front_of, front_table, objectives_of_run

    try:
        objectives = objectives_of_run(Path(args.workdir) / exp["name"], exp["spec"])
    except ValueError as e:
        raise UserError(f"experiment {exp['name']}: {e}") from None
    if objectives is None:
        return False
    front = front_of(trials, objectives, exp["spec"])
    if not front and args.output != "json":
        raise UserError(f"experiment {exp['name']} has no succeeded trial with every objective "
                        f"({', '.join(objectives.metrics)}) yet")
    if args.output == "json":
        print(lb.to_json(front_json(front, objectives, best)))
        return True
    out = lb.console()
    out.print(front_table(front, objectives, f"Pareto front of {exp['name']}: {len(front)} trial(s) no other "
                                             "trial beats on every objective"))
    if best is not None:
        out.print(f"best by {exp['spec']['objective'].get('objectiveMetricName')} alone (Katib's optimal trial): "
                  f"{best.name}")
    return True


def cmd_logs(args) -> int:
    exp, trials, _, _, _ = _context(args)
    matches = [t for t in trials if t.name == args.trial or t.name.endswith(args.trial)]
    if len(matches) != 1:
        names = ", ".join(t.name for t in (matches or trials)[:20])
        raise UserError(f"trial {args.trial!r} {'is ambiguous' if matches else 'not found'} in {exp['name']} ({names})")
    log = Path(args.workdir) / exp["name"] / "trials" / matches[0].name / "log"
    if not log.exists():
        raise UserError(f"{log}: no log yet (trial state {matches[0].state})")
    with open(log, "rb") as f:
        sys.stdout.buffer.write(f.read())
    return 0


def cmd_dashboard(args) -> int:
    from kubetune.engine.dashboard import serve

    state = _open_state(args)
    state.close()
    serve(Path(args.workdir) / args.name / "state.db", args.host, args.port)
    return 0


if __name__ == "__main__":
    sys.exit(main())
