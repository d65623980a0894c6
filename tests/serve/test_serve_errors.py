"""Malformed requests and bad settings: a gRPC status with a message that names the field, never a
crash; bad settings answer INVALID_ARGUMENT with the very messages `kubetune validate` prints."""
from __future__ import annotations

import grpc
import pytest
import yaml
from grpc_health.v1 import health_pb2, health_pb2_grpc

from kubetune.cli import main
from kubetune.serve.katib_api import api_pb2 as api
from katib_driver import KatibTrial, experiment_pb, request
from test_serve_suggestion import PARAMS, katib_experiment


def status_of(call, *args) -> tuple[grpc.StatusCode, str]:
    with pytest.raises(grpc.RpcError) as info:
        call(*args, timeout=30)
    return info.value.code(), info.value.details()


def good() -> api.Experiment:
    return experiment_pb(katib_experiment("good", "tpe", settings={"random_state": "1"}))


def broken(edit) -> api.Experiment:
    pb = good()
    edit(pb)
    return pb


MALFORMED = [
    ("no experiment at all", api.GetSuggestionsRequest(current_request_number=1), "algorithmName"),
    ("unknown algorithm", request(broken(lambda e: setattr(e.spec.algorithm, "algorithm_name", "annealing")), [], 1),
     "'annealing' is not a kubetune algorithm"),
    ("a Katib-only algorithm", request(broken(lambda e: setattr(e.spec.algorithm, "algorithm_name", "pbt")), [], 1),
     "'pbt' runs on Katib's own service only"),
    ("no parameters", request(broken(lambda e: e.spec.parameter_specs.ClearField("parameters")), [], 1),
     "spec.parameters"),
    ("a bound that is not a number",
     request(broken(lambda e: setattr(e.spec.parameter_specs.parameters[0].feasible_space, "min", "abc")), [], 1),
     "spec.parameters[0].feasibleSpace.min"),
    ("an unknown parameter type",
     request(broken(lambda e: setattr(e.spec.parameter_specs.parameters[2], "parameter_type", api.UNKNOWN_TYPE)),
             [], 1), "spec.parameters[2].parameterType"),
    ("no objective type", request(broken(lambda e: setattr(e.spec.objective, "type", api.UNKNOWN)), [], 1),
     "objective type"),
    ("a negative request number", request(good(), [], -2), "current_request_number"),
    ("two trials with one name", request(good(), [KatibTrial("t", {"x": "0.5", "y": "0.5", "k": "1"})] * 2, 1),
     "same name"),
]


@pytest.mark.parametrize("case, message, needle", MALFORMED, ids=[c[0] for c in MALFORMED])
def test_malformed_request_is_a_grpc_error_and_the_service_lives_on(suggestion, case, message, needle):
    code, details = status_of(suggestion.stub.GetSuggestions, message)
    assert code == grpc.StatusCode.INVALID_ARGUMENT and needle in details, details
    reply = suggestion.stub.GetSuggestions(request(good(), [], 2), timeout=30)
    assert len(reply.parameter_assignments) == 2


def test_values_of_the_wrong_type_in_trials_are_not_numbers_not_crashes(suggestion):
    trials = [KatibTrial("t0", {"x": "0.5", "y": "0.5", "k": "1"}, condition="Succeeded",
                         observation={"score": "not a number"}),
              KatibTrial("t1", {"x": "oops", "y": "0.5", "k": "1"}, condition="Succeeded", observation={"score": "1"})]
    try:
        reply = suggestion.stub.GetSuggestions(request(good(), trials, 1), timeout=30)
        assert len(reply.parameter_assignments) == 1
    except grpc.RpcError as e:  # a trial whose value is outside the space may be refused, with a reason
        assert e.code() in (grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.INTERNAL) and "x" in e.details()
    assert len(suggestion.stub.GetSuggestions(request(good(), [], 1), timeout=30).parameter_assignments) == 1


def test_bytes_that_are_no_request_are_refused(suggestion):
    raw = suggestion.channel.unary_unary("/api.v1.beta1.Suggestion/GetSuggestions")
    with pytest.raises(grpc.RpcError) as info:
        raw(b"\xff\xff\xff garbage", timeout=30)
    assert info.value.code() in (grpc.StatusCode.INTERNAL, grpc.StatusCode.INVALID_ARGUMENT)
    assert len(suggestion.stub.GetSuggestions(request(good(), [], 1), timeout=30).parameter_assignments) == 1


BAD_SETTINGS = [
    ("tpe", {"random_state": "-1", "gamma": "abc"}),
    ("multivariate-tpe", {"n_startup_trials": "x"}),
    ("cmaes", {"sigma": "-2"}),
    ("hyperband", {"resource_name": "nope", "r_l": "9"}),
    ("tpe", {"kubetune.objectives": "{score: maximize, latency: minimize}"}),
    ("tpe", {"kubetune.conditions": "k: {when: {nothing: [1]}}"}),
    ("tpe", {"kubetune.unknown": "1"}),
]


@pytest.mark.parametrize("algorithm, settings", BAD_SETTINGS, ids=[f"{a}-{next(iter(s))}" for a, s in BAD_SETTINGS])
def test_bad_settings_answer_the_messages_kubetune_validate_prints(suggestion, tmp_path, capsys, algorithm, settings):
    doc = katib_experiment("bad", algorithm, settings=settings, parallel=9 if algorithm == "hyperband" else 2,
                           max_trials=12)
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(doc))
    main(["validate", str(path)])
    printed = validate_errors(capsys.readouterr().err, str(path))
    assert printed
    code, details = status_of(suggestion.stub.ValidateAlgorithmSettings,
                              api.ValidateAlgorithmSettingsRequest(experiment=experiment_pb_unchecked(doc)))
    assert code == grpc.StatusCode.INVALID_ARGUMENT
    for problem in printed:
        assert problem in details, (problem, details)
    code, details = status_of(suggestion.stub.GetSuggestions, request(experiment_pb_unchecked(doc), [], 1))
    assert code == grpc.StatusCode.INVALID_ARGUMENT and printed[0] in details


def validate_errors(stderr: str, path: str) -> list[str]:
    """The problems `kubetune validate` printed that make the Experiment unrunnable by kubetune:
    errors (`FILE: PROBLEM` while loading, `FILE: NAME: error: PROBLEM`) and the warnings for
    settings Katib lets through but kubetune run refuses."""
    out = []
    for line in stderr.splitlines():
        if not line.startswith(path + ": "):
            continue
        if ": warning: " in line:
            if "kubetune run refuses" in line:
                out.append(line.split(": warning: ", 1)[1])
            continue
        out.append(line.split(": error: ", 1)[1] if ": error: " in line else line[len(path) + 2:])
    return out


def experiment_pb_unchecked(doc: dict) -> api.Experiment:
    """experiment_pb of a document whose settings kubetune rejects (built from a valid twin)."""
    spec = doc["spec"]
    twin = {**doc, "spec": {**spec, "algorithm": {"algorithmName": "random"}}}
    pb = experiment_pb(twin)
    pb.spec.algorithm.algorithm_name = spec["algorithm"]["algorithmName"]
    for item in spec["algorithm"]["algorithmSettings"]:
        pb.spec.algorithm.algorithm_settings.add(name=item["name"], value=item["value"])
    return pb


def test_valid_settings_validate(suggestion):
    doc = katib_experiment("ok", "tpe", settings={"random_state": "1", "kubetune.objectives":
                                                  "{score: minimize, loss: minimize}"})
    suggestion.stub.ValidateAlgorithmSettings(api.ValidateAlgorithmSettingsRequest(experiment=experiment_pb(doc)),
                                              timeout=30)


def test_health_service_answers_katibs_probe(suggestion):
    """Katib's gRPC readiness/liveness probe asks for service manager.v1beta1.Suggestion."""
    checker = health_pb2_grpc.HealthStub(suggestion.channel)
    reply = checker.Check(health_pb2.HealthCheckRequest(service="manager.v1beta1.Suggestion"), timeout=10)
    assert reply.status == health_pb2.HealthCheckResponse.SERVING
    with pytest.raises(grpc.RpcError) as info:
        checker.Check(health_pb2.HealthCheckRequest(service="something.else"), timeout=10)
    assert info.value.code() == grpc.StatusCode.NOT_FOUND


def test_params_fixture_is_the_experiments():
    assert [p["name"] for p in PARAMS] == ["x", "y", "k"]
