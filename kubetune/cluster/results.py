"""Katib Experiment/Trial objects -> the TrialRows and status dict the local CLI shows, so the
tables and JSON of `kubetune status/trials/best` read the same for a local run and a cluster.

Trial state follows Katib's bucket order (katib-semantics 7.2): Killed, Failed, Succeeded,
EarlyStopped, Running, MetricsUnavailable, else pending (shown as "Created", as locally).
The objective value is the one Katib selects by metric strategy (5.7).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from kubetune.results import TrialRow, objective_result

from .names import EXPERIMENT_LABEL


_STATE_ORDER = ("Killed", "Failed", "Succeeded", "EarlyStopped", "Running", "MetricsUnavailable")
_DONE = ("Succeeded", "Failed")


def parse_time(value) -> float | None:
    """RFC 3339 (Kubernetes metav1.Time) -> epoch seconds; None for absent or Go's zero time."""
    if not value or not isinstance(value, str) or value.startswith("0001-01-01"):
        return None
    try:
        return dt.datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def _true_conditions(obj: dict) -> list[dict]:
    conditions = ((obj.get("status") or {}).get("conditions")) or []
    return [c for c in conditions if isinstance(c, dict) and c.get("status") == "True"]


def trial_state(trial: dict) -> tuple[str, dict | None]:
    """(state, the condition that decided it). Running counts only while its condition is True
    (Katib flips it to False when the trial completes)."""
    true = {c.get("type"): c for c in _true_conditions(trial)}
    for state in _STATE_ORDER:
        if state in true:
            return state, true[state]
    return "Created", true.get("Created")


@dataclass(frozen=True)
class ExperimentView:
    """What the tables need from an Experiment object."""

    name: str
    namespace: str
    objective_type: str
    metric_names: list[str]
    strategies: dict[str, str]
    labels: dict[str, str]
    primary_container: str

    @classmethod
    def of(cls, experiment: dict) -> "ExperimentView":
        meta = experiment.get("metadata") or {}
        spec = experiment.get("spec") or {}
        objective = spec.get("objective") or {}
        metric = objective.get("objectiveMetricName") or "objective"
        strategies = {s.get("name"): s.get("value") for s in objective.get("metricStrategies") or []
                      if isinstance(s, dict)}
        return cls(
            name=meta.get("name", ""), namespace=meta.get("namespace", ""),
            objective_type=objective.get("type") or "maximize",
            metric_names=[metric, *(objective.get("additionalMetricNames") or [])],
            strategies=strategies, labels=dict(meta.get("labels") or {}),
            primary_container=(spec.get("trialTemplate") or {}).get("primaryContainerName") or "",
        )

    @property
    def objective_strategy(self) -> str:
        """Katib's default when the (normally defaulted) strategy is missing: min/max by direction."""
        default = "min" if self.objective_type == "minimize" else "max"
        return self.strategies.get(self.metric_names[0]) or default


def _observation(trial: dict) -> dict[str, dict[str, str]]:
    metrics = (((trial.get("status") or {}).get("observation") or {}).get("metrics")) or []
    return {m["name"]: {k: m[k] for k in ("min", "max", "latest") if k in m}
            for m in metrics if isinstance(m, dict) and m.get("name")}


def trial_row(trial: dict, seq: int, view: ExperimentView) -> TrialRow:
    meta = trial.get("metadata") or {}
    spec = trial.get("spec") or {}
    status = trial.get("status") or {}
    state, decided_by = trial_state(trial)
    obs = _observation(trial)
    # labels a suggestion added (the experiment's own labels and Katib's bookkeeping label are on every trial)
    labels = {k: v for k, v in (meta.get("labels") or {}).items()
              if k != EXPERIMENT_LABEL and view.labels.get(k) != v}
    return TrialRow(
        seq=seq,
        name=meta.get("name", ""),
        assignments={a.get("name", ""): a.get("value", "") for a in spec.get("parameterAssignments") or []
                     if isinstance(a, dict)},
        labels=labels,
        state=state,
        created=parse_time(meta.get("creationTimestamp")) or 0.0,
        started=parse_time(status.get("startTime")),
        finished=parse_time(status.get("completionTime")) if state not in ("Created", "Running") else None,
        reason=(decided_by or {}).get("reason", "") or "",
        message=(decided_by or {}).get("message", "") or "",
        exit_code=None,  # a Trial records its job's conditions, not the container's exit code
        **objective_fields(obs, view),
        observation=obs,
        attempts=1 if status.get("startTime") else 0,
    )


def objective_fields(obs: dict, view: ExperimentView) -> dict:
    """TrialRow's objective (a number) or objective_text (a text value such as a DARTS genotype)."""
    value = objective_result(obs, view.metric_names[0], view.objective_strategy) if obs else None
    return {"objective": value} if not isinstance(value, str) else {"objective": None, "objective_text": value}


def trial_rows(trials: list[dict], view: ExperimentView) -> list[TrialRow]:
    """Rows in creation order (the local engine's order), names breaking ties."""
    ordered = sorted(trials, key=lambda t: ((t.get("metadata") or {}).get("creationTimestamp") or "",
                                            (t.get("metadata") or {}).get("name") or ""))
    return [trial_row(t, i, view) for i, t in enumerate(ordered, 1)]


def status_of(experiment: dict) -> dict:
    """The Experiment's status as Katib wrote it, with the keys the local status always has
    (conditions, currentOptimalTrial with its three parts, trials) filled in when Katib has not
    written them yet (a just-created Experiment has no status at all)."""
    status = dict(experiment.get("status") or {})
    status.setdefault("conditions", [])
    best = dict(status.get("currentOptimalTrial") or {})
    best.setdefault("bestTrialName", "")
    best["parameterAssignments"] = list(best.get("parameterAssignments") or [])
    best["observation"] = {"metrics": list(((best.get("observation") or {}).get("metrics")) or [])}
    status["currentOptimalTrial"] = best
    status.setdefault("trials", 0)
    return status


def status_document(experiment: dict) -> dict:
    """What `kubetune status -o json` prints: the local command's shape, from the cluster object."""
    meta = experiment.get("metadata") or {}
    return {"apiVersion": experiment.get("apiVersion", "kubeflow.org/v1beta1"),
            "kind": experiment.get("kind", "Experiment"),
            "metadata": {"name": meta.get("name"), "namespace": meta.get("namespace")},
            "spec": experiment.get("spec") or {}, "status": status_of(experiment)}


def is_completed(experiment: dict) -> bool:
    return any(c.get("type") in _DONE for c in _true_conditions(experiment))


def succeeded(experiment: dict) -> bool:
    return any(c.get("type") == "Succeeded" for c in _true_conditions(experiment))


def best_row(experiment: dict, rows: list[TrialRow]) -> TrialRow | None:
    """The trial Katib names in currentOptimalTrial (Katib's choice is the truth on a cluster);
    None while it names none. If that Trial object is gone, a row from currentOptimalTrial alone."""
    best = status_of(experiment)["currentOptimalTrial"]
    name = best["bestTrialName"]
    if not name:
        return None
    row = next((r for r in rows if r.name == name), None)
    if row is not None:
        return row
    view = ExperimentView.of(experiment)
    obs = {m["name"]: {k: m[k] for k in ("min", "max", "latest") if k in m}
           for m in best["observation"]["metrics"] if isinstance(m, dict) and m.get("name")}
    return TrialRow(seq=0, name=name, assignments={a["name"]: a["value"] for a in best["parameterAssignments"]},
                    labels={}, state="Unknown", created=0.0, message="the Trial object no longer exists",
                    **objective_fields(obs, view), observation=obs)
