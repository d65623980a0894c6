"""random and tpe sample normal/logNormal as Katib's hyperopt service does (issue 14 item 5).

Katib (pkg/suggestion/v1beta1/hyperopt/base_service.py): normal -> hp.normal(mu, sigma) with
mu = (min + max) / 2, sigma = (max - min) / 6; logNormal -> hp.lognormal with both taken on
ln(min)..ln(max); a step (always set for ints: internal/search_space.py fills 1) -> hp.qnormal /
hp.qlognormal = np.round(draw / q) * q; ints then int(). Nothing is clipped to [min, max].
The expected values below are computed from those formulas, not from kubetune's code."""

from __future__ import annotations

import math
import statistics
from statistics import NormalDist

import numpy as np
import pytest

from kubetune.algorithms import make_suggester
from kubetune.algorithms.space import ParamCodec
from algorithms_helpers import p_double, p_int, run, view, warnings_of


def _hyperopt(lo: float, hi: float, u: float, step: float | None, log: bool, is_int: bool):
    """Katib's hyperopt value at quantile u, written independently of kubetune.algorithms.space."""
    a, b = (math.log(lo), math.log(hi)) if log else (lo, hi)
    x = NormalDist((a + b) / 2, (b - a) / 6).inv_cdf(u)
    x = math.exp(x) if log else x
    if step is not None:
        x = float(np.round(x / step) * step)
    return int(x) if is_int else x


def _draws(algorithm: str, params, n: int, seed: int = 0) -> dict[str, list[str]]:
    suggester = make_suggester(algorithm, {}, params, "minimize", seed=seed)
    out = suggester.suggest(n, [])
    return {p.name: [s.assignments[p.name] for s in out] for p in params}


def test_random_draws_hyperopts_unclipped_normal_and_log_normal():
    """2000 draws with a fixed seed: mean and spread of hp.normal / hp.lognormal, and values past
    min and max (a normal cut at +-3 sigma would never give them, and its sigma is 1.3 % smaller)."""
    params = [p_double("x", 2.0, 8.0, dist="normal"), p_double("lr", 1e-4, 1.0, dist="logNormal")]
    draws = _draws("random", params, 2000)
    xs = [float(v) for v in draws["x"]]
    assert statistics.fmean(xs) == pytest.approx(5.0, abs=0.07)  # 3 standard errors: 0.067
    assert statistics.pstdev(xs) == pytest.approx(1.0, rel=0.05)
    assert any(x < 2.0 for x in xs) and any(x > 8.0 for x in xs)
    logs = [math.log10(float(v)) for v in draws["lr"]]
    assert statistics.fmean(logs) == pytest.approx(-2.0, abs=0.05)
    assert statistics.pstdev(logs) == pytest.approx(4 / 6, rel=0.05)
    outside = sum(not -4 <= v <= 0 for v in logs) + sum(not 2 <= x <= 8 for x in xs)
    assert 2 <= outside <= 30  # expected 0.27 % of 4000 = 10.8


def test_quantised_and_int_values_follow_hyperopts_qnormal():
    """An int is hp.qnormal(mu, sigma, step) then int(): multiples of the step from 0 (not
    min + k * step), unclipped; a double with a step is a multiple of the step."""
    params = [p_int("n", 1, 13, 2, dist="normal"), p_int("k", 10, 20, dist="normal"),
              p_double("q", 0.0, 1.0, 0.05, dist="normal")]
    draws = _draws("random", params, 1500, seed=3)
    ns = [int(v) for v in draws["n"]]
    assert all(n % 2 == 0 for n in ns) and {0, 14} & set(ns)  # 0 and 14 lie past min 1 and max 13
    assert statistics.fmean(ns) == pytest.approx(7.0, abs=0.15)
    ks = [int(v) for v in draws["k"]]
    assert statistics.pstdev(ks) == pytest.approx(math.sqrt((10 / 6) ** 2 + 1 / 12), rel=0.06)
    qs = [float(v) for v in draws["q"]]
    assert all(abs(q / 0.05 - round(q / 0.05)) < 1e-9 for q in qs)
    assert all(len(v.split(".")[-1]) <= 2 for v in draws["q"])  # "0.35", not "0.35000000000000003"


@pytest.mark.parametrize("lo, hi, step, dist, is_int", [
    (2.0, 8.0, None, "normal", False), (0.0, 1.0, 0.05, "normal", False), (1, 13, 2, "normal", True),
    (1e-3, 10.0, None, "logNormal", False), (1, 4096, None, "logNormal", True),
    (0.5, 12.0, 1.0, "logNormal", False),
])
def test_each_quantile_is_hyperopts_value(lo, hi, step, dist, is_int):
    param = (p_int if is_int else p_double)("x", lo, hi, step, dist=dist)
    codec = ParamCodec(param, unclipped_normal=True)
    for u in (1e-6, 0.0007, 0.02, 0.3, 0.5, 0.77, 0.9986, 1 - 1e-6):
        expected = _hyperopt(lo, hi, u, step if step is not None or not is_int else 1, dist == "logNormal", is_int)
        got = codec.from_unit(u)
        if is_int:
            assert got == str(expected), u
        else:
            assert float(got) == pytest.approx(expected, rel=1e-12, abs=1e-12), u


def test_a_qlognormal_can_give_zero_and_every_value_round_trips():
    codec = ParamCodec(p_int("n", 1, 4096, dist="logNormal"), unclipped_normal=True)
    assert codec.from_unit(1e-5) == "0"  # round(exp(mu - 4.26 sigma)) = round(0.0116)
    for value in ("0", "1", "64", "5000", "100000"):
        assert codec.from_unit(codec.to_optuna(value)) == value
    with pytest.raises(ValueError):
        codec.to_optuna("-1")


def test_tpe_adopts_trials_outside_min_max():
    """Values a cluster's hyperopt produced (outside [min, max]) rebuild the TPE model."""
    params = [p_double("x", 0.0, 1.0, dist="normal"), p_int("n", 1, 100, dist="logNormal")]
    suggester = make_suggester("tpe", {"random_state": "1"}, params, "minimize", seed=1)
    old = [view(f"old{i}", {"x": x, "n": n}, objective=float(i))
           for i, (x, n) in enumerate([("-0.2", "0"), ("1.25", "300"), ("0.5", "10")])]
    trials = run(suggester, lambda a: abs(float(a["x"]) - 0.5), 9, batch=3, trials=old)
    assert len(suggester.study.trials) == 9  # the three adopted, none refused


@pytest.mark.parametrize("algorithm", ["random", "tpe"])
@pytest.mark.parametrize("dist", ["normal", "logNormal"])
def test_lint_has_nothing_to_say_where_katib_and_kubetune_sample_alike(make_doc, algorithm, dist):
    doc = make_doc(f"{algorithm}.yaml")
    doc["spec"]["parameters"][0]["feasibleSpace"].update(min="0.01", max="0.1", distribution=dist)
    assert [w for w in warnings_of(doc) if "distribution" in w.path] == []


def test_algorithms_that_truncate_still_say_so(make_doc):
    doc = make_doc("cmaes.yaml")
    doc["spec"]["parameters"][0]["feasibleSpace"].update(min="0.01", max="0.1", distribution="normal")
    doc["spec"]["algorithm"]["algorithmSettings"].append({"name": "kubetune.allow_normal", "value": "true"})
    (w,) = [w for w in warnings_of(doc) if w.path.endswith("distribution")]
    assert "kubetune run samples a normal truncated" in w.message
    assert "(random, tpe)" in w.hint  # the algorithms that sample normal the same everywhere
