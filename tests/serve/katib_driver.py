"""Drive kubetune's gRPC services the way Katib's controllers do (a test stand-in for Katib).

The messages are built as Katib's suggestion client builds them
(pkg/controller.v1beta1/suggestion/suggestionclient/suggestionclient.go): ConvertExperiment of the
defaulted Experiment (feasible spaces as strings, enums for types and distributions), and
ConvertTrials: every trial with its parameter assignments, labels, ONLY its latest condition,
and one observation value per metric, already selected by the metric strategy (min/max fall
back to latest when "unavailable"). `run_like_katib` is the experiment loop: ask for
current_request_number = free slots (capped by maxTrialCount), create the trials, finish them
one at a time with an objective function, until maxTrialCount trials completed or the service
has nothing more while no trial runs.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from kubetune.experiment import experiment_from_dict
from kubetune.serve.katib_api import api_pb2 as api

OBJECTIVE = {"minimize": api.MINIMIZE, "maximize": api.MAXIMIZE}
TYPES = {"double": api.DOUBLE, "int": api.INT, "discrete": api.DISCRETE, "categorical": api.CATEGORICAL}
DISTRIBUTIONS = {"uniform": api.UNIFORM, "logUniform": api.LOG_UNIFORM, "normal": api.NORMAL,
                 "logNormal": api.LOG_NORMAL}
CONDITIONS = {"Created": api.TrialStatus.CREATED, "Running": api.TrialStatus.RUNNING,
              "Succeeded": api.TrialStatus.SUCCEEDED, "Killed": api.TrialStatus.KILLED,
              "Failed": api.TrialStatus.FAILED, "EarlyStopped": api.TrialStatus.EARLYSTOPPED}


def experiment_pb(doc: dict) -> api.Experiment:
    """ConvertExperiment of the Experiment as Katib stores it (webhook defaults applied)."""
    exp = experiment_from_dict(doc)
    spec = exp.spec
    pb = api.Experiment(name=exp.name)
    s = pb.spec
    s.algorithm.algorithm_name = spec["algorithm"]["algorithmName"]
    for item in spec["algorithm"].get("algorithmSettings") or []:
        s.algorithm.algorithm_settings.add(name=item["name"], value=item["value"])
    objective = spec["objective"]
    s.objective.type = OBJECTIVE[objective["type"]]
    s.objective.objective_metric_name = objective["objectiveMetricName"]
    s.objective.additional_metric_names.extend(objective.get("additionalMetricNames") or [])
    for p in spec["parameters"]:
        fs = p["feasibleSpace"]
        s.parameter_specs.parameters.add(
            name=p["name"], parameter_type=TYPES[p["parameterType"]],
            feasible_space=api.FeasibleSpace(min=fs.get("min", ""), max=fs.get("max", ""), step=fs.get("step", ""),
                                             list=fs.get("list") or [],
                                             distribution=DISTRIBUTIONS.get(fs.get("distribution", ""), 0)))
    s.parallel_trial_count = spec.get("parallelTrialCount", 0)
    s.max_trial_count = spec.get("maxTrialCount", 0)
    es = spec.get("earlyStopping")
    if es:
        s.early_stopping.algorithm_name = es["algorithmName"]
        for item in es.get("algorithmSettings") or []:
            s.early_stopping.algorithm_settings.add(name=item["name"], value=item["value"])
    return pb


@dataclass
class KatibTrial:
    name: str
    assignments: dict[str, str]
    labels: dict[str, str] = field(default_factory=dict)
    condition: str = "Created"
    observation: dict[str, str] = field(default_factory=dict)  # strategy-selected value per metric


def trial_pb(t: KatibTrial, objective_metric: str) -> api.Trial:
    pb = api.Trial(name=t.name)
    pb.spec.objective.objective_metric_name = objective_metric
    for k, v in t.assignments.items():
        pb.spec.parameter_assignments.assignments.add(name=k, value=v)
    pb.spec.labels.update(t.labels)
    pb.status.condition = CONDITIONS[t.condition]
    for k, v in t.observation.items():
        pb.status.observation.metrics.add(name=k, value=v)
    return pb


def request(exp: api.Experiment, trials: list[KatibTrial], count: int) -> api.GetSuggestionsRequest:
    metric = exp.spec.objective.objective_metric_name
    return api.GetSuggestionsRequest(experiment=exp, trials=[trial_pb(t, metric) for t in trials],
                                     current_request_number=count, total_request_number=len(trials) + count)


def assignments_of(reply: api.GetSuggestionsReply) -> list[tuple[dict[str, str], dict[str, str]]]:
    return [({a.name: a.value for a in pa.assignments}, dict(pa.labels)) for pa in reply.parameter_assignments]


def run_like_katib(stub_for: Callable[[], object], doc: dict, objective: Callable[[dict[str, str]], dict[str, str]],
                   *, on_round: Callable[[int], None] | None = None, max_rounds: int = 500) -> list[KatibTrial]:
    """The whole experiment; `stub_for()` is called before every request (a restarted service
    gets a new stub), `on_round(i)` after every request (e.g. to restart the service)."""
    exp = experiment_pb(doc)
    parallel, max_trials = exp.spec.parallel_trial_count, exp.spec.max_trial_count
    trials: list[KatibTrial] = []
    for round_ in range(max_rounds):
        active = [t for t in trials if t.condition in ("Created", "Running")]
        done = len(trials) - len(active)
        if done >= max_trials:
            return trials
        count = min(parallel - len(active), max_trials - len(trials))
        if count > 0:
            reply = stub_for().GetSuggestions(request(exp, trials, count), timeout=60)
            got = assignments_of(reply)
            assert len(got) <= count
            for assignments, labels in got:
                trials.append(KatibTrial(f"{exp.name}-{len(trials):04d}", assignments, labels))
            if not got and not active:
                return trials  # nothing more to suggest (Katib would wait forever; the test stops)
        if on_round is not None:
            on_round(round_)
        pending = [t for t in trials if t.condition == "Created"]
        if pending:  # finish the oldest running trial: trials complete one at a time
            pending[0].observation = objective(pending[0].assignments)
            pending[0].condition = "Succeeded"
    raise AssertionError(f"experiment did not end in {max_rounds} rounds")
