"""Katib-shaped objects for the fake API server: what Katib's controllers would store
(katib-semantics 7.1, 7.2, 7.6), written out as data so a test reads like the cluster it models."""
from __future__ import annotations

import copy
from pathlib import Path

import yaml

HERE = Path(__file__).parent
NS = "team-a"
LABEL = "katib.kubeflow.org/experiment"


def experiment_doc(name: str = "tiny", namespace: str | None = NS, max_trials: int = 2) -> dict:
    """A valid Experiment whose trials run trials/tiny_trial.py (locally) - the same document
    is submitted to the fake cluster and run by the local engine."""
    meta = {"name": name}
    if namespace:
        meta["namespace"] = namespace
    return {
        "apiVersion": "kubeflow.org/v1beta1", "kind": "Experiment", "metadata": meta,
        "spec": {
            "objective": {"type": "maximize", "objectiveMetricName": "accuracy", "additionalMetricNames": ["loss"],
                          "metricStrategies": [{"name": "loss", "value": "min"}]},
            "algorithm": {"algorithmName": "random", "algorithmSettings": [{"name": "random_state", "value": "3"}]},
            "parallelTrialCount": 2, "maxTrialCount": max_trials, "maxFailedTrialCount": 1,
            "parameters": [{"name": "x", "parameterType": "double", "feasibleSpace": {"min": "0.0", "max": "1.0"}}],
            "trialTemplate": {
                "primaryContainerName": "training", "retain": True,
                "trialParameters": [{"name": "x", "reference": "x", "description": "the x"}],
                "trialSpec": {"apiVersion": "batch/v1", "kind": "Job", "spec": {"template": {"spec": {
                    "restartPolicy": "Never",
                    "containers": [{"name": "training", "image": "python:3.11-slim",
                                    "command": ["python", str(HERE / "trials" / "tiny_trial.py"),
                                                "--x", "${trialParameters.x}"]}]}}}},
            },
        },
    }


def write(path: Path, doc: dict) -> Path:
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def condition(type_: str, reason: str, message: str, status: str = "True", at: str = "2026-11-22T10:00:00Z") -> dict:
    return {"type": type_, "status": status, "reason": reason, "message": message,
            "lastUpdateTime": at, "lastTransitionTime": at}


def katib_defaulted(doc: dict) -> dict:
    """What Katib's mutating webhook adds that the readers look at (metricStrategies)."""
    out = copy.deepcopy(doc)
    out["spec"]["objective"]["metricStrategies"] = [{"name": "loss", "value": "min"},
                                                    {"name": "accuracy", "value": "max"}]
    return out


def trial(experiment: str, name: str, x: str, state: str, accuracy: str | None = None, loss: str | None = None,
          created: str = "2026-11-22T10:00:01Z", namespace: str = NS) -> dict:
    """A Trial as Katib's trial controller leaves it in `state`."""
    conds = [condition("Created", "TrialCreated", "Trial is created")]
    status: dict = {"startTime": created, "conditions": conds}
    if state == "Running":
        conds.append(condition("Running", "TrialRunning", "Trial is running"))
    elif state in ("Succeeded", "Failed", "MetricsUnavailable", "EarlyStopped"):
        conds.append(condition("Running", "TrialRunning", "Trial is running", status="False"))
        reason, message = {
            "Succeeded": ("TrialSucceeded. Job reason: Completed", "Trial has succeeded. Job message: done"),
            "Failed": ("TrialFailed. Job reason: BackoffLimitExceeded", "Trial has failed. Job message: "
                                                                       "Job has reached the specified backoff limit"),
            "MetricsUnavailable": ("MetricsUnavailable", "Metrics are not available"),
            "EarlyStopped": ("TrialEarlyStopped", "Trial is early stopped"),
        }[state]
        conds.append(condition(state, reason, message))
        status["completionTime"] = "2026-11-22T10:01:00Z"
    if accuracy is not None:
        status["observation"] = {"metrics": [
            {"name": "accuracy", "min": accuracy, "max": accuracy, "latest": accuracy},
            {"name": "loss", **{k: loss or "unavailable" for k in ("min", "max", "latest")}},
        ]}
    return {
        "apiVersion": "kubeflow.org/v1beta1", "kind": "Trial",
        "metadata": {"name": name, "namespace": namespace, "creationTimestamp": created,
                     "labels": {LABEL: experiment}},
        "spec": {"parameterAssignments": [{"name": "x", "value": x}],
                 "objective": {"type": "maximize", "objectiveMetricName": "accuracy",
                               "additionalMetricNames": ["loss"],
                               "metricStrategies": [{"name": "loss", "value": "min"},
                                                    {"name": "accuracy", "value": "max"}]}},
        "status": status,
    }


def running_status(trials: list[str]) -> dict:
    return {"startTime": "2026-11-22T10:00:00Z",
            "conditions": [condition("Created", "ExperimentCreated", "Experiment is created"),
                           condition("Running", "ExperimentRunning", "Experiment is running")],
            "currentOptimalTrial": {"observation": {}},  # Katib's zero value before any result
            "trials": len(trials), "trialsRunning": len(trials), "runningTrialList": trials}


def succeeded_status(best: str, x: str, accuracy: str, loss: str, succeeded: list[str]) -> dict:
    return {"startTime": "2026-11-22T10:00:00Z", "completionTime": "2026-11-22T10:02:00Z",
            "conditions": [condition("Created", "ExperimentCreated", "Experiment is created"),
                           condition("Running", "ExperimentRunning", "Experiment is running", status="False"),
                           condition("Succeeded", "ExperimentMaxTrialsReached", "Experiment has succeeded because "
                                                                                "max trial count has reached")],
            "currentOptimalTrial": {"bestTrialName": best, "parameterAssignments": [{"name": "x", "value": x}],
                                    "observation": {"metrics": [
                                        {"name": "accuracy", "min": accuracy, "max": accuracy, "latest": accuracy},
                                        {"name": "loss", "min": loss, "max": loss, "latest": loss}]}},
            "trials": len(succeeded), "trialsSucceeded": len(succeeded), "succeededTrialList": succeeded}


def trial_pod(trial_name: str, exit_code: int | None, reason: str = "Error", *, pod: str | None = None,
              memory_limit: str | None = None, collector: bool = False, message: str | None = None,
              labels: dict | None = None, namespace: str = NS, container: str = "training") -> dict:
    """A trial's pod as the kubelet leaves it: the primary container terminated with exit_code
    (None: still waiting, `reason` then says why). Katib's pod webhook labels it with the trial
    (and the experiment); collector: the StdOut metrics collector sidecar it injects."""
    ended = {"exitCode": exit_code, "reason": reason, "startedAt": "2026-11-22T10:00:05Z",
             "finishedAt": "2026-11-22T10:00:50Z", **({"message": message} if message else {})}
    state = {"terminated": ended} if exit_code is not None else {"waiting": {"reason": reason, "message": message}}
    containers = [{"name": container, "image": "python:3.11-slim",
                   "resources": {"limits": {"memory": memory_limit}} if memory_limit else {}}]
    statuses = [{"name": container, "state": state, "ready": False, "restartCount": 0}]
    if collector:
        containers.append({"name": "metrics-logger-and-collector", "image": "kubeflowkatib/file-metrics-collector"})
        statuses.append({"name": "metrics-logger-and-collector", "ready": False, "restartCount": 0,
                         "state": {"terminated": {"exitCode": 255, "reason": "Error"}}})
    experiment = trial_name.rsplit("-", 1)[0]
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": pod or f"{trial_name}-x7k2p", "namespace": namespace,
                         "creationTimestamp": "2026-11-22T10:00:03Z",
                         "labels": labels if labels is not None else {
                             LABEL: experiment, "katib.kubeflow.org/trial": trial_name, "job-name": trial_name,
                             "batch.kubernetes.io/job-name": trial_name}},
            "spec": {"containers": containers, "restartPolicy": "Never"},
            "status": {"phase": "Failed", "containerStatuses": statuses}}


def failed_status(failed: list[str], succeeded: list[str] = ()) -> dict:
    """An Experiment Katib stopped after maxFailedTrialCount."""
    return {"startTime": "2026-11-22T10:00:00Z", "completionTime": "2026-11-22T10:02:00Z",
            "trials": len(failed) + len(succeeded), "trialsFailed": len(failed), "failedTrialList": list(failed),
            "trialsSucceeded": len(succeeded), "succeededTrialList": list(succeeded),
            "currentOptimalTrial": {"observation": {}},
            "conditions": [condition("Created", "ExperimentCreated", "Experiment is created"),
                           condition("Failed", "ExperimentFailed", "Experiment has failed because max failed "
                                                                   "count has reached")]}
