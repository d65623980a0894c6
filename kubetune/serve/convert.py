"""Katib's gRPC messages <-> kubetune's types, and nothing else.

The request side mirrors Katib's suggestion client (pkg/controller.v1beta1/suggestion/
suggestionclient): it converts the Experiment CR into `api_pb2.Experiment` (strings for feasible
spaces, enums for types and distributions, the Suggestion status' settings merged into the
algorithm settings) and every Trial into `api_pb2.Trial` with its latest condition only and one
metric value per name, already selected by the metric strategy. `experiment_from_proto` turns the
Experiment back into the Katib spec a YAML file would hold (so the very same parsing, settings
checks and `build_suggester` apply), `trial_views` turns the trials into what every algorithm
sees (kubetune.algorithms.TrialView), `reply_assignments` turns Suggestions into the reply.
"""
from __future__ import annotations

from typing import Any, Iterable, Sequence

from kubetune.algorithms import Suggestion, TrialView
from kubetune.algorithms.earlystopping import Rule
from kubetune.experiment.types import Experiment
from kubetune.gocompat.strconv import go_parse_float
from kubetune.serve.katib_api import api_pb2 as api

OBJECTIVE_TYPES = {api.MINIMIZE: "minimize", api.MAXIMIZE: "maximize"}
PARAMETER_TYPES = {api.DOUBLE: "double", api.INT: "int", api.DISCRETE: "discrete", api.CATEGORICAL: "categorical",
                   api.UNKNOWN_TYPE: "unknown"}
DISTRIBUTIONS = {api.UNIFORM: "uniform", api.LOG_UNIFORM: "logUniform", api.NORMAL: "normal",
                 api.LOG_NORMAL: "logNormal"}
_CONDITION = api.TrialStatus.TrialConditionType
# Katib's latest trial condition -> the trial state every algorithm knows (kubetune.algorithms.base).
# UNKNOWN (a condition type the client does not map) is treated as still running: never told.
TRIAL_STATES = {_CONDITION.CREATED: "Created", _CONDITION.RUNNING: "Running", _CONDITION.SUCCEEDED: "Succeeded",
                _CONDITION.KILLED: "Killed", _CONDITION.FAILED: "Failed",
                _CONDITION.METRICSUNAVAILABLE: "MetricsUnavailable", _CONDITION.EARLYSTOPPED: "EarlyStopped",
                _CONDITION.UNKNOWN: "Running"}
COMPARISONS = {"equal": api.EQUAL, "less": api.LESS, "greater": api.GREATER}


def _settings(entries: Iterable[Any]) -> list[dict[str, str]]:
    return [{"name": s.name, "value": s.value} for s in entries]


def _parameter(p: api.ParameterSpec) -> dict[str, Any]:
    fs = p.feasible_space
    space: dict[str, Any] = {key: getattr(fs, key) for key in ("min", "max", "step") if getattr(fs, key)}
    if fs.list:
        space["list"] = list(fs.list)
    if fs.distribution in DISTRIBUTIONS:
        space["distribution"] = DISTRIBUTIONS[fs.distribution]
    return {"name": p.name, "parameterType": PARAMETER_TYPES.get(p.parameter_type, "unknown"), "feasibleSpace": space}


def experiment_spec(pb: api.Experiment) -> dict[str, Any]:
    """The Katib spec (YAML form) of a gRPC Experiment: what the suggestion service is told."""
    spec = pb.spec
    objective = {"type": OBJECTIVE_TYPES.get(spec.objective.type, ""),
                 "objectiveMetricName": spec.objective.objective_metric_name,
                 "additionalMetricNames": list(spec.objective.additional_metric_names)}
    out: dict[str, Any] = {
        "parameters": [_parameter(p) for p in spec.parameter_specs.parameters],
        "objective": objective,
        "algorithm": {"algorithmName": spec.algorithm.algorithm_name,
                      "algorithmSettings": _settings(spec.algorithm.algorithm_settings)},
    }
    if spec.early_stopping.algorithm_name:
        out["earlyStopping"] = {"algorithmName": spec.early_stopping.algorithm_name,
                                "algorithmSettings": _settings(spec.early_stopping.algorithm_settings)}
    if spec.parallel_trial_count > 0:
        out["parallelTrialCount"] = spec.parallel_trial_count
    if spec.max_trial_count > 0:
        out["maxTrialCount"] = spec.max_trial_count
    return out


def experiment_from_proto(pb: api.Experiment) -> Experiment:
    """A kubetune Experiment holding the gRPC Experiment's spec (no metadata: gRPC has none)."""
    return Experiment(name=pb.name, raw={"metadata": {"name": pb.name}}, spec=experiment_spec(pb),
                      source=f"gRPC Experiment {pb.name!r}")


def _number(text: str) -> float | None:
    return go_parse_float(text) if text else None


def trial_view(trial: api.Trial, objective_name: str) -> TrialView:
    """What an algorithm sees of one trial Katib sent (`objective_name`: the Experiment's)."""
    values = {m.name: m.value for m in trial.status.observation.metrics}
    metrics = {name: number for name, text in values.items() if (number := _number(text)) is not None}
    return TrialView(
        name=trial.name,
        assignments={a.name: a.value for a in trial.spec.parameter_assignments.assignments},
        state=TRIAL_STATES.get(trial.status.condition, "Running"),
        objective=metrics.get(objective_name),
        metrics=metrics,
        labels=dict(trial.spec.labels),
    )


def trial_views(trials: Iterable[api.Trial], objective_name: str) -> list[TrialView]:
    return [trial_view(t, objective_name) for t in trials]


def reply_assignments(suggestions: Sequence[Suggestion]) -> list[api.GetSuggestionsReply.ParameterAssignments]:
    return [api.GetSuggestionsReply.ParameterAssignments(
        assignments=[api.ParameterAssignment(name=k, value=v) for k, v in s.assignments.items()],
        labels=dict(s.labels)) for s in suggestions]


def rule_to_proto(rule: Rule) -> api.EarlyStoppingRule:
    return api.EarlyStoppingRule(name=rule.name, value=rule.value_text, comparison=COMPARISONS[rule.comparison],
                                 start_step=rule.start_step)
