"""Property-based fuzzing: whatever the input, loading either works or raises SpecError."""
from __future__ import annotations

import copy
import datetime
import json

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kubetune.algorithms import check, service_errors
from kubetune.experiment import SpecError, experiment_from_dict, load_experiments
from experiment_helpers import ALGORITHM_FIXTURES, read_doc

FUZZ = settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck))
QUICK = settings(max_examples=50, deadline=None, suppress_health_check=list(HealthCheck))

KNOWN_KEYS = [
    "apiVersion", "kind", "metadata", "name", "namespace", "spec", "status", "annotations", "labels",
    "parameters", "parameterType", "feasibleSpace", "min", "max", "step", "list", "distribution",
    "objective", "type", "goal", "objectiveMetricName", "additionalMetricNames", "metricStrategies", "value",
    "algorithm", "algorithmName", "algorithmSettings", "earlyStopping", "trialTemplate", "trialSpec",
    "trialParameters", "reference", "primaryContainerName", "successCondition", "failureCondition",
    "configMap", "retain", "parallelTrialCount", "maxTrialCount", "maxFailedTrialCount", "resumePolicy",
    "metricsCollectorSpec", "collector", "source", "fileSystemPath", "path", "format", "filter",
    "metricsFormat", "httpGet", "port", "customCollector", "nasConfig", "graphConfig", "numLayers",
    "inputSizes", "operations", "operationType", "containers", "command", "args", "template",
]
KNOWN_VALUES = ["kubeflow.org/v1beta1", "Experiment", "Job", "batch/v1", "int", "double", "categorical",
                "discrete", "unknown", "minimize", "maximize", "random", "grid", "hyperband", "pbt", "enas",
                "medianstop", "File", "StdOut", "TensorFlowEvent", "Custom", "PrometheusMetric", "TEXT",
                "JSON", "FromVolume", "${trialParameters.lr}", "${trialSpec.Labels[a]}", "0.1", "-1", "abc",
                "logUniform", "normal", "/abs/path", "(a)(b)", "(", "r_l", "resource_name"]

scalars = (st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70)
           | st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=12)
           | st.sampled_from(KNOWN_VALUES) | st.dates() | st.datetimes())
keys = st.sampled_from(KNOWN_KEYS) | st.text(max_size=8) | st.integers(-3, 3) | st.none() | st.booleans()
values = st.recursive(scalars, lambda children: st.lists(children, max_size=4)
                      | st.dictionaries(keys, children, max_size=5), max_leaves=15)


def loads_or_spec_error(doc) -> None:
    try:
        exp = experiment_from_dict(doc, "fuzz.yaml", service_checks=service_errors)
    except SpecError as exc:
        assert exc.problems and str(exc)
        return
    # a loaded Experiment must be usable end to end
    errors, warnings = check(exp)
    assert errors == []
    exp.parameters, exp.objective, exp.algorithm, exp.early_stopping, exp.metric_names  # noqa: B018
    json.dumps(exp.document())  # the engine stores the defaulted document as JSON


@QUICK
@given(values)
def test_arbitrary_objects(obj):
    loads_or_spec_error(obj)


@QUICK
@given(st.dictionaries(keys, values, max_size=6))
def test_arbitrary_documents_with_plausible_keys(doc):
    doc.setdefault("apiVersion", "kubeflow.org/v1beta1")
    doc.setdefault("kind", "Experiment")
    loads_or_spec_error(doc)


def _paths(node, prefix=()):
    yield prefix
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _paths(v, prefix + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _paths(v, prefix + (i,))


BASES = {name: read_doc(f) for name, f in ALGORITHM_FIXTURES.items()}
BASE_PATHS = {name: [p for p in _paths(doc) if p] for name, doc in BASES.items()}
TEXTS = {name: yaml.safe_dump(doc, sort_keys=False) for name, doc in BASES.items()}


def same_type(old):
    if isinstance(old, bool):
        return st.booleans()
    if isinstance(old, int):
        return st.integers(-2, 20)
    if isinstance(old, str):
        return st.sampled_from(KNOWN_VALUES) | st.text(max_size=6) | st.just(old + old)
    if isinstance(old, list):
        return st.lists(st.sampled_from(old), max_size=len(old) + 1) if old else st.just([])
    return values


@st.composite
def mutated_documents(draw):
    name = draw(st.sampled_from(sorted(BASES)))
    doc = copy.deepcopy(BASES[name])
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(BASE_PATHS[name]))
        parent = doc
        try:
            for part in path[:-1]:
                parent = parent[part]
            old = parent[path[-1]]
            how = draw(st.sampled_from(["delete", "anything", "same-type", "same-type", "same-type"]))
            if how == "delete" and isinstance(parent, dict):
                parent.pop(path[-1])
            elif how == "same-type":  # passes Katib's decode, so validation and lint get exercised
                parent[path[-1]] = draw(same_type(old))
            else:
                parent[path[-1]] = draw(values)
        except (KeyError, IndexError, TypeError):
            continue  # an earlier mutation removed this path
    return doc


@FUZZ
@given(mutated_documents())
def test_mutated_valid_experiments(doc):
    loads_or_spec_error(doc)


@FUZZ
@given(st.text(max_size=200))
def test_arbitrary_text(text):
    try:
        load_experiments(text)
    except SpecError as exc:
        assert str(exc)


@FUZZ
@given(st.sampled_from(sorted(BASES)), st.integers(0, 10_000), st.integers(0, 12), st.text(max_size=6))
def test_spliced_yaml_text(name, at, cut, insert):
    text = TEXTS[name]
    at %= len(text)
    mutated = text[:at] + insert + text[at + cut:]
    try:
        for exp in load_experiments(mutated):
            check(exp)
    except SpecError as exc:
        assert str(exc)


def test_fuzz_strategies_do_reach_valid_documents():
    """Guard against a fuzz suite that only ever exercises the error path."""
    doc = copy.deepcopy(BASES["random"])
    doc["metadata"]["annotations"] = {"when": datetime.date(2024, 1, 1).isoformat()}
    loads_or_spec_error(doc)
    assert experiment_from_dict(doc).name == "random-example"


@FUZZ
@given(mutated_documents())
def test_check_and_lint_never_crash_on_decodable_but_invalid_specs(doc):
    """check() is also used on specs edited after loading, so it must survive invalid content."""
    from kubetune.experiment import Experiment, apply_defaults
    from kubetune.experiment.decode import decode_experiment

    if not isinstance(doc.get("spec"), dict):
        return
    decoded, problems = decode_experiment(doc)
    if any(p.is_error for p in problems):
        return
    defaulted = apply_defaults(decoded)
    meta = defaulted.get("metadata") or {}
    exp = Experiment(name=meta.get("name") or "", raw=doc, spec=defaulted["spec"], load_warnings=problems)
    errors, warnings = check(exp)
    assert all(p.severity == "error" for p in errors) and all(p.severity == "warning" for p in warnings)
