"""Every algorithm returns values inside the feasible space, for every type and distribution."""

from __future__ import annotations

import math

import pytest

from kubetune.algorithms import make_suggester, registered_algorithms
from algorithms_helpers import (
    assert_in_domain,
    every_kind,
    numeric_only,
    p_cat,
    p_double,
    p_int,
    run,
)

ALLOW = {"kubetune.allow_normal": "true"}
HYPEROPT = ("random", "tpe")  # Katib's hyperopt service: unclipped normals, hp.quniform steps
BO_KINDS = {"i_log_step", "d_norm_step", "d_lognorm", "cat", "disc"}


def bumpy(assignments: dict[str, str]) -> float:
    """Objective that depends on every numeric and list value, so model-based samplers move."""
    total = 0.0
    for name, value in sorted(assignments.items()):
        try:
            x = float(value)
        except ValueError:
            x = float(len(value))
        total += math.sin(x + len(name)) + 0.01 * abs(x) ** 0.5
    return total


CASES = [
    # (an int logUniform from 0 hangs Katib's hyperopt, math.log(0): random and tpe refuse it)
    ("random", {}, [p for p in every_kind() if p.name != "i_log_zero"], 60, 4),
    ("tpe", {"random_state": "3"}, [p for p in every_kind() if p.name != "i_log_zero"], 60, 4),
    ("multivariate-tpe", {"n_startup_trials": "8", "random_state": "3", **ALLOW}, every_kind(),
     60, 4),
    ("sobol", ALLOW, every_kind(), 60, 4),
    # GPSampler's acquisition search costs ~1 s per ask for many parameters on 2 cores
    pytest.param("bayesianoptimization", {"n_initial_points": "4", "random_state": "3", **ALLOW},
                 [p for p in every_kind() if p.name in BO_KINDS], 7, 1, marks=pytest.mark.slow),
    ("cmaes", {"random_state": "3", "sigma": "0.3", **ALLOW},
     numeric_only() + [p_cat("cat", "a", "b")], 60, 4),
    ("hyperband", {"r_l": "9", "eta": "3", "resource_name": "epochs", "random_state": "1"},
     every_kind() + [p_int("epochs", 1, 9)], 22, 5),  # 22 = every trial of R=9, eta=3
    # past 18 (= d + 1) results on one budget, both sample from the TPE model
    ("asha", {"max_resource": "9", "resource_name": "epochs", "random_state": "1", "sampler": "tpe"},
     every_kind() + [p_int("epochs", 1, 9)], 60, 4),
    ("bohb", {"max_resource": "9", "resource_name": "epochs", "random_state": "1"},
     every_kind() + [p_int("epochs", 1, 9)], 60, 4),
    ("grid", {"random_state": "2"},
     [p_int("a", 1, 5, 2), p_double("b", 0.0, 0.5, 0.1), p_cat("c", "x", "y"),
      p_int("d", 1, 64, 9, dist="logUniform"), p_double("e", 0.1, 0.35, 0.05, dist="normal")],
     200, 7),
    # NNI 1.x FixedProductTuner grid for product 2: 109 of the 2541 (alpha, beta, gamma) points
    ("fixed-product", {"product": "2"},
     [p_double("alpha", 1.0, 2.0, 0.05), p_double("beta", 1.0, 1.5, 0.05), p_double("gamma", 1.0, 1.5, 0.05)],
     109, 7),
]


@pytest.mark.parametrize("algorithm, settings, parameters, n_trials, batch", CASES,
                         ids=lambda v: v if isinstance(v, str) else None)
def test_suggestions_lie_in_the_feasible_space(algorithm, settings, parameters, n_trials, batch):
    suggester = make_suggester(algorithm, settings, parameters, "minimize", seed=0)
    trials = run(suggester, bumpy, n_trials, batch=batch)
    assert len(trials) == n_trials
    assert_in_domain(parameters, trials, hyperopt=algorithm in HYPEROPT)


def test_every_registered_algorithm_is_covered():
    assert set(registered_algorithms()) == {
        "random", "tpe", "multivariate-tpe", "cmaes", "bayesianoptimization", "grid", "sobol",
        "hyperband", "fixed-product", "asha", "bohb",
    }


@pytest.mark.parametrize("algorithm", ["random", "tpe"])
def test_normal_distributions_need_no_flag_where_katib_uses_hyperopt(algorithm):
    params = [p_double("x", 0.0, 1.0, dist="normal"), p_int("n", 1, 100, dist="logNormal")]
    suggester = make_suggester(algorithm, {}, params, "maximize", seed=1)
    trials = run(suggester, bumpy, 30, batch=3)
    assert_in_domain(params, trials, hyperopt=True)
    xs = [float(t.assignments["x"]) for t in trials[:12]]  # startup trials: the prior itself
    assert sum(0.2 < x < 0.8 for x in xs) >= 8  # mass concentrates around the middle
