"""SetTrialStatus: mark a Trial EarlyStopped, as Katib's medianstop service does.

Katib's metrics-collector sidecar calls the early-stopping service's SetTrialStatus when a
trial's rule is met; the service appends the condition below to the Trial's status through the
Kubernetes API (Katib gives the suggestion pod a ServiceAccount allowed to do so whenever
spec.earlyStopping is set, composer.DesiredRBAC). The namespace is the pod's own (Trials live in
the Suggestion's namespace), else the kubeconfig context's.
"""
from __future__ import annotations

import datetime as dt
import threading

import grpc

from kubetune.cluster.client import ClusterError, KatibClient, NotFound
from kubetune.serve.errors import RequestError

EARLY_STOPPED = "EarlyStopped"


def early_stopped_condition(now: dt.datetime | None = None) -> dict:
    stamp = (now or dt.datetime.now(dt.timezone.utc)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {"type": EARLY_STOPPED, "status": "True", "reason": "TrialEarlyStopped",
            "message": "Trial is early stopped", "lastUpdateTime": stamp, "lastTransitionTime": stamp}


class TrialStatusWriter:
    """Writes Trial conditions; connects on first use (`kubeconfig`/`namespace`: for runs outside a pod)."""

    def __init__(self, namespace: str | None = None, kubeconfig: str | None = None) -> None:
        self._namespace, self._kubeconfig = namespace, kubeconfig
        self._client: KatibClient | None = None
        self._lock = threading.Lock()

    def _connect(self) -> KatibClient:
        with self._lock:
            if self._client is None:
                self._client = KatibClient(self._kubeconfig)
            return self._client

    def mark_early_stopped(self, trial: str) -> None:
        try:
            client = self._connect()
            namespace = self._namespace or client.default_namespace
            status = dict(client.get_trial(trial, namespace).get("status") or {})
            conditions = list(status.get("conditions") or [])
            if any(c.get("type") == EARLY_STOPPED and c.get("status") == "True" for c in conditions):
                return  # already stopped: the sidecar may call twice
            client.patch_trial_status(trial, namespace, {"conditions": conditions + [early_stopped_condition()]})
        except NotFound as e:
            raise RequestError(str(e), grpc.StatusCode.NOT_FOUND) from None
        except ClusterError as e:
            raise RequestError(str(e), grpc.StatusCode.FAILED_PRECONDITION) from None
