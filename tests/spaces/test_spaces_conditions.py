"""The kubetune.io/conditions annotation: parsing, errors that name the key, activity rules."""
from __future__ import annotations

import pytest
from spaces_helpers import p_cat, p_double, p_int

from kubetune.experiment import Parameter
from kubetune.experiment.conditions import CONDITIONS_ANNOTATION, canonical_value, parse_conditions

PARAMS = [
    p_cat("optimizer", "sgd", "adam", "rmsprop"),
    p_double("momentum", 0.5, 0.99),
    p_double("weight_decay", 1e-5, 1e-2, dist="logUniform"),
    p_int("n", 1, 4),
    p_int("kernel", 1, 5, 2),
    Parameter("width", "discrete", values=("16", "32", "64")),
    p_cat("cell", "Conv", "MBConv"),
]


def parse(text: str, params=PARAMS):
    return parse_conditions({CONDITIONS_ANNOTATION: text}, params)


def test_no_annotation_means_no_conditions():
    assert parse_conditions({}, PARAMS) == (None, [])
    assert parse_conditions(None, PARAMS) == (None, [])


def test_parents_values_and_neutral_defaults():
    space, problems = parse("momentum: {when: {optimizer: [sgd, rmsprop]}}\n"
                            "kernel: {when: {cell: Conv, n: [2, 3]}}\n"
                            "weight_decay: {when: {optimizer: adam}, neutral: 0}\n"
                            "cell: {when: {width: [32.0]}, neutral: MBConv}\n")
    assert problems == []
    assert space.neutral("momentum") == "0.5"  # min of a double
    assert space.neutral("kernel") == "1"  # min of an int
    assert space.neutral("weight_decay") == "0.0"  # outside the log range: allowed, typed
    assert space.neutral("cell") == "MBConv"
    # a parameter comes after its parents (cell after width, kernel after cell and n)
    order = space.order
    assert order.index("cell") > order.index("width")
    assert order.index("kernel") > max(order.index("cell"), order.index("n"))
    base = {"optimizer": "sgd", "n": "2", "width": "32", "cell": "Conv"}
    assert space.is_active("momentum", base)
    assert not space.is_active("momentum", {**base, "optimizer": "adam"})
    assert space.is_active("kernel", base)
    assert not space.is_active("kernel", {**base, "n": "4"})
    # an inactive parent makes its child inactive, whatever the parent's value
    assert not space.is_active("kernel", {**base, "width": "64"})
    assert space.neutralise({**base, "width": "64", "kernel": "5", "momentum": "0.7", "weight_decay": "0.001"}) == {
        **base, "width": "64", "cell": "MBConv", "kernel": "1", "momentum": "0.7", "weight_decay": "0.0"}


@pytest.mark.parametrize("text, path, words", [
    ("momentum: {when: {optimiser: [sgd]}}", "momentum.when.optimiser", ['did you mean "optimizer"']),
    ("momentun: {when: {optimizer: [sgd]}}", "momentun", ['did you mean "momentum"']),
    ("momentum: {when: {optimizer: [sdg]}}", "momentum.when.optimizer[0]", ["not a value of optimizer (sgd, adam, rmsprop)"]),
    ("kernel: {when: {n: 7}}", "kernel.when.n", ["integers 1..4"]),
    ("kernel: {when: {n: 2.5}}", "kernel.when.n", ["not a value of n"]),
    ("cell: {when: {momentum: 0.5}}", "cell.when.momentum", ["double parameter", "categorical, discrete, int"]),
    ("momentum: {when: {}}", "momentum.when", ["non-empty mapping"]),
    ("momentum: {when: {optimizer: []}}", "momentum.when.optimizer", ["empty"]),
    ("momentum: {wen: {optimizer: sgd}}", "momentum.wen", ['did you mean "when"']),
    ("momentum: [sgd]", "momentum", ["must be a mapping with `when`"]),
    ("kernel: {when: {n: 2}, neutral: 2.5}", "kernel.neutral", ["int parameter"]),
    ("momentum: {when: {optimizer: sgd}, neutral: fast}", "momentum.neutral", ["give a number"]),
    ("n: {when: {kernel: 1}}\nkernel: {when: {n: 1}}", "", ["cycle: n -> kernel -> n"]),
    ("n: {when: {n: 1}}", "n.when.n", ["cannot depend on itself"]),
    ("- a\n- b", "", ["must be a non-empty mapping"]),
    ("momentum: {when: {optimizer: [sgd]", "", ["not valid YAML"]),
])
def test_errors_name_the_key_and_what_is_allowed(text, path, words):
    space, problems = parse(text)
    assert space is None and problems
    expected = "metadata.annotations[kubetune.io/conditions]" + (f".{path}" if path else "")
    assert any(p.path == expected and p.is_error for p in problems), [str(p) for p in problems]
    text_all = " ".join(str(p) for p in problems)
    for word in words:
        assert word in text_all


def test_annotation_must_be_a_string():
    _, problems = parse_conditions({CONDITIONS_ANNOTATION: {"momentum": {}}}, PARAMS)
    assert "annotation values are strings" in str(problems[0])


def test_canonical_values():
    width = PARAMS[5]
    assert canonical_value(width, 32) == "32"
    assert canonical_value(width, "32.0") == "32"
    assert canonical_value(width, 33) is None
    assert canonical_value(PARAMS[3], "3") == "3"
    assert canonical_value(PARAMS[3], 3.0) == "3"
    assert canonical_value(PARAMS[3], 9) is None
    flag = p_cat("amp", "true", "false")
    assert canonical_value(flag, True) == "true"  # YAML booleans read as Katib writes them
