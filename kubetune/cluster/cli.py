"""`kubetune` subcommands for a cluster: submit, watch, delete, and the cluster side of
status/trials/best (chosen with -n/--namespace, --kubeconfig or --context; without them those
three read local state as before).

Output is the local commands' output: the same tables (kubetune.leaderboard) and the same JSON
shapes, built from Katib's Experiment and Trial objects by kubetune.cluster.results.
Exit status: 0 done, 1 the cluster refused or the experiment failed, 2 bad input (nothing was
sent), 130 interrupted (the experiment keeps running).
"""
from __future__ import annotations

import argparse
import copy
import sys
import time
from typing import TYPE_CHECKING, Callable

from kubetune import leaderboard as lb
from kubetune.engine.status import Counts

from .names import EXPERIMENT_LABEL, TRIAL_POD_LABEL
from .results import ExperimentView, best_row, parse_time, status_document, succeeded, trial_rows
from .watch import DEFAULT_INTERVAL, MAX_INTERVAL, MIN_INTERVAL, Snapshot, WatchTimeout, watch

if TYPE_CHECKING:
    from .client import KatibClient

# The kubernetes client (a third of a second to import) is imported by the commands that use it,
# so that `kubetune validate` and the local commands do not pay for it.


def _user_error(message: str) -> Exception:
    from kubetune.cli import UserError  # the main CLI prints it and exits 2

    return UserError(message)


# -- wiring ---------------------------------------------------------------------------------------
def add_connection_options(p: argparse.ArgumentParser, namespace_help: str, namespace_required: bool = False) -> None:
    p.add_argument("-n", "--namespace", required=namespace_required, help=namespace_help)
    p.add_argument("--kubeconfig", help="kubeconfig file (default: $KUBECONFIG, ~/.kube/config, else in-cluster)")
    p.add_argument("--context", help="kubeconfig context (default: the current context)")


def _uses_cluster(args) -> bool:
    return bool(args.namespace or args.kubeconfig or args.context)


def _cluster_command(fn: Callable) -> Callable:
    """Run fn; a ClusterError is printed without a traceback and exits with its code."""
    def run(args) -> int:
        from .client import ClusterError

        try:
            return fn(args) or 0
        except ClusterError as e:
            print(f"kubetune: error: {e}", file=sys.stderr)
            return e.exit_code
    run.__name__ = getattr(fn, "__name__", "run")
    return run


def _local_or_cluster(local: Callable, cluster: Callable) -> Callable:
    cluster = _cluster_command(cluster)

    def dispatch(args) -> int:
        return cluster(args) if _uses_cluster(args) else local(args)
    return dispatch


def register(sub: argparse._SubParsersAction) -> None:
    """Add the cluster options to status/trials/best and the submit/watch/delete commands."""
    for name, cluster in (("status", cmd_status), ("trials", cmd_trials), ("best", cmd_best)):
        parser = sub.choices.get(name)
        if parser is None:
            continue
        add_connection_options(parser, "namespace on the cluster: reads the Experiment there instead of local state "
                                       "(so do --kubeconfig and --context)")
        parser.set_defaults(func=_local_or_cluster(parser.get_default("func"), cluster))

    s = sub.add_parser("submit", help="validate an Experiment locally, then create it on the cluster")
    s.add_argument("file", help="Experiment YAML (multi-document allowed)")
    add_connection_options(s, "namespace to create it in (default: the file's metadata.namespace, else the "
                              "kubeconfig context's namespace)")
    s.add_argument("--name", help="create it under this metadata.name instead of the file's")
    mode = s.add_mutually_exclusive_group()
    mode.add_argument("--replace", action="store_true",
                      help="if it already exists: delete it (and its trials), wait until it is gone, create it again")
    mode.add_argument("--resume", action="store_true",
                      help="if it already exists: leave it as it is (the file is not applied) and go on (--watch)")
    s.add_argument("--dry-run", nargs="?", const="client", choices=["client", "server"],
                   help="client (default): print what would be sent, contact nothing; server: let the API server "
                        "and Katib's webhooks check it without storing it")
    s.add_argument("--strict", action="store_true", help="treat lint warnings as errors")
    s.add_argument("--watch", action="store_true", help="then follow it with a live leaderboard until it completes")
    _watch_options(s)
    s.set_defaults(func=_cluster_command(cmd_submit))

    w = sub.add_parser("watch", help="live leaderboard of an Experiment on the cluster until it completes")
    w.add_argument("name")
    add_connection_options(w, "namespace of the Experiment", namespace_required=True)
    _watch_options(w)
    w.set_defaults(func=_cluster_command(cmd_watch))

    d = sub.add_parser("delete", help="delete an Experiment on the cluster (its trials and their jobs go with it)")
    d.add_argument("name")
    add_connection_options(d, "namespace of the Experiment", namespace_required=True)
    d.add_argument("--wait", action="store_true", help="wait until it is gone")
    d.add_argument("--timeout", type=float, default=300.0, help="seconds to wait with --wait (default 300)")
    d.set_defaults(func=_cluster_command(cmd_delete))


def _watch_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--interval", type=float, default=DEFAULT_INTERVAL,
                   help=f"seconds between polls (default {DEFAULT_INTERVAL:g}; kept within "
                        f"{MIN_INTERVAL:g}..{MAX_INTERVAL:g})")
    p.add_argument("--timeout", type=float,
                   help="stop watching after this many seconds (exit 1; the experiment keeps running)")
    p.add_argument("-o", "--output", choices=["table", "json"], default="table")


def _client(args) -> "KatibClient":
    from .client import KatibClient

    return KatibClient(kubeconfig=args.kubeconfig, context=args.context)


def _namespace(args, client: "KatibClient") -> str:
    return args.namespace or client.default_namespace


def _get_experiment(client: "KatibClient", name: str, namespace: str) -> dict:
    """The Experiment; when missing, the error lists the experiments that do exist there."""
    from .client import ClusterError, NotFound

    try:
        return client.get_experiment(name, namespace)
    except NotFound as e:
        if e.kind == "namespace":
            raise
        try:
            known = sorted((x.get("metadata") or {}).get("name", "") for x in client.list_experiments(namespace))
        except ClusterError:
            known = []
        where = f" (experiments there: {', '.join(known)})" if known else " (it has no experiments)"
        raise NotFound(f"experiment {name} not found in namespace {namespace}{where}",
                       "experiment", name, namespace) from None


# -- reading ------------------------------------------------------------------------------------
def _read(args) -> tuple["KatibClient", str, dict, ExperimentView, list]:
    client = _client(args)
    namespace = _namespace(args, client)
    experiment = _get_experiment(client, args.name, namespace)
    view = ExperimentView.of(experiment)
    rows = trial_rows(client.list_trials(args.name, namespace), view)
    return client, namespace, experiment, view, rows


def cmd_status(args) -> int:
    client = _client(args)
    experiment = _get_experiment(client, args.name, _namespace(args, client))
    doc = status_document(experiment)
    if args.output == "json":
        print(lb.to_json(doc))
    else:
        lb.console().print(lb.status_table(doc["status"], doc["metadata"]["name"]))
    return 0


def cmd_trials(args) -> int:
    _, _, _, view, rows = _read(args)
    if args.output == "json":
        print(lb.to_json([lb.trial_dict(t) for t in lb.ranked(rows, view.objective_type)]))
    else:
        lb.console().print(lb.trials_table(rows, view.objective_type, view.metric_names,
                                           title=f"trials of {view.name}"))
    return 0


def cmd_best(args) -> int:
    _, namespace, experiment, view, rows = _read(args)
    best = best_row(experiment, rows)
    if best is None:
        raise _user_error(f"experiment {view.name} has no trial with an objective value yet")
    if args.output == "json":
        print(lb.to_json(lb.trial_dict(best)))
        return 0
    out = lb.console()
    out.print(f"[bold]best trial[/]: {best.name}  ({view.metric_names[0]} = {lb._fmt(best.objective)}, "
              f"{view.objective_type})")
    for k, v in best.assignments.items():
        out.print(f"  {k} = {v}")
    for m, obs in best.observation.items():
        out.print(f"  {m}: latest {obs.get('latest')}  min {obs.get('min')}  max {obs.get('max')}")
    container = f" -c {view.primary_container}" if view.primary_container else ""
    out.print(f"  log: kubectl logs -n {namespace} -l {TRIAL_POD_LABEL}={best.name}{container}"
              "  (needs trialTemplate.retain: true once the trial is done)")
    return 0


# -- submit -------------------------------------------------------------------------------------
def _validated(args) -> list:
    """Load and check every Experiment in the file; any error stops here, before any API call."""
    from kubetune.spec import SpecError, check, experiment_from_dict, load_experiments

    try:
        experiments = load_experiments(args.file)
    except SpecError as e:
        raise _user_error(f"{e}\n{args.file}: not submitted; nothing was sent to the cluster") from None
    except OSError as e:
        raise _user_error(f"{args.file}: {e.strerror or e}") from None
    if args.name:
        if len(experiments) > 1:
            raise _user_error(f"{args.file}: --name needs a file with one Experiment; it holds {len(experiments)}")
        raw = copy.deepcopy(experiments[0].raw)
        raw["metadata"] = {**(raw.get("metadata") or {}), "name": args.name}
        try:
            experiments = [experiment_from_dict(raw, source=args.file)]
        except SpecError as e:
            raise _user_error(f"{e}\n{args.file}: not submitted; nothing was sent to the cluster") from None
    problems = 0
    for exp in experiments:
        errors, warnings = check(exp)
        for pr in errors + warnings:
            label = "error" if pr in errors or args.strict else "warning"
            print(f"{args.file}: {exp.name}: {label}: {pr}", file=sys.stderr)
        problems += len(errors) + (len(warnings) if args.strict else 0)
    if problems:
        raise _user_error(f"{args.file}: not submitted ({problems} problem(s) above); nothing was sent to the cluster")
    if args.watch and len(experiments) > 1:
        raise _user_error(f"{args.file}: --watch follows one Experiment; the file holds {len(experiments)}")
    return experiments


def request_body(exp, namespace: str | None) -> dict:
    """The Experiment as written (what `kubectl apply -f` sends; Katib's webhook does the
    defaulting), with the namespace set and any status dropped."""
    body = copy.deepcopy(exp.raw)
    body.pop("status", None)
    metadata = body.setdefault("metadata", {})
    if namespace:
        metadata["namespace"] = namespace
    return body


def cmd_submit(args) -> int:
    experiments = _validated(args)
    if args.dry_run == "client":  # nothing contacted, not even the kubeconfig's server
        for exp in experiments:
            print("---")
            import yaml  # only for --dry-run output; keeps CLI start-up light
            print(yaml.safe_dump(request_body(exp, args.namespace or exp.metadata.get("namespace")),
                                 sort_keys=False), end="")
        return 0
    client = _client(args)
    err = lb.console(stderr=True)
    created = []
    for exp in experiments:
        namespace = args.namespace or exp.metadata.get("namespace") or client.default_namespace
        if args.namespace and exp.metadata.get("namespace") not in (None, args.namespace):
            err.print(f"note: {exp.name}: metadata.namespace {exp.metadata['namespace']} replaced by -n {namespace}")
        body = request_body(exp, namespace)
        if args.dry_run == "server":
            answer = client.create_experiment(body, namespace, dry_run=True)
            err.print(f"server dry run: the API server and Katib's webhooks accept {namespace}/{exp.name} "
                      f"(nothing stored); as Katib would store it:")
            print("---")
            import yaml  # only for --dry-run output; keeps CLI start-up light
            print(yaml.safe_dump(answer, sort_keys=False), end="")
            continue
        _create(client, body, exp.name, namespace, args, err)
        created.append((exp.name, namespace))
    if args.dry_run:
        return 0
    if args.watch:
        name, namespace = created[0]
        return _follow(client, name, namespace, args)
    for name, namespace in created:
        err.print(f"next: kubetune watch {name} -n {namespace}  |  kubetune status {name} -n {namespace}  |  "
                  f"kubectl get trials -n {namespace} -l {EXPERIMENT_LABEL}={name}")
    return 0


def _create(client: "KatibClient", body: dict, name: str, namespace: str, args, err) -> None:
    from .client import AlreadyExists, NotFound

    try:
        client.create_experiment(body, namespace)
        err.print(f"experiment {namespace}/{name} created")
        return
    except AlreadyExists:
        if args.resume:
            err.print(f"experiment {namespace}/{name} already exists: left as it is ({args.file} was not applied)")
            return
        if not args.replace:
            raise AlreadyExists(
                f"experiment {name} already exists in namespace {namespace}. Use --resume to leave it as it is "
                f"(and --watch to follow it), or --replace to delete it with its trials and create it again from "
                f"{args.file}, or --name to submit it under another name") from None
    err.print(f"experiment {namespace}/{name} already exists: deleting it (with its trials) to replace it")
    try:
        client.delete_experiment(name, namespace)
    except NotFound:
        pass  # deleted meanwhile
    client.wait_experiment_gone(name, namespace)
    client.create_experiment(body, namespace)
    err.print(f"experiment {namespace}/{name} replaced")


# -- watch, delete --------------------------------------------------------------------------------
def cmd_watch(args) -> int:
    client = _client(args)
    _get_experiment(client, args.name, args.namespace)  # a clear "not found" before the live view starts
    return _follow(client, args.name, args.namespace, args)


class LiveBoard:
    """Leaderboard + status, redrawn in place on a terminal; elsewhere one progress line per change."""

    def __init__(self, quiet: bool):
        self.quiet = quiet
        self.out = lb.console()
        self.err = lb.console(stderr=True)
        self.live = None
        self.last_line = ""
        if not quiet and self.out.is_terminal:
            from rich.live import Live

            self.live = Live(console=self.out, auto_refresh=False, transient=True)
            self.live.start()

    def update(self, snap: Snapshot) -> None:
        if self.quiet:
            return
        best = best_row(snap.experiment, snap.rows)
        started = min(parse_time(snap.status.get("startTime")) or time.time(), time.time())  # clock skew: never < 0
        line = lb.progress_line(Counts.of(snap.rows), best, snap.view.metric_names[0], started)
        if self.live is not None:
            from rich.console import Group

            self.live.update(Group(_leaderboard(snap, limit=20), lb.status_table(snap.status, snap.view.name), line),
                             refresh=True)
        elif line.split("]", 1)[-1] != self.last_line.split("]", 1)[-1]:  # ignore the clock
            self.err.print(line)
        self.last_line = line

    def retry(self, error: Exception, delay: float) -> None:
        self.err.print(f"[yellow]warning[/]: {error}; retrying in {delay:.0f}s")

    def stop(self) -> None:
        if self.live is not None:
            self.live.stop()
            self.live = None


def _leaderboard(snap: Snapshot, limit: int | None = None):
    objective = snap.view.metric_names[0]
    return lb.trials_table(snap.rows, snap.view.objective_type, snap.view.metric_names, limit=limit,
                           title=f"leaderboard: {snap.view.name} (objective {objective}, {snap.view.objective_type})")


def _follow(client: "KatibClient", name: str, namespace: str, args) -> int:
    board = LiveBoard(quiet=args.output == "json")
    try:
        snap = watch(client, name, namespace, board.update, interval=args.interval, timeout=args.timeout,
                     on_retry=board.retry)
    except KeyboardInterrupt:
        board.stop()
        print(f"kubetune: stopped watching; experiment {namespace}/{name} keeps running on the cluster "
              f"(kubetune watch {name} -n {namespace} to follow it again, kubetune delete {name} -n {namespace} "
              f"to stop it)", file=sys.stderr)
        return 130
    except WatchTimeout as e:
        board.stop()
        _print_result(e.snapshot, args.output)
        print(f"kubetune: {e}; it keeps running on the cluster (kubetune watch {name} -n {namespace})",
              file=sys.stderr)
        return 1
    finally:
        board.stop()
    _print_result(snap, args.output)
    return 0 if succeeded(snap.experiment) and snap.status["currentOptimalTrial"]["bestTrialName"] else 1


def _print_result(snap: Snapshot, output: str) -> None:
    if output == "json":  # the shape of `kubetune run -o json`, with the namespace instead of a local directory
        print(lb.to_json({"name": snap.view.name, "namespace": snap.view.namespace, "status": snap.status,
                          "trials": [lb.trial_dict(t) for t in snap.rows]}))
        return
    out = lb.console()
    out.print(_leaderboard(snap, limit=20))
    out.print(lb.status_table(snap.status, snap.view.name))
    out.print(f"next: kubetune best {snap.view.name} -n {snap.view.namespace}  |  "
              f"kubetune trials {snap.view.name} -n {snap.view.namespace}")


def cmd_delete(args) -> int:
    from .client import NotFound

    client = _client(args)
    err = lb.console(stderr=True)
    try:
        client.delete_experiment(args.name, args.namespace)
    except NotFound as e:
        if e.kind == "namespace":
            raise
        _get_experiment(client, args.name, args.namespace)  # raises with the list of experiments there
        raise
    if args.wait:
        client.wait_experiment_gone(args.name, args.namespace, timeout=args.timeout)
        err.print(f"experiment {args.namespace}/{args.name} deleted, with its trials")
    else:
        err.print(f"experiment {args.namespace}/{args.name} is being deleted (its trials and their jobs go with it; "
                  f"--wait waits until it is gone)")
    return 0
