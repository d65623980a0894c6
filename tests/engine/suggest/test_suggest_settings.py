"""Settings and distributions are validated like Katib's services do (katib-semantics 2.2)."""

from __future__ import annotations

import logging

import pytest

from kubetune.engine.suggest import (
    SuggestionError,
    make_suggester,
    objective_direction,
    register_algorithm,
    registered_algorithms,
    validate_algorithm,
)
from kubetune.engine.suggest.registry import AlgorithmRequest, ExperimentLimits
from optuna.study import StudyDirection
from suggest_helpers import p_cat, p_double, p_int

PARAMS = [p_double("lr", 0.001, 0.1), p_int("units", 8, 64), p_cat("opt", "sgd", "adam")]

BAD = [
    ("random", {"seed": "1"}, ["unknown setting 'seed'", "random_state"]),
    ("random", {"random_state": "-1"}, ["'random_state'", "'-1'", ">= 0"]),
    ("random", {"random_state": "1.5"}, ["'random_state'", "'1.5'", "integer"]),
    ("tpe", {"gamma": "1.0"}, ["'gamma'", "(0, 1)"]),
    ("tpe", {"gamma": "x"}, ["'gamma'", "'x'"]),
    ("tpe", {"prior_weight": "0"}, ["'prior_weight'", "(0"]),
    ("tpe", {"n_EI_candidates": "0"}, ["'n_EI_candidates'", ">= 1"]),
    ("tpe", {"n_startup_trials": "5"}, ["unknown setting 'n_startup_trials'", "gamma",
                                        "n_EI_candidates"]),
    ("multivariate-tpe", {"n_startup_trials": "-1"}, ["'n_startup_trials'", ">= 0"]),
    ("multivariate-tpe", {"n_ei_candidates": "0"}, ["'n_ei_candidates'", ">= 1"]),
    ("multivariate-tpe", {"gamma": "0.2"}, ["unknown setting 'gamma'", "n_ei_candidates"]),
    ("grid", {"random_state": "x"}, ["'random_state'", "'x'"]),
    ("grid", {"n": "1"}, ["unknown setting 'n'", "random_state"]),
    ("cmaes", {"restart_strategy": "lpop"}, ["'restart_strategy'", "'ipop'", "'bipop'", "'none'"]),
    ("cmaes", {"sigma": "-0.5"}, ["'sigma'", "(0"]),
    ("cmaes", {"random_state": "-3"}, ["'random_state'"]),
    ("bayesianoptimization", {"base_estimator": "SVM"}, ["'base_estimator'", "'GP'", "'GBRT'"]),
    ("bayesianoptimization", {"acq_func": "UCB"}, ["'acq_func'", "'gp_hedge'", "'PIps'"]),
    ("bayesianoptimization", {"acq_optimizer": "adam"}, ["'acq_optimizer'", "'lbfgs'"]),
    ("bayesianoptimization", {"n_initial_points": "-1"}, ["'n_initial_points'", ">= 0"]),
    ("bayesianoptimization", {"xi": "0.1"}, ["unknown setting 'xi'", "acq_func"]),
    ("random", {"kubetune.allow_normal": "yes"}, ["'kubetune.allow_normal'", "'true'", "'false'"]),
    ("random", {"kubetune.fancy": "1"}, ["'kubetune.fancy'", "kubetune.allow_normal"]),
]


@pytest.mark.parametrize("algorithm, settings, words", BAD,
                         ids=[f"{a}-{next(iter(s))}" for a, s, _ in BAD])
def test_bad_settings_name_the_setting_and_what_is_allowed(algorithm, settings, words):
    with pytest.raises(SuggestionError) as err:
        make_suggester(algorithm, settings, PARAMS, "minimize")
    message = str(err.value)
    assert repr(algorithm) in message
    for word in words:
        assert word in message, message


GOOD = [
    ("random", {"random_state": "0"}),
    ("tpe", {"gamma": "0.3", "prior_weight": "2", "n_EI_candidates": "10", "random_state": "1"}),
    ("multivariate-tpe", {"n_startup_trials": "0", "n_ei_candidates": "5", "random_state": "1"}),
    ("grid", {"random_state": "1"}),
    ("sobol", {"anything": "is ignored"}),
    ("bayesianoptimization", {"base_estimator": "RF", "n_initial_points": "0", "acq_func": "LCB",
                              "acq_optimizer": "sampling", "random_state": "1"}),
    ("random", {"kubetune.allow_normal": "false"}),
]


@pytest.mark.parametrize("algorithm, settings", GOOD, ids=[a for a, _ in GOOD])
def test_settings_katib_accepts_are_accepted(algorithm, settings):
    params = [p_double("lr", 0.001, 0.1, 0.001), p_int("units", 8, 64), p_cat("opt", "sgd", "adam")]
    suggestions = make_suggester(algorithm, settings, params, "maximize").suggest(2, [])
    assert len(suggestions) == 2


def test_cmaes_needs_two_numeric_parameters():
    with pytest.raises(SuggestionError, match="two or more dimensional continuous search space"):
        make_suggester("cmaes", {}, [p_double("lr", 0.1, 1.0), p_cat("c", "a", "b")], "minimize")


def test_cmaes_ignores_unknown_settings_like_goptuna(caplog):
    with caplog.at_level(logging.WARNING):
        validate_algorithm("cmaes", {"popsize": "8"}, PARAMS)
    assert "popsize" in caplog.text


def test_unknown_algorithm_lists_the_known_ones():
    with pytest.raises(SuggestionError, match="unknown algorithm 'pbt'.*bayesianoptimization"):
        make_suggester("pbt", {}, PARAMS, "minimize")


def test_objective_direction():
    assert objective_direction("minimize") == StudyDirection.MINIMIZE
    assert objective_direction("maximize") == StudyDirection.MAXIMIZE
    with pytest.raises(SuggestionError, match="'Maximize'.*'minimize', 'maximize'"):
        objective_direction("Maximize")
    with pytest.raises(SuggestionError, match="objective type"):
        make_suggester("random", {}, PARAMS, "max")


NORMAL = [p_double("lr", 0.001, 0.1, dist="normal"), p_int("units", 8, 64)]
LOG_NORMAL = [p_double("lr", 0.001, 0.1, dist="logNormal"), p_int("units", 8, 64)]
INT_LOG = [p_double("lr", 0.001, 0.1), p_int("units", 8, 64, dist="logUniform")]


@pytest.mark.parametrize("algorithm, params, service", [
    ("multivariate-tpe", NORMAL, "Optuna"),
    ("multivariate-tpe", LOG_NORMAL, "Optuna"),
    ("bayesianoptimization", NORMAL, "Skopt"),
    ("cmaes", LOG_NORMAL, "Goptuna"),
    ("sobol", NORMAL, "Goptuna"),
    ("sobol", INT_LOG, "Goptuna"),
    ("cmaes", INT_LOG, "Goptuna"),
])
def test_distributions_katib_rejects_need_the_kubetune_flag(algorithm, params, service):
    with pytest.raises(SuggestionError) as err:
        make_suggester(algorithm, {}, params, "minimize")
    message = str(err.value)
    assert "Unsupported distribution" in message and service in message
    assert "kubetune.allow_normal" in message
    validate_algorithm(algorithm, {"kubetune.allow_normal": "true"}, params)


@pytest.mark.parametrize("algorithm, settings", [
    ("random", {}), ("tpe", {}), ("grid", {}),
    ("hyperband", {"resource_name": "units", "r_l": "9"}),
])
def test_algorithms_whose_katib_service_accepts_normal_need_no_flag(algorithm, settings):
    params = [p_double("lr", 0.001, 0.1, 0.001, dist="normal"), p_int("units", 1, 64)]
    validate_algorithm(algorithm, settings, params)


def test_other_modules_can_register_an_algorithm():
    seen = []

    class Fixed:
        def suggest(self, count, trials):
            return []

    def check(request: AlgorithmRequest, limits: ExperimentLimits) -> None:
        seen.append((request.algorithm, dict(request.settings), dict(request.extensions),
                     limits.max_trial_count))
        if request.settings.get("ratio") == "bad":
            raise SuggestionError("algorithm 'fixed-product-test': setting 'ratio' is bad")

    register_algorithm("fixed-product-test", lambda request: Fixed(), check, replace=True)
    assert "fixed-product-test" in registered_algorithms()
    with pytest.raises(ValueError, match="already registered"):
        register_algorithm("fixed-product-test", lambda request: Fixed(), check)
    settings = {"ratio": "2", "kubetune.allow_normal": "true"}
    suggester = make_suggester("fixed-product-test", settings, PARAMS, "maximize")
    assert suggester.suggest(3, []) == []
    with pytest.raises(SuggestionError, match="'ratio' is bad"):
        validate_algorithm("fixed-product-test", {"ratio": "bad"}, PARAMS, max_trial_count=5)
    assert seen == [("fixed-product-test", {"ratio": "2"}, {"kubetune.allow_normal": "true"}, None),
                    ("fixed-product-test", {"ratio": "bad"}, {}, 5)]
