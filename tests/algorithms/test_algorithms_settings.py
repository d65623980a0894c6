"""The engine applies the algorithms' settings rules (katib-semantics 2.2):
every rejection is a SuggestionError naming the algorithm, the setting's field path, the value
found and what is allowed; `kubetune validate`, lint and `kubetune run` agree on every case."""

from __future__ import annotations

import copy
import logging
from pathlib import Path

import pytest
import yaml

from kubetune.algorithms import (
    Algorithm,
    AlgorithmContext,
    SuggestionError,
    lint,
    make_suggester,
    objective_direction,
    register_algorithm,
    registered_algorithms,
    service_errors,
    unregister_algorithm,
    validate_algorithm,
)
from kubetune.algorithms.space import check_distributions
from kubetune.experiment import SpecError, experiment_from_dict
from kubetune.experiment import distributions as dist_table
from kubetune.experiment.errors import error
from optuna.study import StudyDirection
from algorithms_helpers import p_cat, p_double, p_int

PARAMS = [p_double("lr", 0.001, 0.1), p_int("units", 8, 64), p_cat("opt", "sgd", "adam")]
S0 = "spec.algorithm.algorithmSettings[0]"

BAD = [
    ("random", {"seed": "1"}, [f"{S0}.name", 'unknown setting "seed"', "random_state"]),
    ("random", {"random_state": "-1"}, [f"{S0}.value", "random_state", '"-1"', ">= 0"]),
    ("random", {"random_state": "1.5"}, ["random_state", '"1.5"', "integer"]),
    ("tpe", {"gamma": "1.0"}, ["gamma", '"1.0"', "(0, 1)"]),
    ("tpe", {"gamma": "x"}, ["gamma", '"x"', "must be a number"]),
    ("tpe", {"prior_weight": "0"}, ["prior_weight", '"0"', "greater than 0"]),
    ("tpe", {"prior_weight": "inf"}, ["prior_weight", '"inf"', "finite"]),
    ("tpe", {"n_EI_candidates": "0"}, ["n_EI_candidates", '"0"', "> 0"]),
    ("tpe", {"n_startup_trials": "5"}, ['unknown setting "n_startup_trials"', "gamma",
                                        "n_EI_candidates"]),
    ("multivariate-tpe", {"n_startup_trials": "-1"}, ["n_startup_trials", '"-1"', ">= 0"]),
    ("multivariate-tpe", {"n_ei_candidates": "0"}, ["n_ei_candidates", '"0"', ">= 1"]),
    ("multivariate-tpe", {"gamma": "0.2"}, ['unknown setting "gamma"', "n_ei_candidates"]),
    ("grid", {"random_state": "x"}, ["random_state", '"x"']),
    ("grid", {"n": "1"}, ['unknown setting "n"', "random_state"]),
    ("cmaes", {"restart_strategy": "lpop"}, ["restart_strategy", '"lpop"', "ipop, bipop, none"]),
    ("cmaes", {"sigma": "-0.5"}, ["sigma", '"-0.5"', "greater than 0"]),
    ("cmaes", {"random_state": "-3"}, ["random_state", '"-3"']),
    ("bayesianoptimization", {"base_estimator": "SVM"}, ["base_estimator", '"SVM"', "GP, RF, ET, GBRT"]),
    ("bayesianoptimization", {"acq_func": "UCB"}, ["acq_func", '"UCB"', "gp_hedge", "PIps"]),
    ("bayesianoptimization", {"acq_optimizer": "adam"}, ["acq_optimizer", '"adam"', "lbfgs"]),
    ("bayesianoptimization", {"n_initial_points": "-1"}, ["n_initial_points", '"-1"', ">= 0"]),
    ("bayesianoptimization", {"xi": "0.1"}, ['unknown setting "xi"', "acq_func"]),
    ("random", {"kubetune.allow_normal": "yes"}, [f"{S0}.value", "kubetune.allow_normal", '"yes"',
                                                  "true, false"]),
    ("random", {"kubetune.fancy": "1"}, [f"{S0}.name", '"kubetune.fancy"', "kubetune.allow_normal"]),
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
    with pytest.raises(SuggestionError, match="cmaes needs at least two int/double parameters; "
                                              "found 1"):
        make_suggester("cmaes", {}, [p_double("lr", 0.1, 1.0), p_cat("c", "a", "b")], "minimize")


def test_cmaes_ignores_unknown_settings_like_goptuna(caplog):
    with caplog.at_level(logging.WARNING):
        validate_algorithm("cmaes", {"popsize": "8"}, PARAMS)
    assert "popsize" in caplog.text


def test_unknown_algorithm_lists_the_known_ones():
    with pytest.raises(SuggestionError, match="unknown algorithm 'nope'.*bayesianoptimization"):
        make_suggester("nope", {}, PARAMS, "minimize")


@pytest.mark.parametrize("name", ["pbt", "enas", "darts"])
def test_a_cluster_only_algorithm_says_so(name):
    with pytest.raises(SuggestionError, match=f"{name} runs on a Katib cluster only.*kubetune submit"):
        make_suggester(name, {}, PARAMS, "minimize")


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
    ("random", {}), ("tpe", {}),  # hyperopt samples normals
    ("hyperband", {"resource_name": "units", "r_l": "9"}),  # Katib's hyperband ignores them
])
def test_algorithms_whose_katib_service_accepts_normal_need_no_flag(algorithm, settings):
    params = [p_double("lr", 0.001, 0.1, 0.001, dist="normal"), p_int("units", 1, 64)]
    validate_algorithm(algorithm, settings, params)


def test_grid_samples_its_step_grid_where_katib_gets_stuck_and_lint_says_so():
    """Katib's optuna service fails on normal for grid too (stuck experiment); kubetune's grid
    samples the step grid without checking, so the difference is a lint warning."""
    params = [p_double("lr", 0.001, 0.1, 0.001, dist="normal"), p_int("units", 1, 64)]
    validate_algorithm("grid", {}, params)
    doc = _doc("grid", {})
    doc["spec"]["parameters"][0]["feasibleSpace"]["distribution"] = "normal"
    (w,) = [w for w in lint(experiment_from_dict(doc)) if w.path.endswith("[0].feasibleSpace.distribution")]
    assert "experiment hangs" in w.message and "kubetune run samples the points of the step grid" in w.message


TABLE_ALGORITHMS = sorted(set(registered_algorithms()) & set(dist_table.KATIB_TABLE))
SETTINGS_FOR = {"hyperband": {"resource_name": "epochs", "r_l": "9"}}


@pytest.mark.parametrize("algorithm", TABLE_ALGORITHMS)
@pytest.mark.parametrize("ptype", ["int", "double"])
@pytest.mark.parametrize("dist", ["uniform", "logUniform", "normal", "logNormal"])
def test_the_engine_refuses_what_the_table_says_it_refuses(algorithm, ptype, dist):
    """kubetune.experiment.distributions.local_behaviour is what make_suggester really does."""
    param = (p_int("x", 1, 64, dist=dist) if ptype == "int"
             else p_double("x", 0.001, 0.1, 0.001 if algorithm == "grid" else None, dist=dist))
    params = [param, p_double("y", 0.1, 0.9, 0.1), p_int("epochs", 1, 9)]
    settings = SETTINGS_FOR.get(algorithm, {})
    refused = dist_table.local_behaviour(algorithm, ptype, dist).outcome == dist_table.REFUSED
    if refused:
        with pytest.raises(SuggestionError, match="Unsupported distribution") as err:
            make_suggester(algorithm, settings, params, "minimize")
        assert "PR #26" in str(err.value)  # which Katib version rejects it
        make_suggester(algorithm, {**settings, "kubetune.allow_normal": "true"}, params, "minimize")
    else:
        make_suggester(algorithm, settings, params, "minimize")


def test_refusal_names_the_katib_versions():
    with pytest.raises(SuggestionError) as err:
        make_suggester("bayesianoptimization", {}, NORMAL, "minimize")
    message = str(err.value)
    assert "Katib master since PR #2689: it raises on normal" in message
    assert "Katib v0.19.0 and master before PR #2689 ignores it and samples every double log-uniformly" in message


def test_check_distributions_callers_must_agree_with_the_table():
    with pytest.raises(ValueError, match="Goptuna service, not 'Skopt'"):
        check_distributions(NORMAL, "cmaes", "Skopt", allow_normal=False)
    with pytest.raises(ValueError, match="rejects_int_log_uniform=True disagrees"):
        check_distributions(INT_LOG, "bayesianoptimization", "Skopt", allow_normal=True,
                            rejects_int_log_uniform=True)
    check_distributions(NORMAL, "fixed-product", allow_normal=False)  # not Katib's: nothing to mirror


class Fixed:
    def suggest(self, count, trials):
        return []


def test_other_modules_can_register_an_algorithm():
    """One registration: the settings check and the factory together."""
    seen = []

    def check(ctx: AlgorithmContext):
        seen.append((ctx.name, {n: v for _, n, v in ctx.katib_settings()}, ctx.spec.get("maxTrialCount")))
        i = ctx.index_of("ratio")
        if i is not None and ctx.settings[i][1] == "bad":
            return [error(ctx.setting_path(i), "ratio: found \"bad\"; must be a number")]
        return []

    requests = []

    def factory(request):
        requests.append((dict(request.settings), dict(request.extensions), request.allow_normal))
        return Fixed()

    register_algorithm(Algorithm("fixed-product-test", check, factory), replace=True)
    try:
        assert "fixed-product-test" in registered_algorithms()
        with pytest.raises(ValueError, match="already registered"):
            register_algorithm(Algorithm("fixed-product-test", check, factory))
        settings = {"ratio": "2", "kubetune.allow_normal": "true"}
        suggester = make_suggester("fixed-product-test", settings, PARAMS, "maximize")
        assert suggester.suggest(3, []) == []
        with pytest.raises(SuggestionError, match=r"\[0\]\.value: ratio: found \"bad\""):
            validate_algorithm("fixed-product-test", {"ratio": "bad"}, PARAMS, max_trial_count=5)
        with pytest.raises(SuggestionError, match="unknown kubetune setting"):  # checked centrally
            make_suggester("fixed-product-test", {"kubetune.nope": "1"}, PARAMS, "maximize")
        assert seen == [("fixed-product-test", {"ratio": "2"}, None),
                        ("fixed-product-test", {"ratio": "bad"}, 5),
                        ("fixed-product-test", {}, None)]
        assert requests == [({"ratio": "2"}, {"kubetune.allow_normal": "true"}, True)]
    finally:
        unregister_algorithm("fixed-product-test")


SPEC_DATA = Path(__file__).resolve().parents[1] / "experiment" / "data"


def _doc(algorithm: str, settings: dict[str, str]) -> dict:
    doc = copy.deepcopy(yaml.safe_load((SPEC_DATA / f"{algorithm}.yaml").read_text()))
    doc["spec"]["algorithm"]["algorithmSettings"] = [{"name": k, "value": v} for k, v in settings.items()]
    return doc


def _run(exp):
    return make_suggester(exp.algorithm.name, exp.algorithm.settings, exp.parameters, exp.objective.type)


@pytest.mark.parametrize("algorithm, settings", [
    ("tpe", {"n_EI_candidates": "0"}),
    ("multivariate-tpe", {"n_ei_candidates": "-1"}),
    ("random", {"kubetune.allow_normal": "yes"}),
    ("bayesianoptimization", {"acq_func": "UCB"}),
])
def test_what_validate_rejects_run_rejects_with_the_same_words(algorithm, settings):
    with pytest.raises(SpecError) as spec_err:
        experiment_from_dict(_doc(algorithm, settings), service_checks=service_errors)
    (problem,) = spec_err.value.errors
    with pytest.raises(SuggestionError) as run_err:
        make_suggester(algorithm, settings, PARAMS, "minimize")
    assert str(problem) in str(run_err.value)


@pytest.mark.parametrize("algorithm, settings", [
    ("multivariate-tpe", {"n_ei_candidates": "0"}),  # Katib's ">= 0" lets it through; Optuna fails
    ("cmaes", {"sigma": "0"}),
    ("cmaes", {"restart_strategy": "IPOP"}),
    ("tpe", {"prior_weight": "inf"}),
])
def test_what_fails_only_at_run_time_is_a_lint_warning_and_a_run_error(algorithm, settings):
    exp = experiment_from_dict(_doc(algorithm, settings))  # Katib admits it
    warnings = [w for w in lint(exp) if w.path == f"{S0}.value"]
    assert len(warnings) == 1 and "Katib's validation lets this through" in warnings[0].hint
    with pytest.raises(SuggestionError) as run_err:
        _run(exp)
    assert warnings[0].message in str(run_err.value)


@pytest.mark.parametrize("algorithm, katib", [
    ("random", "rejects"), ("tpe", "rejects"), ("multivariate-tpe", "rejects"), ("grid", "rejects"),
    ("bayesianoptimization", "rejects"), ("cmaes", "ignores"), ("sobol", "ignores"),
])
def test_kubetune_settings_are_accepted_but_lint_says_what_katib_does(algorithm, katib):
    doc = _doc(algorithm, {"kubetune.allow_normal": "true"})
    exp = experiment_from_dict(doc)
    (w,) = [w for w in lint(exp) if w.path == f"{S0}.name"]
    assert "kubetune.allow_normal" in w.message and katib in w.message
    assert "kubectl apply" in w.hint
    assert _run(exp) is not None


def test_ignored_settings_are_lint_warnings_and_logged_by_the_engine(caplog):
    exp = experiment_from_dict(_doc("sobol", {"scramble": "true"}))
    (w,) = [w for w in lint(exp) if w.path == f"{S0}.name"]
    assert "sobol ignores setting" in w.message
    with caplog.at_level(logging.WARNING):
        _run(exp)
    assert w.message in caplog.text
