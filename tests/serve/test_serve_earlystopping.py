"""The EarlyStopping service against a loopback STAND-IN of Katib's DBManager serving recorded
observation logs (and a stand-in of the Kubernetes API for SetTrialStatus)."""
from __future__ import annotations

import grpc
import pytest

from kubetune.algorithms.earlystopping import early_stopping_rule, find_early_stopping, known_early_stopping
from kubetune.serve import earlystopping
from kubetune.serve.earlystopping import served_early_stopping
from kubetune.serve.katib_api import api_pb2 as api
from kubetune.serve.trial_status import TrialStatusWriter
from katib_driver import KatibTrial, experiment_pb, trial_pb
from katib_standins import DBManagerStandIn, TrialAPIStandIn
from test_serve_suggestion import katib_experiment

# recorded logs: trial -> (timestamp, metric, value), the DB's order (by time)
CURVES = {"t1": ["0.50", "0.60", "0.70", "0.72", "0.90"], "t2": ["0.30", "0.31", "0.33", "0.35"],
          "t3": ["0.80", "0.81", "0.82", "0.85", "0.86"], "t4": ["0.10", "0.20"]}
LOGS = {t: [(f"2026-01-01T00:00:{i:02d}Z", "accuracy", v) for i, v in enumerate(vs)] + [
    (f"2026-01-01T00:00:{i:02d}Z", "loss", "9") for i in range(3)] for t, vs in CURVES.items()}


@pytest.fixture
def db():
    stand_in = DBManagerStandIn(LOGS)
    yield stand_in
    stand_in.stop()


def es_request(db, succeeded: list[str], settings: dict[str, str], name: str = "medianstop",
               running: tuple[str, ...] = ("t9",), experiment: str = "es") -> api.GetEarlyStoppingRulesRequest:
    doc = katib_experiment(experiment, "random", objective_type="maximize", max_trials=20)
    doc["spec"]["objective"]["objectiveMetricName"] = "accuracy"
    doc["spec"]["earlyStopping"] = {"algorithmName": name,
                                    "algorithmSettings": [{"name": k, "value": v} for k, v in settings.items()]}
    exp = experiment_pb(doc)
    trials = [KatibTrial(t, {"x": "0.1", "y": "0.1", "k": "1"}, condition="Succeeded",
                         observation={"accuracy": CURVES[t][-1]}) for t in succeeded]
    trials += [KatibTrial(t, {"x": "0.2", "y": "0.1", "k": "1"}, condition="Running") for t in running]
    return api.GetEarlyStoppingRulesRequest(experiment=exp, trials=[trial_pb(t, "accuracy") for t in trials],
                                            db_manager_address=db.address)


def test_medianstop_rule_is_katibs_mean_of_means_from_the_db(early_stopping_factory, db):
    service = early_stopping_factory()
    settings = {"min_trials_required": "3", "start_step": "3"}
    assert not service.stub.GetEarlyStoppingRules(es_request(db, ["t1", "t2"], settings), timeout=30).early_stopping_rules
    reply = service.stub.GetEarlyStoppingRules(es_request(db, ["t1", "t2", "t3"], settings), timeout=30)
    (rule,) = reply.early_stopping_rules
    # Katib's medianstop by hand: the mean of each succeeded trial's first start_step values, averaged
    means = [sum(float(v) for v in CURVES[t][:3]) / 3 for t in ("t1", "t2", "t3")]
    assert rule.name == "accuracy" and rule.comparison == api.LESS and rule.start_step == 3
    assert rule.value == str(sum(means) / 3)
    kubetune_rule = early_stopping_rule("medianstop", [[float(v) for v in CURVES[t]] for t in ("t1", "t2", "t3")],
                                        "maximize", settings, metric_name="accuracy")
    assert rule.value == kubetune_rule.value_text  # the very code kubetune run uses
    # every trial's log was read once, for the objective metric only (later calls use what was read)
    service.stub.GetEarlyStoppingRules(es_request(db, ["t1", "t2", "t3"], settings), timeout=30)
    assert sorted(db.requests) == [("t1", "accuracy"), ("t2", "accuracy"), ("t3", "accuracy")]


def test_a_restarted_service_reads_the_db_again_and_gives_the_same_rule(early_stopping_factory, db):
    settings = {"min_trials_required": "2", "start_step": "2"}
    first = early_stopping_factory().stub.GetEarlyStoppingRules(es_request(db, ["t1", "t4", "t3"], settings), timeout=30)
    again = early_stopping_factory().stub.GetEarlyStoppingRules(es_request(db, ["t1", "t4", "t3"], settings), timeout=30)
    assert first == again and len(first.early_stopping_rules) == 1


def test_curves_are_kept_per_experiment_for_its_spec_and_a_few_experiments(early_stopping_factory, db, monkeypatch):
    monkeypatch.setattr(earlystopping, "KEPT_EXPERIMENTS", 2)
    service = early_stopping_factory()
    two = {"min_trials_required": "2", "start_step": "2"}
    three = {"min_trials_required": "3", "start_step": "2"}

    def reads(succeeded, settings, experiment="es"):
        before = len(db.requests)
        service.stub.GetEarlyStoppingRules(es_request(db, succeeded, settings, experiment=experiment), timeout=30)
        return sorted(t for t, _ in db.requests[before:])

    assert reads(["t1", "t2"], two) == ["t1", "t2"]
    assert reads(["t1", "t2", "t3"], two) == ["t3"]  # the same spec: only the new trial is read
    assert reads(["t1", "t2", "t3"], three) == ["t1", "t2", "t3"]  # another spec: nothing kept is trusted
    assert reads(["t1"], three, "es-b") == ["t1"]
    assert reads(["t1", "t2", "t3"], three) == []  # two experiments are kept
    assert reads(["t4"], three, "es-c") == ["t4"]  # a third drops the least recently used (es-b)
    assert reads(["t1", "t2", "t3"], three) == []
    assert reads(["t1"], three, "es-b") == ["t1"]


@pytest.mark.parametrize("name", served_early_stopping())
def test_every_frozen_rule_of_the_registry_is_served(early_stopping_factory, db, name):
    service = early_stopping_factory()
    service.stub.ValidateEarlyStoppingSettings(api.ValidateEarlyStoppingSettingsRequest(
        early_stopping=api.EarlyStoppingSpec(algorithm_name=name)), timeout=30)
    reply = service.stub.GetEarlyStoppingRules(es_request(db, ["t1", "t2", "t3", "t4"], {}, name), timeout=30)
    want = early_stopping_rule(name, [[float(v) for v in CURVES[t]] for t in ("t1", "t2", "t3", "t4")], "maximize", {},
                               metric_name="accuracy")
    assert [r.value for r in reply.early_stopping_rules] == ([] if want is None else [want.value_text])


def test_rules_decided_as_values_arrive_are_refused_with_the_reason(early_stopping_factory):
    online = [n for n in known_early_stopping() if n not in served_early_stopping()]
    assert all(find_early_stopping(n).evaluator is not None for n in online)
    service = early_stopping_factory()
    for name in online:
        with pytest.raises(grpc.RpcError) as info:
            service.stub.ValidateEarlyStoppingSettings(api.ValidateEarlyStoppingSettingsRequest(
                early_stopping=api.EarlyStoppingSpec(algorithm_name=name)), timeout=30)
        assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "stop nothing" in info.value.details()


@pytest.mark.parametrize("settings, needle", [
    ({"min_trials_required": "0"}, 'min_trials_required: found "0"; must be an integer > 0'),
    ({"start_step": "x"}, 'start_step: found "x"; must be an integer'),
    ({"median": "1"}, 'unknown setting "median" for algorithm medianstop'),
])
def test_bad_settings_are_invalid_argument_with_validates_words(early_stopping_factory, db, settings, needle):
    service = early_stopping_factory()
    spec = api.EarlyStoppingSpec(algorithm_name="medianstop",
                                 algorithm_settings=[api.EarlyStoppingSetting(name=k, value=v) for k, v in settings.items()])
    for call, message in ((service.stub.ValidateEarlyStoppingSettings,
                           api.ValidateEarlyStoppingSettingsRequest(early_stopping=spec)),
                          (service.stub.GetEarlyStoppingRules, es_request(db, ["t1"], settings))):
        with pytest.raises(grpc.RpcError) as info:
            call(message, timeout=30)
        assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert needle in info.value.details() and "spec.earlyStopping.algorithmSettings[0]" in info.value.details()


def test_malformed_requests_are_grpc_errors(early_stopping_factory, db):
    service = early_stopping_factory()
    bad_address = es_request(db, ["t1"], {})
    bad_address.db_manager_address = "no-port"
    unknown = es_request(db, ["t1"], {})
    unknown.experiment.spec.early_stopping.algorithm_name = "coinflip"
    no_type = es_request(db, ["t1"], {})
    no_type.experiment.spec.objective.type = api.UNKNOWN
    not_a_number = es_request(DBManagerStandIn({"t1": [("2026-01-01T00:00:00Z", "accuracy", "NaN?")]}), ["t1"], {})
    for message, code, needle in ((bad_address, grpc.StatusCode.INVALID_ARGUMENT, "db_manager_address"),
                                  (unknown, grpc.StatusCode.INVALID_ARGUMENT, "unknown algorithm name 'coinflip'"),
                                  (no_type, grpc.StatusCode.INVALID_ARGUMENT, "objective.type"),
                                  (api.GetEarlyStoppingRulesRequest(), grpc.StatusCode.INVALID_ARGUMENT, "algorithmName"),
                                  (not_a_number, grpc.StatusCode.FAILED_PRECONDITION, "not a number")):
        with pytest.raises(grpc.RpcError) as info:
            service.stub.GetEarlyStoppingRules(message, timeout=30)
        assert info.value.code() == code and needle in info.value.details(), info.value.details()
    assert service.stub.GetEarlyStoppingRules(es_request(db, ["t1"], {}), timeout=30) is not None


def test_set_trial_status_marks_the_trial_early_stopped(early_stopping_factory, tmp_path):
    kube = TrialAPIStandIn({("team-a", "t1"): {"apiVersion": "kubeflow.org/v1beta1", "kind": "Trial",
                                               "metadata": {"name": "t1", "namespace": "team-a"},
                                               "status": {"conditions": [{"type": "Running", "status": "True"}]}}})
    try:
        config = kube.write_kubeconfig(tmp_path / "kubeconfig", "team-a")
        service = early_stopping_factory(status_writer=TrialStatusWriter(kubeconfig=str(config)))
        service.stub.SetTrialStatus(api.SetTrialStatusRequest(trial_name="t1"), timeout=30)
        conditions = kube.trials[("team-a", "t1")]["status"]["conditions"]
        assert [c["type"] for c in conditions] == ["Running", "EarlyStopped"]
        assert conditions[-1]["reason"] == "TrialEarlyStopped" and conditions[-1]["status"] == "True"
        assert kube.patches[0][0] == "application/merge-patch+json"
        service.stub.SetTrialStatus(api.SetTrialStatusRequest(trial_name="t1"), timeout=30)  # twice: once
        assert len(kube.trials[("team-a", "t1")]["status"]["conditions"]) == 2
        with pytest.raises(grpc.RpcError) as info:
            service.stub.SetTrialStatus(api.SetTrialStatusRequest(trial_name="gone"), timeout=30)
        assert info.value.code() == grpc.StatusCode.NOT_FOUND and "gone" in info.value.details()
    finally:
        kube.stop()
