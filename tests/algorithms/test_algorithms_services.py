"""Stage-B settings checks of each suggestion service (katib-semantics 2.2) and the registry."""
from __future__ import annotations

import copy

import pytest

from kubetune.algorithms import Algorithm, AlgorithmContext, register_algorithm, unregister_algorithm
from kubetune.algorithms._checks import kubetune_flag, split_kubetune_settings
from kubetune.algorithms.earlystopping import known_early_stopping
from kubetune.algorithms.hyperband import hyperband_eta, hyperband_min_parallel
from kubetune.algorithms.registry import known_algorithms, run_time_problems, settings_errors
from kubetune.experiment import Problem, experiment_from_dict
from kubetune.experiment import katib_config
from kubetune.experiment.errors import warning
from algorithms_helpers import errors_of, warnings_of
from experiment_helpers import ALGORITHM_FIXTURES, find, paths

A = "spec.algorithm"


def with_algorithm(doc: dict, name: str, settings: dict[str, str] | None = None) -> dict:
    doc["spec"]["algorithm"] = {"algorithmName": name,
                                "algorithmSettings": [{"name": k, "value": v} for k, v in (settings or {}).items()]}
    return doc


def setting_error(doc, index=0, part="value", text=""):
    return find(errors_of(doc), f"{A}.algorithmSettings[{index}].{part}", text)


@pytest.mark.parametrize("name, settings, part, text", [
    ("random", {"seed": "1"}, "name", "unknown setting"),
    ("random", {"random_state": "-1"}, "value", "an integer >= 0"),
    ("random", {"random_state": "1.5"}, "value", "must be an integer"),
    ("tpe", {"gamma": "1"}, "value", "in (0, 1)"),
    ("tpe", {"prior_weight": "0"}, "value", "greater than 0"),
    ("tpe", {"n_EI_candidates": "0"}, "value", "an integer > 0"),
    ("tpe", {"n_ei_candidates": "3"}, "name", "unknown setting"),
    ("tpe", {"gamma": "abc"}, "value", "must be a number"),
    ("grid", {"random_state": "-2"}, "value", "an integer >= 0"),
    ("grid", {"n_startup_trials": "2"}, "name", "unknown setting"),
    ("multivariate-tpe", {"n_startup_trials": "-1"}, "value", "an integer >= 0"),
    ("multivariate-tpe", {"gamma": "0.1"}, "name", "unknown setting"),
    ("bayesianoptimization", {"base_estimator": "XGB"}, "value", "must be one of GP, RF, ET, GBRT"),
    ("bayesianoptimization", {"acq_func": "UCB"}, "value", "must be one of"),
    ("bayesianoptimization", {"acq_optimizer": "adam"}, "value", "must be one of"),
    ("bayesianoptimization", {"n_initial_points": "-1"}, "value", "an integer >= 0"),
    ("bayesianoptimization", {"kappa": "1"}, "name", "unknown setting"),
])
def test_settings_rejected_by_the_services(doc, name, settings, part, text):
    with_algorithm(doc, name, settings)
    if name == "grid":  # make the space gridable so only the setting is wrong
        doc["spec"]["parameters"][0]["feasibleSpace"]["step"] = "0.033"
    setting_error(doc, 0, part, text)


def test_unknown_setting_name_gets_a_suggestion(doc):
    with_algorithm(doc, "tpe", {"n_ei_candidates": "3"})
    assert 'did you mean "n_EI_candidates"' in setting_error(doc, 0, "name").hint


def test_grid_needs_a_step_for_doubles(doc):
    with_algorithm(doc, "grid")
    problem = find(errors_of(doc), "spec.parameters[0].feasibleSpace.step", "grid needs a step")
    assert "step" in problem.hint


def test_grid_max_trial_count_above_grid_size(make_doc):
    doc = make_doc("grid.yaml")  # 3 x 2 x 2 = 12 points
    doc["spec"]["maxTrialCount"] = 13
    problem = find(errors_of(doc), "spec.maxTrialCount", "only 12 points")
    assert "at most 12" in problem.hint
    doc["spec"]["maxTrialCount"] = 12
    assert errors_of(doc) == []


def test_cmaes_needs_two_numeric_parameters(doc):
    with_algorithm(doc, "cmaes")
    doc["spec"]["parameters"] = doc["spec"]["parameters"][2:]  # only the categorical one
    doc["spec"]["trialTemplate"]["trialParameters"] = doc["spec"]["trialTemplate"]["trialParameters"][2:]
    doc["spec"]["trialTemplate"]["trialSpec"]["spec"]["template"]["spec"]["containers"][0]["command"] = [
        "python", "-m", "trainer", "--optimizer=${trialParameters.optimizer}"]
    find(errors_of(doc), "spec.parameters", "at least two int/double parameters")


@pytest.mark.parametrize("name", ["cmaes", "sobol"])
def test_goptuna_rejects_duplicate_parameter_names(make_doc, name):
    doc = make_doc(f"{name}.yaml")
    doc["spec"]["parameters"][1]["name"] = "lr"
    find(errors_of(doc), "spec.parameters[1].name", "duplicate parameter name")


def test_hyperband_requires_r_l_and_resource_name(make_doc):
    doc = make_doc("hyperband.yaml")
    doc["spec"]["algorithm"]["algorithmSettings"] = [{"name": "eta", "value": "3"}]
    find(errors_of(doc), f"{A}.algorithmSettings", "missing r_l, resource_name")


def test_hyperband_parallelism(make_doc):
    doc = make_doc("hyperband.yaml")
    doc["spec"]["parallelTrialCount"] = 8
    problem = find(errors_of(doc), "spec.parallelTrialCount", "needs at least 9")
    assert "parallelTrialCount: 9" in problem.hint


@pytest.mark.parametrize("settings, index, text", [
    ({"resource_name": "epochs", "r_l": "0"}, 1, "r_l"),
    ({"resource_name": "epochs", "r_l": "-1"}, 1, "positive number"),
    ({"resource_name": "epochs", "r_l": "nine"}, 1, "positive number"),
    ({"resource_name": "epochs", "r_l": "9", "eta": "1"}, 2, "eta"),
    ({"resource_name": "epoch", "r_l": "1"}, 0, "is not a parameter name"),
])
def test_hyperband_settings(make_doc, settings, index, text):
    doc = with_algorithm(make_doc("hyperband.yaml"), "hyperband", settings)
    setting_error(doc, index, "value", text)


def test_hyperband_bracket_math_matches_the_service():
    assert hyperband_min_parallel(9.0, "3") == 9
    assert hyperband_min_parallel(2.0, "2") == 2  # Katib's example: eta 2, r_l 2
    assert hyperband_min_parallel(81.0, None) == 81
    assert hyperband_min_parallel(8.0, "0") == 3  # eta <= 0 -> 3, s_max = int(1.89) = 1
    assert [hyperband_eta(t) for t in (None, "2", "2.9", "0", "-4")] == [3, 2, 2, 3, 3]


@pytest.mark.parametrize("settings, path, text", [
    ({"n_population": "5", "truncation_threshold": "0.2"}, f"{A}.algorithmSettings", "missing suggestion_trial_dir"),
    ({"suggestion_trial_dir": "/d", "n_population": "4", "truncation_threshold": "0.2"},
     f"{A}.algorithmSettings[1].value", ">= 5"),
    ({"suggestion_trial_dir": "/d", "n_population": "5", "truncation_threshold": "1.5"},
     f"{A}.algorithmSettings[2].value", "[0, 1]"),
    ({"suggestion_trial_dir": "/d", "n_population": "5", "truncation_threshold": "0.2",
      "resample_probability": "0.5"}, f"{A}.algorithmSettings[3].name", "resample_probability"),
])
def test_pbt_settings(make_doc, settings, path, text):
    doc = with_algorithm(make_doc("pbt.yaml"), "pbt", settings)
    find(errors_of(doc), path, text)


def test_enas_graph_config_and_settings(make_doc):
    doc = make_doc("enas.yaml")
    del doc["spec"]["nasConfig"]["graphConfig"]["outputSizes"]
    doc["spec"]["algorithm"]["algorithmSettings"] = [
        {"name": "controller_learning_rate", "value": "2"},
        {"name": "controller_temperature", "value": "None"},
        {"name": "controller_train_steps", "value": "0"},
        {"name": "controller_lr", "value": "0.1"},
    ]
    errors = errors_of(doc)
    find(errors, "spec.nasConfig.graphConfig.outputSizes", "required by enas")
    find(errors, f"{A}.algorithmSettings[0].value", "in (0, 1]")
    find(errors, f"{A}.algorithmSettings[2].value", "an integer >= 1")
    find(errors, f"{A}.algorithmSettings[3].name", "unknown setting")
    assert f"{A}.algorithmSettings[1].value" not in paths(errors)


def test_nas_operation_checks(make_doc):
    doc = make_doc("darts.yaml")
    ops = doc["spec"]["nasConfig"]["operations"]
    ops[0]["parameters"][0]["feasibleSpace"] = {"list": []}
    ops[1]["parameters"] = []
    ops.append({"operationType": "conv", "parameters": [
        {"name": "size", "parameterType": "double", "feasibleSpace": {"min": "1", "max": "3"}}]})
    errors = errors_of(doc)
    find(errors, "spec.nasConfig.operations[0].parameters[0].feasibleSpace.list", "needs a list")
    find(errors, "spec.nasConfig.operations[1].parameters", "at least one parameter")
    find(errors, "spec.nasConfig.operations[2].parameters[0].feasibleSpace.step", "step > 0")


def test_darts_settings_accept_unknown_names_but_check_ranges(make_doc):
    doc = make_doc("darts.yaml")
    doc["spec"]["algorithm"]["algorithmSettings"] = [
        {"name": "num_epochs", "value": "0"}, {"name": "my_own", "value": "x"},
        {"name": "w_lr", "value": "-0.1"}, {"name": "batch_size", "value": "None"}]
    errors = errors_of(doc)
    assert paths(errors) == [f"{A}.algorithmSettings[0].value", f"{A}.algorithmSettings[2].value"]


def test_nas_algorithms_need_nas_config_and_hp_algorithms_need_parameters(doc, make_doc):
    with_algorithm(doc, "enas")
    find(errors_of(doc), "spec.nasConfig", "needs spec.nasConfig")
    enas = make_doc("enas.yaml")
    with_algorithm(enas, "random")
    find(errors_of(enas), "spec.nasConfig", "does not use spec.nasConfig")


@pytest.mark.parametrize("settings, index, part, text", [
    ({"min_trials_required": "0"}, 0, "value", "an integer > 0"),
    ({"start_step": "0"}, 0, "value", "an integer >= 1"),
    ({"start_step": "two"}, 0, "value", "must be an integer"),
    ({"min_trials": "3"}, 0, "name", "unknown setting"),
])
def test_medianstop_settings(make_doc, settings, index, part, text):
    doc = make_doc("median-stop.yaml")
    doc["spec"]["earlyStopping"]["algorithmSettings"] = [{"name": k, "value": v} for k, v in settings.items()]
    find(errors_of(doc), f"spec.earlyStopping.algorithmSettings[{index}].{part}", text)


def test_extra_algorithms_are_known_and_checked(doc):
    def check_fixed_product(ctx: AlgorithmContext) -> list[Problem]:
        value = ctx.settings_dict.get("phi")
        if value is None:
            return [Problem(f"{ctx.path}.algorithmSettings", "my-algo needs phi", "error")]
        return []

    with_algorithm(doc, "my-algo")
    find(errors_of(doc), f"{A}.algorithmName", "unable to get Suggestion config data")
    register_algorithm(Algorithm("my-algo", check_fixed_product))
    try:
        find(errors_of(doc), f"{A}.algorithmSettings", "needs phi")
        with_algorithm(doc, "my-algo", {"phi": "1"})
        assert experiment_from_dict(doc).algorithm.name == "my-algo"
    finally:
        unregister_algorithm("my-algo")
    find(errors_of(doc), f"{A}.algorithmName", "unable to get Suggestion config data")


def test_a_crashing_extra_check_becomes_an_error(doc):
    def broken(ctx):
        raise RuntimeError("boom")

    register_algorithm(Algorithm("broken", broken))
    try:
        find(errors_of(with_algorithm(doc, "broken")), A, "boom")
    finally:
        unregister_algorithm("broken")


def test_unregistering_an_algorithm_keeps_an_early_stopping_name_alike(doc):
    """katib-config lists suggestion and early-stopping services apart: forgetting one kind
    leaves the other's name."""
    register_algorithm(Algorithm("twin", lambda ctx: []))
    katib_config.add_early_stopping("twin")
    try:
        unregister_algorithm("twin")
        assert "twin" not in katib_config.known_algorithms()
        assert "twin" in katib_config.known_early_stopping()
        find(errors_of(with_algorithm(doc, "twin")), f"{A}.algorithmName", "unable to get Suggestion config data")
    finally:
        katib_config.remove_early_stopping("twin")
    assert "twin" not in katib_config.known_early_stopping()
    katib_config.remove_early_stopping("medianstop")  # a built-in name stays
    assert "medianstop" in katib_config.known_early_stopping()


def test_katib_config_lists_every_service():
    """Loading looks names up in katib-config; every built-in service must be listed there."""
    assert set(known_algorithms()) <= set(katib_config.known_algorithms())
    assert set(known_early_stopping()) <= set(katib_config.known_early_stopping())
    assert set(katib_config.KATIB_ALGORITHMS + katib_config.KUBETUNE_ALGORITHMS) == set(known_algorithms())


# ---------------------------------------------------------------------------------------------
# kubetune's own settings, run-time checks, and the engine's view of the same rules


@pytest.mark.parametrize("name", ["random", "tpe", "multivariate-tpe", "grid", "bayesianoptimization",
                                  "cmaes", "sobol", "hyperband", "pbt", "enas", "darts"])
def test_kubetune_settings_are_valid_for_every_algorithm(make_doc, name):
    doc = make_doc(ALGORITHM_FIXTURES[name])
    settings = doc["spec"]["algorithm"].setdefault("algorithmSettings", [])
    settings.append({"name": "kubetune.allow_normal", "value": "True"})
    assert errors_of(doc) == []
    index = len(settings) - 1
    w = find(warnings_of(doc), f"{A}.algorithmSettings[{index}].name", "is a kubetune setting")
    assert "remove it before kubectl apply" in w.hint


@pytest.mark.parametrize("name, effect", [
    ("tpe", "rejects unknown settings"), ("grid", "rejects unknown settings"),
    ("bayesianoptimization", "rejects unknown settings"), ("hyperband", "ignores it"),
    ("darts", "passes it on to every trial"),
])
def test_kubetune_setting_warning_says_what_a_cluster_does(make_doc, name, effect):
    doc = make_doc(ALGORITHM_FIXTURES[name])
    settings = doc["spec"]["algorithm"].setdefault("algorithmSettings", [])
    settings.insert(0, {"name": "kubetune.allow_normal", "value": "true"})
    find(warnings_of(doc), f"{A}.algorithmSettings[0].name", effect)


@pytest.mark.parametrize("part, settings, path, text", [
    ("algorithm", {"kubetune.allow_normal": "yes"}, "value", "must be one of true, false"),
    ("algorithm", {"kubetune.allow_normals": "true"}, "name", "unknown kubetune setting"),
    ("earlyStopping", {"kubetune.allow_normal": "true"}, "name", "unknown kubetune setting"),
])
def test_bad_kubetune_settings_are_errors(make_doc, part, settings, path, text):
    doc = make_doc("median-stop.yaml")
    doc["spec"][part]["algorithmSettings"] = [{"name": k, "value": v} for k, v in settings.items()]
    problem = find(errors_of(doc), f"spec.{part}.algorithmSettings[0].{path}", text)
    if path == "name" and part == "algorithm":
        assert 'did you mean "kubetune.allow_normal"' in problem.hint


def test_kubetune_setting_helpers():
    katib, extensions = split_kubetune_settings({"random_state": "1", "kubetune.allow_normal": " TRUE "})
    assert katib == {"random_state": "1"} and extensions == {"kubetune.allow_normal": " TRUE "}
    assert kubetune_flag(extensions, "kubetune.allow_normal") is True
    assert kubetune_flag({}, "kubetune.allow_normal") is False
    assert kubetune_flag({"kubetune.allow_normal": "false"}, "kubetune.allow_normal") is False


def test_multivariate_tpe_n_ei_candidates_zero_passes_katib_but_fails_at_run_time(make_doc):
    doc = with_algorithm(make_doc("multivariate-tpe.yaml"), "multivariate-tpe", {"n_ei_candidates": "0"})
    assert errors_of(doc) == []  # Katib's optuna service checks int(value) >= 0 only
    w = find(warnings_of(doc), f"{A}.algorithmSettings[0].value", "must be an integer >= 1")
    assert "every suggestion call fails" in w.hint
    with_algorithm(doc, "multivariate-tpe", {"n_ei_candidates": "-1"})
    setting_error(doc, 0, "value", "an integer >= 0")
    with_algorithm(doc, "multivariate-tpe", {"n_ei_candidates": "1"})
    assert f"{A}.algorithmSettings[0].value" not in paths(warnings_of(doc))


@pytest.mark.parametrize("name, settings, index, part, text", [
    ("cmaes", {"sigma": "0"}, 0, "value", "greater than 0"),
    ("cmaes", {"sigma": "inf"}, 0, "value", "finite"),
    ("cmaes", {"random_state": "x"}, 0, "value", "must be an integer"),
    ("cmaes", {"popsize": "8"}, 0, "name", "cmaes ignores setting \"popsize\""),
    ("sobol", {"scramble": "true"}, 0, "name", "sobol ignores setting"),
    ("tpe", {"prior_weight": "inf"}, 0, "value", "finite"),
    ("hyperband", {"resource_name": "epochs", "r_l": "9", "random_state": "-2"}, 2, "value", ">= 0"),
    ("hyperband", {"resource_name": "epochs", "r_l": "9", "s_max": "2"}, 2, "name", "bookkeeping"),
    ("hyperband", {"resource_name": "epochs", "r_l": "9", "rl": "2"}, 2, "name", "hyperband ignores"),
])
def test_settings_katib_lets_through_are_lint_warnings(make_doc, name, settings, index, part, text):
    doc = with_algorithm(make_doc(ALGORITHM_FIXTURES[name]), name, settings)
    assert errors_of(doc) == []
    find(warnings_of(doc), f"{A}.algorithmSettings[{index}].{part}", text)


def test_run_time_hints_say_whether_katib_fails_too(make_doc):
    doc = with_algorithm(make_doc("cmaes.yaml"), "cmaes", {"sigma": "big", "random_state": "-1"})
    warnings = warnings_of(doc)
    assert "every suggestion call fails" in find(warnings, f"{A}.algorithmSettings[0].value").hint
    assert "kubetune run refuses it" in find(warnings, f"{A}.algorithmSettings[1].value").hint


def test_run_time_problems_split_fatal_from_ignored(make_doc):
    doc = with_algorithm(make_doc("cmaes.yaml"), "cmaes", {"sigma": "-1", "popsize": "8"})
    exp = experiment_from_dict(doc)
    ctx = AlgorithmContext("cmaes", tuple(exp.algorithm.settings.items()), exp.spec)
    problems = run_time_problems(ctx)
    assert [(p.path, p.severity) for p in problems] == [
        (f"{A}.algorithmSettings[0].value", "error"), (f"{A}.algorithmSettings[1].name", "warning")]
    assert settings_errors(ctx) == []


@pytest.mark.parametrize("fixture, changes", [
    ("grid.yaml", {"maxTrialCount": 13}),
    ("hyperband.yaml", {"parallelTrialCount": 8}),
    ("cmaes.yaml", {}),
    ("tpe.yaml", {}),
])
def test_the_engines_view_finds_the_same_problems(make_doc, fixture, changes):
    """AlgorithmContext.for_parameters (typed parameters + counts) == the spec's own context."""
    doc = make_doc(fixture)
    exp = experiment_from_dict(doc)
    spec = copy.deepcopy(exp.spec)
    spec.update(changes)
    settings = tuple(exp.algorithm.settings.items()) + (("bogus", "1"),)
    from_spec = AlgorithmContext(exp.algorithm.name, settings, spec)
    from_params = AlgorithmContext.for_parameters(
        exp.algorithm.name, dict(settings), exp.parameters, max_trial_count=spec.get("maxTrialCount"),
        parallel_trial_count=spec.get("parallelTrialCount"))
    expected = settings_errors(from_spec) + run_time_problems(from_spec)
    assert expected  # the bogus setting (and the counts) always give something to compare
    assert settings_errors(from_params) + run_time_problems(from_params) == expected


def test_registered_run_check_is_used_and_replaced(doc):
    def check(ctx):
        return []

    def run_check(ctx):
        return [warning(ctx.path, "my-algo: extra advice", "x")]

    register_algorithm(Algorithm("my-algo", check, run_check=run_check))
    try:
        find(warnings_of(with_algorithm(doc, "my-algo")), A, "extra advice")
        register_algorithm(Algorithm("my-algo", check), replace=True)  # re-registering without one drops it
        assert A not in paths(warnings_of(doc))
    finally:
        unregister_algorithm("my-algo")
