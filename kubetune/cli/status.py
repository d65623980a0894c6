"""`kubetune status|trials|best|logs NAME`: an experiment's results, read from local state
(--workdir) or, with -n/--namespace, --kubeconfig or --context, from Katib's Experiment and Trial
objects on the cluster (kubetune.cluster.results), and shown by the one view (view.py) either way.

On a cluster Katib's choice of optimal trial is the truth; locally it is computed with the same
rule (kubetune.results.optimal_trial). `kubetune status` reads only the trial index and the best
trial's row, and loads neither rich nor optuna, so it answers fast on a large experiment.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from kubetune.results import optimal_trial

from .common import UserError, add_output_format, add_workdir
from .conditional import annotations_of_run, inactive_rule
from .connection import add_connection_options, cluster_command, get_experiment, katib_client, namespace_of, \
    uses_cluster
from .tables import FAILED_STATES
from .view import MACHINE, Results, explain_failed, show_best, show_status, show_trials


def add_parser(sub: argparse._SubParsersAction) -> None:
    for command, func, text in (("status", cmd_status, "experiment status (Katib's shape)"),
                                ("trials", cmd_trials, "all trials, best first"),
                                ("best", cmd_best, "the best trial: parameters and metrics")):
        reader = sub.add_parser(command, help=text)
        reader.add_argument("name")
        add_workdir(reader)
        add_output_format(reader)
        add_connection_options(reader, "namespace on the cluster: reads the Experiment there instead of local state "
                                       "(so do --kubeconfig and --context)")
        if command == "trials":
            reader.add_argument("--limit", type=int, metavar="N", help="only the best N trials")
        if command == "best":
            reader.add_argument("--exact", action="store_true",
                                help="values as stored (not rounded), and the parameters as --name=value flags")
        reader.set_defaults(func=cluster_command(func, only_with_cluster_options=True))

    lg = sub.add_parser("logs", help="a trial's output")
    lg.add_argument("name")
    lg.add_argument("trial", help="trial name (or a unique suffix of it)")
    add_workdir(lg)
    lg.set_defaults(func=cmd_logs)


# -- commands -----------------------------------------------------------------------------------
def cmd_status(args) -> int:
    if uses_cluster(args):
        show_status(*_cluster_status(args))
    else:
        document, failed, inactive = _local_status(args)
        show_status(document, args.output, failed, inactive)
    return 0


def cmd_trials(args) -> int:
    results = _cluster_results(args, explain=True)[0] if uses_cluster(args) else _local_results(args)[1]
    if args.limit is not None and args.limit < 1:
        raise UserError(f"--limit {args.limit}: must be at least 1")
    show_trials(results, args.output, args.limit)
    return 0


def cmd_best(args) -> int:
    if uses_cluster(args):
        from kubetune.cluster.names import TRIAL_POD_LABEL

        from .pareto import show_cluster_front  # kubetune.io/objectives or kubetune.objectives: the Pareto front

        results, namespace, primary_container, experiment = _cluster_results(args)
        if show_cluster_front(experiment, results.trials, results.best, args.output):
            return 0
        container = f" -c {primary_container}" if primary_container else ""

        def log_hint(best) -> str:
            return (f"kubectl logs -n {namespace} -l {TRIAL_POD_LABEL}={best.name}{container}"
                    "  (needs trialTemplate.retain: true once the trial is done)")
    else:
        from .pareto import show_front  # kubetune.io/objectives: the Pareto front instead

        experiment, results = _local_results(args)
        run_dir = Path(args.workdir) / experiment["name"]
        if show_front(run_dir, experiment, results.trials, results.best, args.output):
            return 0

        def log_hint(best) -> str:
            return str(run_dir / "trials" / best.name / "log")
    show_best(results, log_hint, args.output, exact=args.exact)
    return 0


def cmd_logs(args) -> int:
    _, results = _local_results(args)
    matches = [t for t in results.trials if t.name == args.trial or t.name.endswith(args.trial)]
    if len(matches) != 1:
        names = ", ".join(t.name for t in (matches or results.trials)[:20])
        raise UserError(f"trial {args.trial!r} {'is ambiguous' if matches else 'not found'} in {results.name} ({names})")
    log = Path(args.workdir) / results.name / "trials" / matches[0].name / "log"
    if not log.exists():
        raise UserError(f"{log}: no log yet (trial state {matches[0].state})")
    with open(log, "rb") as f:
        sys.stdout.buffer.write(f.read())
    return 0


# -- local state --------------------------------------------------------------------------------
def open_state(args):
    """The experiment's state, read-only; a missing one names the experiments that do exist."""
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


def _local_results(args, index_only: bool = False) -> tuple[dict, Results]:
    """(stored experiment row, its Results) from the state alone. index_only: trials without
    parameters/observations except the best and the failed ones (enough for status)."""
    state = open_state(args)
    try:
        experiment = state.experiment()
        objective = experiment["spec"].get("objective") or {}
        objective_type = objective.get("type", "maximize")
        trials = state.trial_index() if index_only else state.trials()
        best = optimal_trial(trials, objective_type)
        if index_only:  # full rows of the best trial (parameters, metrics) and the failed ones (why)
            best_name = best.name if best is not None else None
            for i, t in enumerate(trials):
                if t.name == best_name or t.state in FAILED_STATES:
                    trials[i] = state.trial(t.name)
                    best = trials[i] if t.name == best_name else best
    finally:
        state.close()
    metric_names = [objective.get("objectiveMetricName", "objective")] + list(objective.get("additionalMetricNames") or [])
    inactive_of = inactive_rule(annotations_of_run(Path(args.workdir) / experiment["name"]), experiment["spec"])
    return experiment, Results(experiment["name"], objective_type, metric_names, trials, best, inactive_of)


def _local_status(args) -> tuple[dict, list, frozenset]:
    """(Katib-shaped document, the failed trials, the best trial's inactive parameters)."""
    from kubetune.engine.status import experiment_status

    experiment, results = _local_results(args, index_only=True)
    status = experiment_status(experiment, results.trials, results.objective_type, results.best)
    document = {"apiVersion": "kubeflow.org/v1beta1", "kind": "Experiment",
                "metadata": {"name": experiment["name"], "namespace": experiment["namespace"]},
                "spec": experiment["spec"], "status": status}
    failed = [t for t in results.trials if t.state in FAILED_STATES]
    inactive = results.inactive_of(results.best.assignments) if results.best is not None else frozenset()
    return document, failed, inactive


# -- the cluster ------------------------------------------------------------------------------------
def _cluster_status(args) -> tuple[dict, str, list]:
    """(Katib-shaped document, output format, the failed trials with what their pods say; none
    for JSON/YAML, which print the document alone)."""
    from kubetune.cluster.results import ExperimentView, status_document, trial_rows

    client = katib_client(args)
    namespace = namespace_of(args, client)
    experiment = get_experiment(client, args.name, namespace)
    failed = []
    status = experiment.get("status") or {}
    if args.output not in MACHINE and (status.get("trialsFailed") or status.get("trialMetricsUnavailable")):
        view = ExperimentView.of(experiment)
        rows = trial_rows(client.list_trials(args.name, namespace), view)
        rows = explain_failed(client, rows, namespace, view.primary_container)
        failed = [t for t in rows if t.state in FAILED_STATES]
    return status_document(experiment), args.output, failed


def _cluster_results(args, explain: bool = False) -> tuple[Results, str, str, dict]:
    """(Results, namespace, primary container name, the Experiment object) from Katib's objects.
    explain: failed trials say why from their pods (not for JSON/YAML: no pod reads)."""
    from kubetune.cluster.results import ExperimentView, best_row, trial_rows

    client = katib_client(args)
    namespace = namespace_of(args, client)
    experiment = get_experiment(client, args.name, namespace)
    view = ExperimentView.of(experiment)
    rows = trial_rows(client.list_trials(args.name, namespace), view)
    if explain and args.output not in MACHINE:
        rows = explain_failed(client, rows, namespace, view.primary_container)
    inactive_of = inactive_rule((experiment.get("metadata") or {}).get("annotations"), experiment.get("spec") or {})
    results = Results(view.name, view.objective_type, view.metric_names, rows, best_row(experiment, rows), inactive_of)
    return results, namespace, view.primary_container, experiment
