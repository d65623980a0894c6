"""random and tpe quantise a step as Katib's hyperopt service does.

Katib (pkg/suggestion/v1beta1/hyperopt/base_service.py): uniform with a step -> hp.quniform(min,
max, step), logUniform with a step -> hp.qloguniform(ln min, ln max, step); an int always has a
step (internal/search_space.py fills 1), then int(). hyperopt (pyll/stochastic.py): quniform =
np.round(uniform(low, high) / q) * q, qloguniform = np.round(exp(uniform(low, high)) / q) * q.
So values are multiples of the step counted from 0 (not min + k * step), the two ends get half
weight, and a value can lie past min or max. Expected values below come from those formulas,
not from kubetune's code."""

from __future__ import annotations

import logging
import math
from collections import Counter

import numpy as np
import pytest

from kubetune.algorithms import make_suggester
from kubetune.algorithms.space import ParamCodec, SearchSpace, hyperopt_options
from algorithms_helpers import assert_in_domain, p_double, p_int, run, view

HYPEROPT = hyperopt_options("tpe")


def _hyperopt(lo: float, hi: float, step: float, u: float, log: bool, is_int: bool):
    """Katib's hyperopt value for the uniform draw at quantile u, independent of kubetune."""
    x = math.exp(math.log(lo) + u * (math.log(hi) - math.log(lo))) if log else lo + u * (hi - lo)
    x = float(np.round(x / step) * step)
    return int(x) if is_int else x


def _draws(algorithm: str, params, n: int, seed: int = 0) -> dict[str, list[str]]:
    suggester = make_suggester(algorithm, {"random_state": str(seed)}, params, "minimize", seed=seed)
    out = suggester.suggest(n, [])
    return {p.name: [s.assignments[p.name] for s in out] for p in params}


def test_an_int_has_half_weight_ends_and_steps_count_from_zero():
    """3000 seeded draws: int [1, 10] gives 1..10 with 1 and 10 half as frequent (p 1/18 against
    1/9); int [2, 23] step 4 gives multiples of 4 up to 24, past max (min + k * step would give
    2, 6, ..., 22)."""
    draws = _draws("random", [p_int("n", 1, 10), p_int("m", 2, 23, 4)], 3000, seed=5)
    counts = Counter(int(v) for v in draws["n"])
    assert set(counts) == set(range(1, 11))
    middle = sum(counts[k] for k in range(2, 10)) / 8  # expected 333
    ends = (counts[1] + counts[10]) / 2  # expected 167
    assert 0.4 < ends / middle < 0.6, counts
    m = Counter(int(v) for v in draws["m"])
    assert set(m) == {4, 8, 12, 16, 20, 24}  # 0 needs a draw of exactly min
    assert 0.03 < m[24] / 3000 < 0.07  # draws in [22, 23): 1/21 = 0.048


def test_a_double_step_quantises_from_zero():
    """double [1, 10] step 2: multiples of 2; 10 from draws in [9, 10) (p 1/9), 2..8 p 2/9; 0.0
    only from a draw of exactly min (round(0.5) = 0)."""
    draws = _draws("random", [p_double("q", 1.0, 10.0, 2.0)], 3000, seed=2)
    counts = Counter(draws["q"])
    assert set(counts) == {"2.0", "4.0", "6.0", "8.0", "10.0"}
    assert 0.4 < counts["10.0"] / (sum(counts[v] for v in ("2.0", "4.0", "6.0", "8.0")) / 4) < 0.6
    codec = ParamCodec(p_double("q", 1.0, 10.0, 2.0), **HYPEROPT)
    assert codec.from_unit(0.0) == "0.0" and codec.from_unit(1.0) == "10.0"


def test_an_int_log_uniform_is_hyperopts_qloguniform():
    """int [1, 1000] logUniform: round(exp(U(0, ln 1000))): p(1) = ln 1.5 / ln 1000 = 0.0587,
    p(2) = ln(2.5 / 1.5) / ln 1000 = 0.0739; with step 3, 0 comes from draws in [1, 1.5)."""
    draws = _draws("random", [p_int("n", 1, 1000, dist="logUniform"),
                              p_int("k", 1, 100, 3, dist="logUniform")], 4000, seed=1)
    counts = Counter(int(v) for v in draws["n"])
    assert counts[1] / 4000 == pytest.approx(math.log(1.5) / math.log(1000), abs=0.012)
    assert counts[2] / 4000 == pytest.approx(math.log(2.5 / 1.5) / math.log(1000), abs=0.012)
    ks = Counter(int(v) for v in draws["k"])
    assert all(k % 3 == 0 and 0 <= k <= 99 for k in ks)
    assert ks[0] / 4000 == pytest.approx(math.log(1.5) / math.log(100), abs=0.015)  # 0.088


@pytest.mark.parametrize("lo, hi, step, dist, is_int", [
    (1, 10, 1, "uniform", True), (1, 10, 3, "uniform", True), (-7, 5, 2, "uniform", True),
    (1.0, 10.0, 2.0, "uniform", False), (0.15, 0.95, 0.1, "uniform", False),
    (1, 1000, 1, "logUniform", True), (1, 100, 3, "logUniform", True),
    (0.01, 1.0, 0.01, "logUniform", False),
])
def test_each_quantile_is_hyperopts_value_and_round_trips(lo, hi, step, dist, is_int):
    param = (p_int if is_int else p_double)("x", lo, hi, step, dist=dist)
    codec = ParamCodec(param, **HYPEROPT)
    seen = set()
    for u in np.linspace(0.0, 1.0, 2001):
        expected = _hyperopt(lo, hi, step, float(u), dist == "logUniform", is_int)
        got = codec.from_unit(float(u))
        seen.add(got)
        if is_int:
            assert got == str(expected), u
        else:
            assert float(got) == pytest.approx(expected, rel=1e-12, abs=1e-12), u
    for value in seen:  # every value it gives maps back to a quantile that gives it again
        assert codec.from_unit(codec.to_unit(value)) == value, value


def test_to_unit_accepts_katibs_own_spelling_and_refuses_what_hyperopt_never_gives():
    codec = ParamCodec(p_double("q", 0.0, 1.0, 0.1), **HYPEROPT)
    assert codec.from_unit(codec.to_unit("0.30000000000000004")) == "0.3"  # str(3 * 0.1)
    ints = ParamCodec(p_int("n", 3, 10, 2), **HYPEROPT)  # round(3 / 2) = 2 -> 4: never 2
    assert ints.from_unit(0.0) == "4"
    for bad in ("2", "5", "12", "nan"):
        with pytest.raises(ValueError):
            ints.to_unit(bad)


def test_other_algorithms_keep_the_grid_from_min():
    for algorithm in ("multivariate-tpe", "cmaes", "sobol", "hyperband"):
        assert hyperopt_options(algorithm) == {"unclipped_normal": False, "hyperopt_quantised": False}
    codec = ParamCodec(p_int("m", 2, 23, 4))
    assert {codec.from_unit(u) for u in np.linspace(0, 1, 101)} == {"2", "6", "10", "14", "18", "22"}


def test_tpe_resumes_from_values_only_hyperopt_gives(caplog):
    """A resumed tpe adopts every trial, values past min/max included (as a cluster's hyperopt
    gives them), and its coordinates decode back to the assignments."""
    params = [p_int("n", 1, 10, 3), p_double("x", 0.05, 0.95, 0.1), p_int("k", 1, 100, 3, dist="logUniform")]
    first = make_suggester("tpe", {"random_state": "4"}, params, "minimize", seed=4)
    done = run(first, lambda a: abs(float(a["x"]) - 0.5) + int(a["n"]) / 10, 8, batch=2)
    old = done + [view("cluster0", {"n": "0", "x": "0.0", "k": "0"}, objective=3.0),
                  view("cluster1", {"n": "9", "x": "0.30000000000000004", "k": "99"}, objective=2.0)]
    second = make_suggester("tpe", {"random_state": "4"}, params, "minimize", seed=4)
    with caplog.at_level(logging.WARNING):
        new = second.suggest(2, old)
    assert "cannot use trial" not in caplog.text
    frozen = second.study.get_trials(deepcopy=False)
    assert len(frozen) == len(old) + 2
    space = SearchSpace(params, **HYPEROPT)
    for trial, frozen_trial in zip(done, frozen):
        assert space.from_optuna(frozen_trial.params) == trial.assignments
    assert_in_domain(params, done + new, hyperopt=True)


def test_a_tpe_experiment_resumes_through_the_local_engine(tmp_path, caplog):
    """kubetune run's engine, real trial processes: a finished tpe experiment whose budget is
    raised adopts its trials (hyperopt's values, 0 past min included) and samples on."""
    import sys
    from pathlib import Path

    from kubetune.engine import LocalEngine
    from kubetune.experiment import experiment_from_dict

    sys.path.insert(0, str(Path(__file__).parents[1] / "engine"))
    from engine_helpers import experiment

    space = [{"name": "x", "parameterType": "double",
              "feasibleSpace": {"min": "0.05", "max": "0.95", "step": "0.1"}},
             {"name": "y", "parameterType": "int", "feasibleSpace": {"min": "1", "max": "10", "step": "3"}}]
    raw = experiment("quantised", parameters=space, algorithm="tpe", settings={"random_state": "2"},
                     max_trials=4, parallel=2)
    first = LocalEngine(experiment_from_dict(raw), tmp_path, seed=2, gpus=[]).run()
    raw["spec"]["maxTrialCount"] = 8
    with caplog.at_level(logging.WARNING):
        more = LocalEngine(experiment_from_dict(raw), tmp_path, seed=2, gpus=[]).run()
    assert "cannot use trial" not in caplog.text
    assert [t.state for t in more.trials] == ["Succeeded"] * 8
    assert [t.assignments for t in more.trials[:4]] == [t.assignments for t in first.trials]
    values = {name: {t.assignments[name] for t in more.trials} for name in ("x", "y")}
    assert values["y"] <= {"0", "3", "6", "9"} and values["x"] <= {f"0.{d}" for d in range(1, 10)} | {"0.0"}
