"""How commands reach a cluster: the -n/--kubeconfig/--context options, the Katib client they
describe, and ClusterError turned into a message and an exit status.

The kubernetes client (a third of a second to import) is imported only when a command talks to a
cluster, so that `kubetune validate` and the local commands do not pay for it.
"""
from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Callable

if TYPE_CHECKING:
    from kubetune.cluster.client import KatibClient


def add_connection_options(p: argparse.ArgumentParser, namespace_help: str, namespace_required: bool = False) -> None:
    p.add_argument("-n", "--namespace", required=namespace_required, help=namespace_help)
    p.add_argument("--kubeconfig", help="kubeconfig file (default: $KUBECONFIG, ~/.kube/config, else in-cluster)")
    p.add_argument("--context", help="kubeconfig context (default: the current context)")


def uses_cluster(args) -> bool:
    """Whether a command that reads local state by default was pointed at a cluster."""
    return bool(args.namespace or args.kubeconfig or args.context)


def cluster_command(fn: Callable, *, only_with_cluster_options: bool = False) -> Callable:
    """Run fn; a ClusterError is printed without a traceback and exits with its code.
    only_with_cluster_options: the local path (no -n/--kubeconfig/--context) runs fn as it is,
    without loading the kubernetes client."""
    def run(args) -> int:
        if only_with_cluster_options and not uses_cluster(args):
            return fn(args) or 0
        from kubetune.cluster.client import ClusterError

        try:
            return fn(args) or 0
        except ClusterError as e:
            print(f"kubetune: error: {e}", file=sys.stderr)
            return e.exit_code
    run.__name__ = getattr(fn, "__name__", "run")
    return run


def katib_client(args) -> "KatibClient":
    from kubetune.cluster.client import KatibClient

    return KatibClient(kubeconfig=args.kubeconfig, context=args.context)


def namespace_of(args, client: "KatibClient") -> str:
    return args.namespace or client.default_namespace


def get_experiment(client: "KatibClient", name: str, namespace: str) -> dict:
    """The Experiment; when missing, the error lists the experiments that do exist there."""
    from kubetune.cluster.client import ClusterError, NotFound

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
