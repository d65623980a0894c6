"""`kubetune submit|watch|delete`: Experiments on a cluster with Katib (kubetune.cluster talks to
the API server; status/trials/best -n read them, see status.py).

Exit status: 0 done, 1 the cluster refused or the experiment failed, 2 bad input (nothing was
sent), 130 interrupted (the experiment keeps running).
"""
from __future__ import annotations

import argparse
import copy
from typing import TYPE_CHECKING

from kubetune.cluster.names import EXPERIMENT_LABEL
from kubetune.cluster.watch import DEFAULT_INTERVAL, MAX_INTERVAL, MIN_INTERVAL

from .common import UserError, add_output_format, add_quiet
from .connection import add_connection_options, cluster_command, get_experiment, katib_client
from .load import read_experiments, report_check
from .tables import console

if TYPE_CHECKING:
    from kubetune.cluster.client import KatibClient

NOT_SENT = "nothing was sent to the cluster"


def add_parser(sub: argparse._SubParsersAction) -> None:
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
    s.set_defaults(func=cluster_command(cmd_submit))

    w = sub.add_parser("watch", help="live leaderboard of an Experiment on the cluster until it completes")
    w.add_argument("name")
    add_connection_options(w, "namespace of the Experiment", namespace_required=True)
    _watch_options(w)
    w.set_defaults(func=cluster_command(cmd_watch))

    d = sub.add_parser("delete", help="delete an Experiment on the cluster (its trials and their jobs go with it)")
    d.add_argument("name")
    add_connection_options(d, "namespace of the Experiment", namespace_required=True)
    d.add_argument("--wait", action="store_true", help="wait until it is gone")
    d.add_argument("--timeout", type=float, default=300.0, help="seconds to wait with --wait (default 300)")
    d.set_defaults(func=cluster_command(cmd_delete))


def _watch_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--interval", type=float, default=DEFAULT_INTERVAL,
                   help=f"seconds between polls (default {DEFAULT_INTERVAL:g}; kept within "
                        f"{MIN_INTERVAL:g}..{MAX_INTERVAL:g})")
    p.add_argument("--timeout", type=float,
                   help="stop watching after this many seconds (exit 1; the experiment keeps running)")
    add_output_format(p)
    add_quiet(p)


# -- submit -------------------------------------------------------------------------------------
def _validated(args) -> list:
    """Load and check every Experiment in the file; any error stops here, before any API call."""
    from kubetune.experiment import SpecError

    try:
        experiments = read_experiments(args.file, name=args.name, search_spaces=False)
    except SpecError as e:
        raise UserError(f"{e}\n{args.file}: not submitted; {NOT_SENT}") from None
    problems = sum(report_check(args.file, exp, args.strict)[0] for exp in experiments)
    if problems:
        raise UserError(f"{args.file}: not submitted ({problems} problem(s) above); {NOT_SENT}")
    if args.watch and len(experiments) > 1:
        raise UserError(f"{args.file}: --watch follows one Experiment; the file holds {len(experiments)}")
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


def _print_document(document: dict) -> None:
    from kubetune.experiment.yaml_writer import dump_experiment  # PyYAML: only for --dry-run output

    print("---")
    print(dump_experiment(document), end="")


def cmd_submit(args) -> int:
    experiments = _validated(args)
    if args.dry_run == "client":  # nothing contacted, not even the kubeconfig's server
        for exp in experiments:
            _print_document(request_body(exp, args.namespace or exp.metadata.get("namespace")))
        return 0
    client = katib_client(args)
    err = console(stderr=True)
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
            _print_document(answer)
            continue
        _create(client, body, exp.name, namespace, args, err)
        created.append((exp.name, namespace))
    if args.dry_run:
        return 0
    if args.watch:
        from .live import follow

        name, namespace = created[0]
        return follow(client, name, namespace, args)
    for name, namespace in created:
        err.print(f"next: kubetune watch {name} -n {namespace}  |  kubetune status {name} -n {namespace}  |  "
                  f"kubectl get trials -n {namespace} -l {EXPERIMENT_LABEL}={name}")
    return 0


def _create(client: "KatibClient", body: dict, name: str, namespace: str, args, err) -> None:
    from kubetune.cluster.client import AlreadyExists, NotFound

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
    from .live import follow

    client = katib_client(args)
    get_experiment(client, args.name, args.namespace)  # a clear "not found" before the live view starts
    return follow(client, args.name, args.namespace, args)


def cmd_delete(args) -> int:
    from kubetune.cluster.client import NotFound

    client = katib_client(args)
    err = console(stderr=True)
    try:
        client.delete_experiment(args.name, args.namespace)
    except NotFound as e:
        if e.kind == "namespace":
            raise
        get_experiment(client, args.name, args.namespace)  # raises with the list of experiments there
        raise
    if args.wait:
        client.wait_experiment_gone(args.name, args.namespace, timeout=args.timeout)
        err.print(f"experiment {args.namespace}/{args.name} deleted, with its trials")
    else:
        err.print(f"experiment {args.namespace}/{args.name} is being deleted (its trials and their jobs go with it; "
                  f"--wait waits until it is gone)")
    return 0
