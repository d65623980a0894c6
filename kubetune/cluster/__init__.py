"""The cluster backend: Katib Experiments and Trials read and written through the Kubernetes API.

    from kubetune.cluster import KatibClient, ClusterError
    client = KatibClient(kubeconfig=None, context=None)     # kubeconfig, else in-cluster config
    client.create_experiment(body, "team-a")

`client` talks to the API server, `results` turns Experiment/Trial objects into the rows
(kubetune.results.TrialRow) and status the CLI shows, `watch` polls an Experiment until it
completes, `pods` reads why a failed trial failed from its pods (exit code, OOMKilled, log tail). The `kubetune submit|watch|delete` commands are kubetune/cli/cluster.py. Names are
imported lazily: the kubernetes client is loaded only by commands that talk to a cluster.
"""
from __future__ import annotations

_CLIENT_NAMES = ("AdmissionRejected", "AlreadyExists", "ClusterError", "Forbidden", "KatibClient", "KatibNotInstalled",
                 "NoCluster", "NotFound", "connect")

__all__ = list(_CLIENT_NAMES)


def __getattr__(name: str):
    if name in _CLIENT_NAMES:
        from . import client

        return getattr(client, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
