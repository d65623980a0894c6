"""The search-space model: parsing Katib's strings, grid values, cardinality, formatting."""
from __future__ import annotations

import numpy as np
import pytest

from kubetune.experiment import Parameter, SpecError, apply_defaults, parse_parameters
from kubetune.experiment.space import space_size


def spec_with(*params: dict) -> dict:
    return apply_defaults({"spec": {"parameters": list(params)}})["spec"]


def p(name, ptype, **space):
    return {"name": name, "parameterType": ptype, "feasibleSpace": space}


def test_parse_parameters_types_and_values():
    params = parse_parameters(spec_with(
        p("lr", "double", min="1e-4", max="0.1", distribution="logUniform"),
        p("layers", "int", min="1", max="8", step="2"),
        p("opt", "categorical", list=["sgd", "adam"]),
        p("bs", "discrete", list=["16", "32"]),
    ))
    assert params == [
        Parameter("lr", "double", 0.0001, 0.1, None, (), "logUniform"),
        Parameter("layers", "int", 1, 8, 2, (), "uniform"),
        Parameter("opt", "categorical", values=("sgd", "adam")),
        Parameter("bs", "discrete", values=("16", "32")),
    ]
    assert isinstance(params[1].min, int) and isinstance(params[0].min, float)


def test_int_grid_defaults_to_step_one_and_includes_max():
    assert Parameter("n", "int", 1, 4).grid_values() == ["1", "2", "3", "4"]
    assert Parameter("n", "int", 1, 8, 3).grid_values() == ["1", "4", "7"]
    assert Parameter("n", "int", 1, 8, 3).cardinality() == 3
    assert Parameter("n", "int", 5, 5).grid_values() == ["5"]


def test_double_grid_follows_numpy_arange_like_katib():
    param = Parameter("lr", "double", 0.01, 0.05, 0.01)
    expected = np.arange(0.01, 0.05 + 0.01, 0.01)
    if expected[-1] > 0.05:
        expected = expected[:-1]
    assert param.grid_values() == [repr(float(v)) for v in expected]
    assert param.grid_values()[0] == "0.01"
    assert param.cardinality() == len(expected)
    # the overshooting last point is dropped
    assert Parameter("x", "double", 0.0, 1.0, 0.3).grid_values() == [
        "0.0", "0.3", "0.6", "0.8999999999999999"]


def test_double_without_step_is_infinite_and_has_no_grid():
    param = Parameter("lr", "double", 0.0, 1.0)
    assert param.cardinality() is None
    with pytest.raises(ValueError, match="needs feasibleSpace.step"):
        param.grid_values()


def test_categorical_grid_is_the_list_verbatim():
    param = Parameter("m", "categorical", values=("b0", "B1", "0.10"))
    assert param.grid_values() == ["b0", "B1", "0.10"]
    assert param.cardinality() == 3


def test_format_value():
    assert Parameter("n", "int", 1, 4).format_value(3) == "3"
    assert Parameter("n", "int", 1, 4).format_value(3.0) == "3"
    assert Parameter("x", "double", 0, 1).format_value(0.1) == "0.1"
    assert Parameter("x", "double", 0, 1).format_value(1) == "1.0"
    assert Parameter("x", "double", 0, 1).format_value(1e-5) == "1e-05"
    assert Parameter("m", "categorical", values=("a",)).format_value("a") == "a"


def test_space_size():
    assert space_size([Parameter("n", "int", 1, 3), Parameter("m", "categorical", values=("a", "b"))]) == 6
    assert space_size([Parameter("n", "int", 1, 3), Parameter("x", "double", 0, 1)]) is None


@pytest.mark.parametrize("space, path, text", [
    (p("lr", "double", min="abc", max="1"), "spec.parameters[0].feasibleSpace.min", 'found "abc"; must be a finite'),
    (p("n", "int", min="1.5", max="4"), "spec.parameters[0].feasibleSpace.min", "must be an integer"),
    (p("n", "int", min="4", max="1"), "spec.parameters[0].feasibleSpace.min", "greater than max"),
    (p("x", "double", min="0", max="1", step="0"), "spec.parameters[0].feasibleSpace.step", "greater than 0"),
    (p("x", "double", min="nan", max="1"), "spec.parameters[0].feasibleSpace.min", "finite"),
    (p("c", "categorical", list=[]), "spec.parameters[0].feasibleSpace.list", "non-empty list"),
    (p("u", "unknown", min="0", max="1"), "spec.parameters[0].parameterType", "no algorithm can sample it"),
])
def test_unparsable_spaces_are_spec_errors_naming_the_field(space, path, text):
    with pytest.raises(SpecError) as info:
        parse_parameters(spec_with(space))
    assert any(pr.path == path and text in pr.message for pr in info.value.problems), info.value


def test_the_same_checks_run_when_loading(doc):
    from experiment_helpers import errors_of, find

    doc["spec"]["parameters"][1]["feasibleSpace"]["min"] = "sixteen"
    problem = find(errors_of(doc), "spec.parameters[1].feasibleSpace.min", "must be an integer")
    assert "Katib reads it as a string" in problem.hint
