"""Experiment status in Katib's shape (katib-semantics 7.1-7.4), computed from the stored trials."""
from __future__ import annotations

import datetime as dt

from kubetune.results import TrialRow, optimal_trial

# Katib's bucket order: each trial is counted once, first match wins (7.2).
_BUCKETS = [
    ("Killed", "trialsKilled", "killedTrialList"),
    ("Failed", "trialsFailed", "failedTrialList"),
    ("Succeeded", "trialsSucceeded", "succeededTrialList"),
    ("EarlyStopped", "trialsEarlyStopped", "earlyStoppedTrialList"),
    ("Running", "trialsRunning", "runningTrialList"),
    ("MetricsUnavailable", "trialMetricsUnavailable", "metricsUnavailableTrialList"),
    ("Created", "trialsPending", "pendingTrialList"),
]
_STATES = frozenset(s for s, _, _ in _BUCKETS)


def rfc3339(ts: float | None) -> str | None:
    if ts is None:
        return None
    return dt.datetime.fromtimestamp(ts, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def experiment_status(experiment: dict, trials: list[TrialRow], objective_type: str,
                      best: TrialRow | None = None) -> dict:
    """The `status` block of a Katib Experiment, for `kubetune status -o json`."""
    status: dict = {
        "startTime": rfc3339(experiment["created"]),
        "conditions": experiment["conditions"],
        "currentOptimalTrial": {"bestTrialName": "", "parameterAssignments": [], "observation": {"metrics": []}},
        "trials": len(trials),
    }
    if experiment.get("completed"):
        status["completionTime"] = rfc3339(experiment["completed"])
    if best is None:  # callers that already know it (kubetune status) skip the scan
        best = optimal_trial(trials, objective_type)
    if best is not None:
        status["currentOptimalTrial"] = {
            "bestTrialName": best.name,
            "parameterAssignments": [{"name": k, "value": v} for k, v in best.assignments.items()],
            "observation": {"metrics": [{"name": k, **v} for k, v in best.observation.items()]},
        }
    names: dict[str, list[str]] = {s: [] for s in _STATES}
    for t in trials:
        names[t.state if t.state in _STATES else "Created"].append(t.name)
    for state, count_key, list_key in _BUCKETS:
        if names[state]:  # Katib omits zero counts and empty lists
            status[count_key] = len(names[state])
            status[list_key] = names[state]
    return status


def condition(type_: str, reason: str, message: str, now: float, status: str = "True") -> dict:
    ts = rfc3339(now)
    return {"type": type_, "status": status, "reason": reason, "message": message,
            "lastUpdateTime": ts, "lastTransitionTime": ts}


def set_condition(conditions: list[dict], new: dict) -> list[dict]:
    """Katib's rule: replace (remove + append) only when status or reason changed."""
    old = next((c for c in conditions if c["type"] == new["type"]), None)
    if old is not None and old["status"] == new["status"] and old["reason"] == new["reason"]:
        return conditions
    return [c for c in conditions if c["type"] != new["type"]] + [new]


def phase(conditions: list[dict]) -> str:
    """The kubectl STATUS column: the type of the last True condition."""
    true = [c for c in conditions if c.get("status") == "True"]
    return true[-1]["type"] if true else "Created"
