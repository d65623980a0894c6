"""Per-parameter sampling and formatting (kubetune/algorithms/space.py)."""

from __future__ import annotations

import math
import random
import statistics

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kubetune.algorithms import SuggestionError
from kubetune.algorithms.space import ParamCodec, SearchSpace
from algorithms_helpers import every_kind, in_feasible_space, p_cat, p_double, p_int
from kubetune.experiment.space import Parameter


@pytest.mark.parametrize("param", every_kind(), ids=lambda p: p.name)
def test_prior_quantiles_stay_in_the_feasible_space(param):
    codec = ParamCodec(param)
    for u in [0.0, 1e-12, 0.25, 0.5, 0.75, 1 - 1e-12, 1.0] + [random.Random(7).random()]:
        value = codec.from_unit(u)
        assert in_feasible_space(param, value), (u, value)


@pytest.mark.parametrize("param", every_kind(), ids=lambda p: p.name)
def test_optuna_representation_round_trips(param):
    codec = ParamCodec(param)
    dist = codec.optuna_distribution
    rng = random.Random(3)
    for _ in range(50):
        value = codec.from_unit(rng.random())
        internal = codec.to_optuna(value)
        assert dist._contains(dist.to_internal_repr(internal))
        back = codec.from_optuna(internal)
        if codec.mode == "unit" and param.step is None and param.type == "double":
            assert float(back) == pytest.approx(float(value), rel=1e-9, abs=1e-12)  # CDF round trip
        else:
            assert back == value


numeric_params = st.one_of(
    st.builds(
        lambda lo, width, step, dist: Parameter("x", "int", lo, lo + width, step,
                                                distribution=dist),
        st.integers(-50, 200), st.integers(0, 300), st.one_of(st.none(), st.integers(1, 40)),
        st.sampled_from(["uniform", "logUniform", "normal"]),
    ),
    st.builds(
        lambda lo, width, step, dist: Parameter("x", "double", lo, lo + width, step,
                                                distribution=dist),
        st.floats(-10, 10), st.floats(0, 50),
        st.one_of(st.none(), st.sampled_from([0.001, 0.01, 0.1, 0.25, 0.3, 1.0, 2.5])),
        st.sampled_from(["uniform", "logUniform", "normal"]),
    ),
)


@settings(max_examples=200, deadline=None)
@given(param=numeric_params, u=st.floats(0, 1))
def test_any_numeric_parameter_samples_inside_its_domain(param, u):
    try:
        codec = ParamCodec(param)
    except SuggestionError:
        # only a log scale with max <= 0, or a step grid with no point >= the log floor
        assert param.distribution == "logUniform"
        return
    assert in_feasible_space(param, codec.from_unit(u))


def test_step_grid_doubles_are_written_without_binary_noise():
    codec = ParamCodec(p_double("x", 0.1, 0.9, 0.1))
    values = {codec.from_unit(u / 1000) for u in range(1000)}
    assert values == {"0.1", "0.2", "0.3", "0.4", "0.5", "0.6", "0.7", "0.8", "0.9"}


def test_int_values_are_integer_strings_and_reach_both_ends():
    codec = ParamCodec(p_int("n", 1, 4))
    values = [codec.from_unit(u / 100) for u in range(100)]
    assert set(values) == {"1", "2", "3", "4"}
    assert values.count("1") == values.count("4") == 25  # uniform over the four values


def test_truncated_normal_has_the_documented_mean_and_spread():
    lo, hi = 2.0, 8.0
    codec = ParamCodec(p_double("x", lo, hi, dist="normal"))
    rng = random.Random(11)
    xs = [float(codec.from_unit(rng.random())) for _ in range(20000)]
    assert min(xs) >= lo and max(xs) <= hi
    sigma = (hi - lo) / 6
    # a normal cut at +-3 sigma keeps ~98.7 % of its standard deviation
    assert statistics.fmean(xs) == pytest.approx((lo + hi) / 2, abs=0.02)
    assert statistics.pstdev(xs) == pytest.approx(sigma * 0.9866, rel=0.02)


def test_log_normal_is_symmetric_on_the_log_scale():
    codec = ParamCodec(p_double("lr", 1e-4, 1.0, dist="logNormal"))
    rng = random.Random(5)
    logs = [math.log10(float(codec.from_unit(rng.random()))) for _ in range(20000)]
    assert statistics.fmean(logs) == pytest.approx(-2.0, abs=0.02)
    assert statistics.median(logs) == pytest.approx(-2.0, abs=0.03)


def test_log_uniform_clamps_min_like_katibs_optuna_service():
    codec = ParamCodec(p_int("n", 0, 10, dist="logUniform"))
    assert codec.optuna_distribution.low == 1
    assert codec.from_unit(0.0) == "1"
    assert ParamCodec(p_double("x", 0.0, 1.0, dist="logUniform")).optuna_distribution.low == 1e-10


@pytest.mark.parametrize("param, words", [
    (p_double("x", -1.0, -0.5, dist="logUniform"), ["logUniform", "max"]),
    (p_double("x", 0.0, 1.0, dist="logNormal"), ["logNormal", "min > 0"]),
    (p_double("x", 0.0, 1.0, dist="gaussian"), ["gaussian", "uniform"]),
    (Parameter("x", "unknown", 0, 1), ["unknown", "int, double"]),
    (p_cat("c"), ["list is empty"]),
])
def test_unusable_parameters_are_rejected_by_name(param, words):
    with pytest.raises(SuggestionError) as err:
        ParamCodec(param)
    for word in ["x" if param.name == "x" else param.name, *words]:
        assert word in str(err.value)


def test_foreign_values_outside_the_domain_are_not_representable():
    space = SearchSpace([p_int("n", 1, 10, 3), p_cat("c", "a", "b")])
    assert space.to_optuna({"n": "4", "c": "b"}) == {"n": 4, "c": "b"}
    for bad in ({"n": "5", "c": "a"}, {"n": "13", "c": "a"}, {"n": "4", "c": "z"}, {"n": "4"}):
        with pytest.raises(ValueError):
            space.to_optuna(bad)


def test_duplicate_parameter_names_are_rejected():
    with pytest.raises(SuggestionError, match="duplicated parameter name.*n"):
        SearchSpace([p_int("n", 1, 2), p_int("n", 1, 3)])
