"""Katib's `EarlyStopping` gRPC service over kubetune's rules (`kubetune serve early-stopping`).

GetEarlyStoppingRules: as Katib's medianstop service (pkg/earlystopping/v1beta1/medianstop/
service.py) does, each Succeeded trial's objective curve is read once from Katib's DBManager
(`GetObservationLog` at the request's `db_manager_address`, values in the order the DB returns
them, Python's float()) and kept, in the order the trials were first seen succeeded; the rule is
what the registered algorithm's `compute_rule` (kubetune.algorithms.earlystopping, the code
`kubetune run` uses) makes of those curves. After a restart the curves are read again from the
DB: nothing is lost. Every name the early-stopping registry holds whose rule is a frozen one is
served (`served_early_stopping`); those decided as values arrive are refused with the reason.

ValidateEarlyStoppingSettings: the errors `kubetune validate` prints for spec.earlyStopping.
SetTrialStatus: the Trial's EarlyStopped condition (trial_status.py), as Katib's service writes it.
"""
from __future__ import annotations

from collections import OrderedDict

import grpc

from kubetune.algorithms import AlgorithmContext
from kubetune.algorithms._checks import EARLY_STOPPING_PATH
from kubetune.algorithms.earlystopping import early_stopping_errors, early_stopping_rule, find_early_stopping, \
    known_early_stopping
from kubetune.serve.convert import OBJECTIVE_TYPES, rule_to_proto
from kubetune.serve.errors import RequestError, guarded
from kubetune.serve.kept import KeptByExperiment, message_key
from kubetune.serve.katib_api import api_pb2 as api
from kubetune.serve.katib_api import api_pb2_grpc
from kubetune.serve.trial_status import TrialStatusWriter

DB_TIMEOUT_SECONDS = 120  # Katib's APISERVER_TIMEOUT for the same call
KEPT_EXPERIMENTS = 16


def served_early_stopping() -> list[str]:
    """The registered names whose rule Katib can deliver: a frozen rule, checked by Katib's
    metrics sidecar. Rules decided as values arrive (an `evaluator`) exist in kubetune run only."""
    return [n for n in known_early_stopping() if getattr(find_early_stopping(n), "evaluator", None) is None]


def check_settings(spec: api.EarlyStoppingSpec) -> None:
    """RequestError with `kubetune validate`'s words for a spec.earlyStopping it would reject."""
    name = spec.algorithm_name
    served = served_early_stopping()
    if find_early_stopping(name) is None:
        raise RequestError(f"{EARLY_STOPPING_PATH}.algorithmName: unknown algorithm name {name!r} "
                           f"(kubetune serves: {', '.join(served)})")
    if name not in served:
        raise RequestError(f"{EARLY_STOPPING_PATH}.algorithmName: {name} decides as each value arrives, which only "
                           "kubetune run does; Katib's metrics sidecar checks frozen rules only, so on a cluster it "
                           f"would stop nothing (served here: {', '.join(served)})")
    settings = tuple((s.name, s.value) for s in spec.algorithm_settings)
    errors = [p for p in early_stopping_errors(AlgorithmContext(name, settings, {}, EARLY_STOPPING_PATH))
              if p.is_error]
    if errors:
        raise RequestError("; ".join(str(p) for p in errors))


def _db_address(text: str) -> str:
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit():
        raise RequestError(f"db_manager_address: found {text!r}; must be host:port, e.g. "
                           "katib-db-manager.kubeflow:6789")
    return text


def objective_curve(address: str, trial: str, metric: str) -> list[float]:
    """A trial's objective values from Katib's DBManager, as Katib's medianstop reads them."""
    with grpc.insecure_channel(address) as channel:
        reply = api_pb2_grpc.DBManagerStub(channel).GetObservationLog(
            api.GetObservationLogRequest(trial_name=trial, metric_name=metric), timeout=DB_TIMEOUT_SECONDS)
    values = []
    for log in reply.observation_log.metric_logs:
        try:
            values.append(float(log.metric.value))
        except ValueError:
            raise RequestError(f"trial {trial}: objective value {log.metric.value!r} of {metric!r} is not a number; "
                               "Katib's medianstop service fails on it too", grpc.StatusCode.FAILED_PRECONDITION)
    return values


class EarlyStoppingService(api_pb2_grpc.EarlyStoppingServicer):
    def __init__(self, status_writer: TrialStatusWriter | None = None) -> None:
        self._status = status_writer or TrialStatusWriter()
        # experiment name -> (key of its spec, the curves read so far by trial name)
        self._curves: KeptByExperiment[tuple[str, OrderedDict[str, list[float]]]] = KeptByExperiment(KEPT_EXPERIMENTS)

    @guarded("ValidateEarlyStoppingSettings")
    def ValidateEarlyStoppingSettings(self, request, context):
        check_settings(request.early_stopping)
        return api.ValidateEarlyStoppingSettingsReply()

    @guarded("GetEarlyStoppingRules")
    def GetEarlyStoppingRules(self, request, context):
        spec = request.experiment.spec
        check_settings(spec.early_stopping)
        objective_type = OBJECTIVE_TYPES.get(spec.objective.type)
        if objective_type is None:
            raise RequestError("experiment.spec.objective.type: must be MINIMIZE or MAXIMIZE")
        metric = spec.objective.objective_metric_name
        if not metric:
            raise RequestError("experiment.spec.objective.objective_metric_name: required")
        succeeded = [t.name for t in request.trials
                     if t.status.condition == api.TrialStatus.TrialConditionType.SUCCEEDED]
        curves = self._curves_for(request.experiment, succeeded, request.db_manager_address, metric)
        settings = {s.name: s.value for s in spec.early_stopping.algorithm_settings}
        try:
            rule = early_stopping_rule(spec.early_stopping.algorithm_name, curves, objective_type, settings,
                                       metric_name=metric)
        except ValueError as e:
            raise RequestError(str(e), grpc.StatusCode.FAILED_PRECONDITION) from None
        rules = [] if rule is None else [rule_to_proto(rule)]
        return api.GetEarlyStoppingRulesReply(early_stopping_rules=rules)

    def _curves_for(self, experiment: api.Experiment, succeeded: list[str], address: str,
                    metric: str) -> list[list[float]]:
        """The curves of every succeeded trial, first-seen order; new ones read from the DB."""
        key = message_key(experiment.spec)
        found = self._curves.get(experiment.name, lambda kept: kept[0] == key)
        known = found[1] if found is not None else OrderedDict()
        new = [name for name in succeeded if name not in known]
        if new:
            address = _db_address(address)
            fetched = {name: objective_curve(address, name, metric) for name in new}
            known = OrderedDict(known)
            known.update(fetched)
        self._curves.put(experiment.name, (key, known))
        return list(known.values())  # as Katib's trials_avg_history: every trial seen succeeded

    @guarded("SetTrialStatus")
    def SetTrialStatus(self, request, context):
        if not request.trial_name:
            raise RequestError("trial_name: required")
        self._status.mark_early_stopped(request.trial_name)
        return api.SetTrialStatusReply()
