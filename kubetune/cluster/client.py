"""A small Katib client: Experiments and Trials through the Kubernetes API (CustomObjectsApi).

Every failure leaves as a ClusterError whose text says what happened and what to do about it:
no cluster reachable or configured, Katib's CRDs absent, RBAC forbidding the call, Katib's
admission webhook rejecting the Experiment (its message verbatim), the object already existing
or missing. Nothing here prints; the CLI does.
"""
from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import urllib3
from kubernetes import client as k8s
from kubernetes import config as k8s_config
from kubernetes.client.exceptions import ApiException
from kubernetes.config.config_exception import ConfigException

from .names import EXPERIMENT_LABEL, EXPERIMENTS, GROUP, SUGGESTIONS, TRIALS, VERSION

RBAC_MANIFEST = "manifests/rbac.yaml"
INSTALL_DOC = "docs/cluster.md"
SERVICE_ACCOUNT_DIR = Path("/var/run/secrets/kubernetes.io/serviceaccount")

# (connect, read) seconds for one API call: an unreachable address fails in seconds, not minutes.
REQUEST_TIMEOUT = (10.0, 60.0)
POINT_KUBECTL = ("check where kubectl points (`kubectl config current-context`; `kubectl cluster-info` must answer; "
                 "switch with `kubectl config use-context NAME`), or pass --kubeconfig FILE / --context NAME (env "
                 "KUBECONFIG); inside a pod kubetune uses the pod's service account")


class ClusterError(Exception):
    """A failure talking to the cluster, worded for the user. exit_code is the CLI's exit status."""

    exit_code = 1


class NoCluster(ClusterError):
    """No configuration found, or the API server cannot be reached."""


class KatibNotInstalled(ClusterError):
    """The API server does not serve kubeflow.org/v1beta1 experiments (Katib's CRDs)."""


class Forbidden(ClusterError):
    """RBAC denied the call (HTTP 403 that is not an admission rejection)."""


class Unauthorized(ClusterError):
    """The API server did not accept the credentials (HTTP 401)."""


class AdmissionRejected(ClusterError):
    """An admission webhook (Katib's validator/defaulter) or the API server refused the object."""


class WebhookUnavailable(ClusterError):
    """The API server could not call Katib's webhook (katib-controller down or not ready)."""


class AlreadyExists(ClusterError):
    """HTTP 409 on create."""


class NotFound(ClusterError):
    """The named object, or the namespace, does not exist."""

    def __init__(self, message: str, kind: str = "", name: str = "", namespace: str = ""):
        super().__init__(message)
        self.kind, self.name, self.namespace = kind, name, namespace


class ApiError(ClusterError):
    """Any other answer the API server gave."""


@dataclass(frozen=True)
class Connection:
    api_client: k8s.ApiClient
    host: str
    source: str  # "kubeconfig FILE (context NAME)" or "in-cluster service account"
    namespace: str  # the context's (or pod's) namespace: the default for commands without -n


def _kubeconfig_paths(kubeconfig: str | None) -> str | None:
    """The kubeconfig path list to load (KUBECONFIG may name several), or None when there is none."""
    if kubeconfig:
        if not Path(kubeconfig).expanduser().is_file():
            raise NoCluster(f"--kubeconfig {kubeconfig}: no such file; {POINT_KUBECTL}")
        return str(Path(kubeconfig).expanduser())
    env = os.environ.get("KUBECONFIG", "")
    if env.strip():
        existing = [p for p in env.split(os.pathsep) if p and Path(p).expanduser().is_file()]
        if not existing:
            raise NoCluster(f"KUBECONFIG={env}: no such file; {POINT_KUBECTL}")
        return os.pathsep.join(str(Path(p).expanduser()) for p in existing)
    default = Path("~/.kube/config").expanduser()
    return str(default) if default.is_file() else None


def connect(kubeconfig: str | None = None, context: str | None = None) -> Connection:
    """Configuration from --kubeconfig, else $KUBECONFIG, else ~/.kube/config, else the pod's
    service account (in-cluster). Nothing is sent to the API server here."""
    cfg = k8s.Configuration()
    paths = _kubeconfig_paths(kubeconfig)
    if paths is not None:
        try:
            k8s_config.load_kube_config(config_file=paths, context=context, client_configuration=cfg,
                                        persist_config=False)
            contexts, current = k8s_config.list_kube_config_contexts(paths)
        except ConfigException as e:
            raise NoCluster(f"kubeconfig {paths}{f' context {context}' if context else ''} is not usable: {e}; "
                            f"{POINT_KUBECTL}") from None
        active = next((c for c in contexts if c.get("name") == context), None) if context else current
        ctx_name = (active or {}).get("name", "")
        namespace = ((active or {}).get("context") or {}).get("namespace") or "default"
        source = f"kubeconfig {paths} (context {ctx_name})"
    elif os.environ.get("KUBERNETES_SERVICE_HOST"):
        if context:
            raise NoCluster(f"--context {context} needs a kubeconfig, and none was found; {POINT_KUBECTL}")
        try:
            k8s_config.load_incluster_config(client_configuration=cfg)
        except ConfigException as e:
            raise NoCluster(f"in-cluster configuration is not usable: {e}; {POINT_KUBECTL}") from None
        ns_file = SERVICE_ACCOUNT_DIR / "namespace"
        namespace = ns_file.read_text().strip() if ns_file.is_file() else "default"
        source = "in-cluster service account"
    else:
        raise NoCluster(f"no cluster configured: no --kubeconfig, no KUBECONFIG, no ~/.kube/config, and not "
                        f"running in a pod; {POINT_KUBECTL}")
    cfg.retries = 0  # fail fast, and no urllib3 "Retrying" log lines on stderr; `watch` retries on its own
    return Connection(k8s.ApiClient(cfg), cfg.host, source, namespace)


def _status_of(e: ApiException) -> dict:
    """The Kubernetes Status object in an error body ({} when the body is not one, e.g. '404 page not found')."""
    try:
        body = json.loads(e.body) if e.body else {}
    except (TypeError, ValueError):
        return {}
    return body if isinstance(body, dict) else {}


def _message_of(e: ApiException) -> str:
    status = _status_of(e)
    if status.get("message"):
        return str(status["message"])
    text = e.body.decode(errors="replace") if isinstance(e.body, bytes) else (e.body or "")
    return text.strip() or f"{e.status} {e.reason}"


def _unreachable_cause(e: Exception) -> str:
    reason = getattr(e, "reason", None) or e
    text = str(reason)
    # text first: urllib3's NewConnectionError (refused, DNS) is a subclass of ConnectTimeoutError
    if "Connection refused" in text:
        return "connection refused"
    if "Name or service not known" in text or "nodename nor servname" in text or "Temporary failure in name" in text:
        return "host name does not resolve"
    if isinstance(reason, urllib3.exceptions.SSLError):
        return f"TLS handshake failed ({text}); the kubeconfig's certificate data does not match this server"
    if isinstance(reason, urllib3.exceptions.ReadTimeoutError):
        return f"no answer within {REQUEST_TIMEOUT[1]:.0f}s"
    if isinstance(reason, urllib3.exceptions.ConnectTimeoutError):
        return "connection timed out"
    return text


class KatibClient:
    """Experiments, Trials and Suggestions of kubeflow.org/v1beta1 in one namespace at a time."""

    def __init__(self, kubeconfig: str | None = None, context: str | None = None,
                 connection: Connection | None = None):
        self.conn = connection or connect(kubeconfig, context)
        self.api = k8s.CustomObjectsApi(self.conn.api_client)

    @property
    def default_namespace(self) -> str:
        return self.conn.namespace

    # -- calls --------------------------------------------------------------------------------
    def _call(self, verb: str, plural: str, namespace: str, fn: Callable, *args, name: str = "", **kwargs) -> Any:
        try:
            return fn(*args, _request_timeout=REQUEST_TIMEOUT, **kwargs)
        except ApiException as e:
            if e.status == 0 or e.status is None:  # the client's own transport failure
                raise self._unreachable(e) from None
            raise self._classify(e, verb, plural, namespace, name) from None
        except (urllib3.exceptions.HTTPError, OSError) as e:
            raise self._unreachable(e) from None

    def _unreachable(self, e: Exception) -> NoCluster:
        return NoCluster(f"cannot reach the Kubernetes API server at {self.conn.host} ({self.conn.source}): "
                         f"{_unreachable_cause(e)}. Is the cluster running? Then {POINT_KUBECTL}")

    def _classify(self, e: ApiException, verb: str, plural: str, namespace: str, name: str) -> ClusterError:
        message = _message_of(e)
        status = _status_of(e)
        what = f"{verb} {plural}.{GROUP}" + (f" {name}" if name else "") + f" in namespace {namespace}"
        if "denied the request" in message or (e.status in (400, 422) and verb == "create"):
            return AdmissionRejected(f"the cluster rejected the Experiment: {message}")
        if "failed calling webhook" in message:
            return WebhookUnavailable(
                f"{what}: the API server could not call Katib's admission webhook; is katib-controller running "
                f"(`kubectl get pods -n kubeflow -l katib.kubeflow.org/component=controller`)? It said: {message}")
        if e.status == 401:
            return Unauthorized(f"{what}: the API server at {self.conn.host} did not accept the credentials of "
                                f"{self.conn.source} (401 Unauthorized: {message}); log in again or refresh the token")
        if e.status == 403:
            return Forbidden(
                f"RBAC forbids this: cannot {verb} {plural}.{GROUP} in namespace {namespace}. The API server said: "
                f"{message}. The Role in {RBAC_MANIFEST} grants what kubetune needs; apply it in {namespace} and bind "
                f"it to your user or service account (check with `kubectl auth can-i {verb} {plural}.{GROUP} -n "
                f"{namespace}`)")
        if e.status == 404:
            return self._not_found(status, message, verb, plural, namespace, name)
        if e.status == 409:
            return AlreadyExists(f"{plural[:-1]} {name} already exists in namespace {namespace}")
        if e.status in (400, 422):
            return AdmissionRejected(f"{what}: the API server refused the request: {message}")
        return ApiError(f"{what}: HTTP {e.status} {e.reason}: {message}")

    def _not_found(self, status: dict, message: str, verb: str, plural: str, namespace: str, name: str) -> ClusterError:
        details = status.get("details") or {}
        if details.get("kind") == "namespaces":
            return NotFound(f"namespace {namespace} does not exist (create it with `kubectl create namespace "
                            f"{namespace}`, or pick another with -n)", "namespace", namespace, namespace)
        if details.get("name"):  # a Status naming the object: the resource type exists, the object does not
            return NotFound(f"{plural[:-1]} {details['name']} not found in namespace {namespace}",
                            plural[:-1], details["name"], namespace)
        if self._katib_missing(plural):
            return KatibNotInstalled(
                f"Katib is not installed in this cluster: the API server at {self.conn.host} serves no "
                f"{plural}.{GROUP}/{VERSION} (Katib's CRDs are missing). Install Katib first; see {INSTALL_DOC}")
        if name:
            return NotFound(f"{plural[:-1]} {name} not found in namespace {namespace}", plural[:-1], name, namespace)
        return ApiError(f"{verb} {plural}.{GROUP} in namespace {namespace}: 404 {message}")

    def _katib_missing(self, plural: str) -> bool:
        """Discovery: does the API server serve kubeflow.org/v1beta1 <plural>? (A 404 on a list
        or create says either 'no such namespace', 'no such object' or 'no such resource type'.)"""
        try:
            resources = self.api.get_api_resources(GROUP, VERSION, _request_timeout=REQUEST_TIMEOUT)
        except ApiException as e:
            return e.status == 404
        except (urllib3.exceptions.HTTPError, OSError) as e:
            raise self._unreachable(e) from None
        return plural not in {r.name for r in (resources.resources or [])}

    # -- experiments --------------------------------------------------------------------------
    def create_experiment(self, body: dict, namespace: str, dry_run: bool = False) -> dict:
        """POST the Experiment as given. dry_run=True asks the server (admission webhooks run, nothing is stored)."""
        name = (body.get("metadata") or {}).get("name", "")
        kwargs = {"dry_run": "All"} if dry_run else {}
        return self._call("create", EXPERIMENTS, namespace, self.api.create_namespaced_custom_object,
                          GROUP, VERSION, namespace, EXPERIMENTS, body, name=name, **kwargs)

    def get_experiment(self, name: str, namespace: str) -> dict:
        return self._call("get", EXPERIMENTS, namespace, self.api.get_namespaced_custom_object,
                          GROUP, VERSION, namespace, EXPERIMENTS, name, name=name)

    def list_experiments(self, namespace: str) -> list[dict]:
        return self._list(EXPERIMENTS, namespace)

    def delete_experiment(self, name: str, namespace: str) -> dict:
        """Foreground deletion: the Experiment disappears only after its Trials (and their jobs) are
        gone, so a new Experiment of the same name never sees the old Trials by label."""
        return self._call("delete", EXPERIMENTS, namespace, self.api.delete_namespaced_custom_object,
                          GROUP, VERSION, namespace, EXPERIMENTS, name, name=name,
                          propagation_policy="Foreground")

    def wait_experiment_gone(self, name: str, namespace: str, timeout: float = 300.0, max_interval: float = 2.0,
                             sleep: Callable[[float], None] = time.sleep) -> None:
        """Poll until a GET answers 404: quickly at first (most deletions take a moment), then
        every max_interval seconds."""
        deadline = time.monotonic() + timeout
        interval = 0.1
        while True:
            try:
                self.get_experiment(name, namespace)
            except NotFound:
                return
            if time.monotonic() >= deadline:
                raise ClusterError(f"experiment {name} in namespace {namespace} is still being deleted after "
                                   f"{timeout:.0f}s (finalizers or trials still running?); see `kubectl get "
                                   f"experiment {name} -n {namespace} -o yaml`")
            sleep(interval)
            interval = min(interval * 2, max_interval)

    # -- trials, suggestions ------------------------------------------------------------------
    def list_trials(self, experiment: str, namespace: str) -> list[dict]:
        return self._list(TRIALS, namespace, label_selector=f"{EXPERIMENT_LABEL}={experiment}")

    def get_trial(self, name: str, namespace: str) -> dict:
        return self._call("get", TRIALS, namespace, self.api.get_namespaced_custom_object,
                          GROUP, VERSION, namespace, TRIALS, name, name=name)

    def patch_trial_status(self, name: str, namespace: str, status: dict) -> dict:
        """Merge-patch the Trial's status subresource (what Katib's early-stopping service does)."""
        return self._call("patch", TRIALS, namespace, self.api.patch_namespaced_custom_object_status,
                          GROUP, VERSION, namespace, TRIALS, name, {"status": status}, name=name)

    def get_suggestion(self, name: str, namespace: str) -> dict:
        return self._call("get", SUGGESTIONS, namespace, self.api.get_namespaced_custom_object,
                          GROUP, VERSION, namespace, SUGGESTIONS, name, name=name)

    def _list(self, plural: str, namespace: str, **kwargs) -> list[dict]:
        items: list[dict] = []
        token = None
        while True:
            page = self._call("list", plural, namespace, self.api.list_namespaced_custom_object,
                              GROUP, VERSION, namespace, plural, limit=500,
                              **({"_continue": token} if token else {}), **kwargs)
            items.extend(page.get("items") or [])
            token = (page.get("metadata") or {}).get("continue")
            if not token:
                return items
