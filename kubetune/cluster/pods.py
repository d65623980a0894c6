"""Why a Trial failed on the cluster, from its pods: Katib's condition message ("Trial has failed.
Job message: Job has reached the specified backoff limit") says nothing a user can act on, so the
views read what the local engine keeps for a failed trial - the exit code and the log's tail.

For the newest MAX_TRIALS Failed / MetricsUnavailable trials (none other):
  1. their pods, in one list call: Katib's pod webhook labels every pod of a trial
     katib.kubeflow.org/trial=<trial>; pods it did not label are found by their job's label (the
     job is named after the trial): job-name (batch Job), training.kubeflow.org/job-name (Kubeflow
     training jobs) - one more list call each, only for trials still without a pod;
  2. the primary container's terminated state in the pod status: exit code, reason (OOMKilled is
     said plainly, with the container's memory limit), termination message;
  3. the container's log tail (GET pods/NAME/log?container=C&tailLines=N&limitBytes=B). With
     Katib's StdOut metrics collector the primary container's output goes to a file and the
     metrics-logger-and-collector sidecar prints it (klog lines), so an empty primary log is read
     there instead.
The message is written in the engine's shape (kubetune.engine.failures.log_message), so one
picker (failure_of, reason, FailureTally) reads local and cluster trials alike. A 403 (RBAC) or a
pod already deleted leaves Katib's message, with one note saying what is missing. Nothing here
raises: a view never fails because a log could not be read.
"""
from __future__ import annotations

import json
import re
from dataclasses import replace
from typing import TYPE_CHECKING

import urllib3
from kubernetes import client as k8s
from kubernetes.client.exceptions import ApiException

from kubetune.engine.failures import FAILED_STATES, LOG_TAIL_LINES, TAIL_BYTES, log_message
from kubetune.results import TrialRow

from .client import RBAC_MANIFEST, REQUEST_TIMEOUT, _message_of
from .names import TRIAL_POD_LABEL

if TYPE_CHECKING:
    from .client import KatibClient

MAX_TRIALS = 20  # failed trials explained per view (the newest); each costs one or two log reads
COLLECTOR = "metrics-logger-and-collector"  # Katib's sidecar (pkg/metricscollector/v1beta1/common)
JOB_LABELS = ("job-name", "training.kubeflow.org/job-name")
DOC = "docs/cluster-cli.md"  # "Why trials failed"
# klog's header: Lmmdd hh:mm:ss.uuuuuu threadid file:line]
_KLOG = re.compile(r"^(?P<level>[IWEF])\d{4} \d\d:\d\d:\d\d\.\d+\s+\d+ [^\s\]]+:\d+\] ?(?P<text>.*)$")


def collector_output(log: str) -> str:
    """The trial's own lines in the collector sidecar's log: its Info lines without klog's header,
    without the collector's own "Trial Name:" line and its warnings/errors (e.g. "Failed to wait
    for worker container", which would otherwise read as the reason)."""
    kept = []
    for line in log.splitlines():
        m = _KLOG.match(line)
        if m is None:
            kept.append(line)
        elif m["level"] == "I" and not m["text"].startswith("Trial Name: "):
            kept.append(m["text"])
    return "\n".join(kept)


class PodReader:
    """Explains failed trials of one Experiment; remembers each trial's answer (a watch reads
    every failed trial once) and says each missing permission once (`notes`)."""

    def __init__(self, client: "KatibClient", namespace: str, primary_container: str = ""):
        self.core = k8s.CoreV1Api(client.conn.api_client)
        self.namespace, self.primary = namespace, primary_container
        self.notes: list[str] = []
        self._known: dict[str, tuple[str, int | None] | None] = {}  # trial -> (message, exit code) or None
        self._no_list = self._no_logs = False
        self._said: set[str] = set()

    # -- the view's entry point -------------------------------------------------------------------
    def explain(self, rows: list[TrialRow], limit: int = MAX_TRIALS) -> list[TrialRow]:
        """rows, the failed ones (the newest `limit` not explained before) with the message and exit
        code their pods give; the others as they are."""
        todo = [r for r in rows if r.state in FAILED_STATES and r.name not in self._known]
        todo = sorted(todo, key=lambda r: (r.created, r.seq), reverse=True)[:limit]
        if todo:
            pods = self._pods([r.name for r in todo])
            for row in todo:
                self._known[row.name] = self._explain(row, pods.get(row.name, []))
        out = []
        for row in rows:
            known = self._known.get(row.name) if row.state in FAILED_STATES else None
            out.append(row if known is None else replace(row, message=known[0], exit_code=known[1]))
        return out

    # -- reading ------------------------------------------------------------------------------------
    def _pods(self, trials: list[str]) -> dict[str, list[dict]]:
        found: dict[str, list[dict]] = {}
        for label in (TRIAL_POD_LABEL, *JOB_LABELS):
            missing = [t for t in trials if t not in found]
            if not missing or self._no_list:
                break
            for pod in self._list(f"{label} in ({','.join(missing)})"):
                trial = ((pod.get("metadata") or {}).get("labels") or {}).get(label)
                if trial in missing:
                    found.setdefault(trial, []).append(pod)
        return found

    def _list(self, selector: str) -> list[dict]:
        answer = self._get("list", "pods", lambda: self.core.list_namespaced_pod(
            self.namespace, label_selector=selector, _preload_content=False, _request_timeout=REQUEST_TIMEOUT))
        if answer is None:
            return []
        try:
            return json.loads(answer).get("items") or []
        except (ValueError, AttributeError):
            return []

    def _log(self, pod: str, container: str) -> str | None:
        if self._no_logs:
            return None
        return self._get("get", "pods/log", lambda: self.core.read_namespaced_pod_log(
            pod, self.namespace, container=container, tail_lines=LOG_TAIL_LINES, limit_bytes=TAIL_BYTES,
            _preload_content=False, _request_timeout=REQUEST_TIMEOUT), pod=pod)

    def _get(self, verb: str, resource: str, call, pod: str = "") -> str | None:
        """The answer's text, or None (a note says why, once per kind of failure)."""
        try:
            return call().data.decode("utf-8", errors="replace")
        except ApiException as e:
            if e.status == 403:
                if resource == "pods":
                    self._no_list = True
                else:
                    self._no_logs = True
                self._note(f"forbidden {resource}",
                           f"RBAC forbids `{verb} {resource}` in namespace {self.namespace}, so failed trials show "
                           f"Katib's message instead of their log (check with `kubectl auth can-i {verb} {resource} "
                           f"-n {self.namespace}`; the Role in {RBAC_MANIFEST} grants it, see {DOC})")
            elif e.status == 404 and pod:
                self._note("gone", f"pod {pod} no longer exists (deleted with its job: trialTemplate.retain: "
                                   f"false), so its trial shows Katib's message")
            else:
                self._note(f"http {e.status}", f"could not read {resource} in namespace {self.namespace}: "
                                                f"HTTP {e.status} {_message_of(e)}")
        except (urllib3.exceptions.HTTPError, OSError) as e:
            self._note("unreachable", f"could not read {resource} in namespace {self.namespace}: {e}")
        return None

    def _note(self, key: str, text: str) -> None:
        if key not in self._said:
            self._said.add(key)
            self.notes.append(text)

    # -- the message --------------------------------------------------------------------------------
    def _explain(self, row: TrialRow, pods: list[dict]) -> tuple[str, int | None] | None:
        if not pods:
            if not self._no_list:
                self._note("no pods", "the pods of some failed trials are gone (deleted with their job unless "
                                      "trialTemplate.retain is true), so they show Katib's message")
            return None
        pod, container, status = _failed_container(pods, self.primary)
        name = (pod.get("metadata") or {}).get("name", "")
        state = status.get("state") or {}
        ended = _ended(status)
        code = ended.get("exitCode")
        code = code if isinstance(code, int) else None
        if ended.get("reason") == "OOMKilled":
            limit = _memory_limit(pod, container)
            where = f"memory limit {limit}" if limit else "no memory limit set: the node ran out"
            return (f"OOMKilled: container {container} ran out of memory ({where})"
                    + (f", exit code {code}" if code is not None else ""), code)
        waiting = state.get("waiting") or {}
        evicted = pod.get("status") or {}
        if code is None:  # never ran (ErrImagePull, CreateContainerConfigError...) or evicted
            if evicted.get("reason"):
                return f"pod {evicted['reason']}: {evicted.get('message') or row.message}", None
            if waiting.get("reason"):
                return f"{waiting['reason']}: {waiting.get('message') or row.message}", None
            return None
        regular = {c.get("name") for c in (pod.get("spec") or {}).get("containers") or []}
        headline = ("" if container in regular else f"init container {container}: ") + f"exit code {code}"
        if code == 0:  # MetricsUnavailable: it ran to the end and reported nothing Katib could read
            headline = f"{row.message or 'no metrics'} ({headline})"
        if ended.get("reason") not in (None, "", "Error", "Completed"):
            headline += f" ({ended['reason']})"
        tail, source = self._tail(name, container, COLLECTOR in regular and container in regular)
        if not tail.strip() and ended.get("message"):  # terminationMessagePath / FallbackToLogsOnError
            tail, source = ended["message"], f"pod {name} container {container} (termination message)"
        if not tail.strip():
            return (f"{headline}: {row.message}" if row.message else headline), code
        return log_message(headline, source, "\n".join(tail.splitlines()[-LOG_TAIL_LINES:])), code

    def _tail(self, name: str, container: str, collected: bool) -> tuple[str, str]:
        """(log tail, where it was read); collected: Katib's collector sidecar may hold the output."""
        log = self._log(name, container) or ""
        if not log.strip() and collected and container != COLLECTOR:
            return collector_output(self._log(name, COLLECTOR) or ""), f"pod {name} container {COLLECTOR}"
        return log, f"pod {name} container {container}"


def _ended(status: dict) -> dict:
    """A container status's terminated state (the current one, else the last)."""
    return (status.get("state") or {}).get("terminated") or (status.get("lastState") or {}).get("terminated") or {}


def _container_of(pod: dict, primary: str) -> tuple[str, dict]:
    """(name, status) of the container that says why the pod failed: an init container that failed
    (e.g. fetching the data set), else the primary container (else the first that is not Katib's
    collector)."""
    status = pod.get("status") or {}
    for s in status.get("initContainerStatuses") or []:
        if _ended(s).get("exitCode") not in (0, None):
            return s.get("name", ""), s
    names = [c.get("name", "") for c in (pod.get("spec") or {}).get("containers") or []]
    name = primary if primary in names else next((n for n in names if n != COLLECTOR), primary)
    return name, next((s for s in status.get("containerStatuses") or [] if s.get("name") == name), {})


def _failed_container(pods: list[dict], primary: str) -> tuple[dict, str, dict]:
    """(pod, container name, its status) of the trial's pod whose container failed (the newest
    such pod, e.g. of a PyTorchJob's replicas; else the newest pod)."""
    def key(pod: dict):
        failed = _ended(_container_of(pod, primary)[1]).get("exitCode") not in (0, None)
        return failed, (pod.get("metadata") or {}).get("creationTimestamp") or ""

    pod = max(pods, key=key)
    return (pod, *_container_of(pod, primary))


def _memory_limit(pod: dict, container: str) -> str:
    spec = pod.get("spec") or {}
    for c in (spec.get("initContainers") or []) + (spec.get("containers") or []):
        if c.get("name") == container:
            return str(((c.get("resources") or {}).get("limits") or {}).get("memory") or "")
    return ""
