"""One case per algorithm-aware lint trap: accepted by Katib, but hangs, fails later, is ignored
or sampled differently from kubetune run (kubetune.algorithms._lint and the algorithms' own lint)."""
from __future__ import annotations

import pytest

from kubetune.algorithms import check, lint
from kubetune.experiment import experiment_from_dict
from algorithms_helpers import errors_of, warnings_of
from experiment_helpers import find, paths

T = "spec.trialTemplate"


def test_nas_references_must_match_the_assignment_names(make_doc):
    doc = make_doc("enas.yaml")
    doc["spec"]["trialTemplate"]["trialParameters"][1]["reference"] = "nn-config"
    warnings = warnings_of(doc)
    w = find(warnings, f"{T}.trialParameters[1].reference", "never gets a value")
    assert 'did you mean "nn_config"' in w.hint
    find(warnings, f"{T}.trialParameters", "assigns \"nn_config\"")


def test_medianstop_that_can_never_fire(make_doc):
    doc = make_doc("median-stop.yaml")
    doc["spec"]["maxTrialCount"] = 2
    find(warnings_of(doc), "spec.earlyStopping.algorithmSettings", "needs 2 succeeded trials")


def test_grid_without_max_trial_count(make_doc):
    doc = make_doc("grid.yaml")
    del doc["spec"]["maxTrialCount"]
    w = find(warnings_of(doc), "spec.maxTrialCount", "grid without maxTrialCount")
    assert "(12)" in w.hint


def test_finite_space_smaller_than_the_budget(doc):
    doc["spec"]["parameters"] = doc["spec"]["parameters"][1:]  # 4 batch sizes x 2 optimizers = 8 points
    doc["spec"]["trialTemplate"]["trialParameters"] = doc["spec"]["trialTemplate"]["trialParameters"][1:]
    doc["spec"]["trialTemplate"]["trialSpec"]["spec"]["template"]["spec"]["containers"][0]["command"] = [
        "python", "-m", "trainer", "--bs=${trialParameters.batchSize}", "--opt=${trialParameters.optimizer}"]
    doc["spec"]["maxTrialCount"] = 9
    find(warnings_of(doc), "spec.maxTrialCount", "only 8 distinct points")


def test_hyperband_beyond_the_first_bracket(make_doc):
    doc = make_doc("hyperband.yaml")
    doc["spec"]["maxTrialCount"] = 20
    find(warnings_of(doc), "spec.maxTrialCount", "only its first bracket")


def test_skopt_min_not_positive_and_ignored_distribution(make_doc):
    doc = make_doc("bayesianoptimization.yaml")
    doc["spec"]["parameters"][0]["feasibleSpace"].update(min="0", distribution="normal")
    warnings = warnings_of(doc)
    find(warnings, "spec.parameters[0].feasibleSpace.min", "log-uniformly")
    find(warnings, "spec.parameters[0].feasibleSpace.distribution", "ignores distribution normal")


@pytest.mark.parametrize("fixture, distribution, text", [
    ("multivariate-tpe.yaml", "normal", "raises on normal"),
    ("multivariate-tpe.yaml", "logNormal", "raises on logNormal"),
    ("grid.yaml", "logUniform", "grid ignores"),
    ("cmaes.yaml", "normal", "cmaes ignores"),
])  # random/tpe sample normals as their Katib service does: test_algorithms_hyperopt_normal.py
def test_distribution_support_per_algorithm(make_doc, fixture, distribution, text):
    doc = make_doc(fixture)
    doc["spec"]["parameters"][0]["feasibleSpace"]["distribution"] = distribution
    find(warnings_of(doc), "spec.parameters[0].feasibleSpace.distribution", text)


D = "spec.parameters[0].feasibleSpace"


def _with_distribution(make_doc, fixture: str, dist: str, **space) -> dict:
    doc = make_doc(fixture)
    doc["spec"]["parameters"][0]["feasibleSpace"].update(distribution=dist, **space)
    return doc


def test_skopt_uniform_doubles_are_log_uniform_on_the_released_katib(make_doc):
    doc = _with_distribution(make_doc, "bayesianoptimization.yaml", "uniform")
    w = find(warnings_of(doc), f"{D}.distribution", "Katib v0.19.0 and master before PR #2689")
    assert "log-uniformly" in w.message and "Katib master since PR #2689: skopt samples uniformly" in w.message
    assert "a cluster run differs from kubetune run" in w.message
    assert w.hint.startswith("use logUniform")
    # logUniform is sampled the same by every Katib version and kubetune run: no warning
    doc = _with_distribution(make_doc, "bayesianoptimization.yaml", "logUniform")
    assert f"{D}.distribution" not in paths(warnings_of(doc))


@pytest.mark.parametrize("fixture, dist, older, newer", [
    ("cmaes.yaml", "normal", "cmaes ignores distribution normal (goptuna samples uniformly",
     "Katib master since PR #2689: goptuna fails to build its search space"),
    ("sobol.yaml", "logUniform", "sobol ignores distribution logUniform",
     "Katib master since PR #2689: goptuna samples log-uniformly"),
    ("bayesianoptimization.yaml", "logNormal", "bayesianoptimization ignores distribution logNormal",
     "Katib master since PR #2689: skopt raises on logNormal"),
    ("multivariate-tpe.yaml", "normal", "Katib v0.19.0: optuna leaves the parameter out",
     "Katib master since PR #2666: optuna raises on normal"),
])
def test_version_dependent_behaviour_names_each_katib_version(make_doc, fixture, dist, older, newer):
    w = find(warnings_of(_with_distribution(make_doc, fixture, dist)), f"{D}.distribution", older)
    assert newer in w.message and "kubetune run" in w.message


def test_what_kubetune_run_refuses_it_says_so_and_allow_normal_changes_it(make_doc):
    doc = _with_distribution(make_doc, "cmaes.yaml", "normal")
    w = find(warnings_of(doc), f"{D}.distribution", "kubetune run refuses it")
    assert "kubetune.allow_normal" in w.hint
    doc["spec"]["algorithm"]["algorithmSettings"].append({"name": "kubetune.allow_normal", "value": "true"})
    w = find(warnings_of(doc), f"{D}.distribution", "kubetune run samples a normal truncated")
    assert "the experiment hangs with no trials" in w.message  # the cluster still gets stuck


def test_grid_normal_hangs_a_cluster_but_kubetune_samples_the_step_grid(make_doc):
    doc = _with_distribution(make_doc, "grid.yaml", "normal")
    w = find(warnings_of(doc), f"{D}.distribution", "optuna raises on normal")
    assert "kubetune run samples the points of the step grid" in w.message
    assert "a cluster run differs" in w.message and w.hint.startswith("use uniform")


@pytest.mark.parametrize("fixture, dist, text, differs", [
    ("hyperband.yaml", "logUniform", "hyperband ignores distribution logUniform", True),
    ("pbt.yaml", "normal", "pbt ignores distribution normal", False),  # no local pbt to compare
])
def test_services_that_never_read_the_distribution(make_doc, fixture, dist, text, differs):
    w = find(warnings_of(_with_distribution(make_doc, fixture, dist)), f"{D}.distribution", text)
    assert ("a cluster run differs from kubetune run" in w.message) is differs


@pytest.mark.parametrize("fixture, dist", [
    ("tpe.yaml", "logUniform"), ("random.yaml", "uniform"), ("cmaes.yaml", "uniform"),
    ("multivariate-tpe.yaml", "logUniform"), ("hyperband.yaml", "uniform"), ("grid.yaml", "uniform"),
])
def test_distributions_sampled_the_same_everywhere_are_not_flagged(make_doc, fixture, dist):
    doc = _with_distribution(make_doc, fixture, dist)
    assert f"{D}.distribution" not in paths(warnings_of(doc))


def test_skopt_log_uniform_needs_a_positive_min_since_pr_2689_too(make_doc):
    doc = _with_distribution(make_doc, "bayesianoptimization.yaml", "logUniform", min="0")
    w = find(warnings_of(doc), f"{D}.min", "every Katib version (v0.19.0 and master): skopt")
    assert "needs min > 0" in w.message
    # uniform doubles need it only on the released Katib
    doc = _with_distribution(make_doc, "bayesianoptimization.yaml", "uniform", min="0")
    find(warnings_of(doc), f"{D}.min", "Katib v0.19.0 and master before PR #2689: skopt samples every double")


def test_hyperopt_log_distribution_needs_positive_min(make_doc):
    doc = make_doc("tpe.yaml")
    doc["spec"]["parameters"][0]["feasibleSpace"]["min"] = "0"
    find(warnings_of(doc), "spec.parameters[0].feasibleSpace.min", "needs min > 0")


def test_pbt_traps(make_doc):
    doc = make_doc("pbt.yaml")
    doc["spec"]["resumePolicy"] = "Never"
    del doc["spec"]["parameters"][0]["feasibleSpace"]["step"]
    doc["metadata"]["name"] = "a-rather-long-pbt-experiment"
    warnings = warnings_of(doc)
    find(warnings, "spec.resumePolicy", "FromVolume")
    find(warnings, "spec.parameters[0].feasibleSpace.step", "fails without a step")
    find(warnings, "metadata.name", "longer than 63")


def test_pbt_resample_probability_is_an_error_not_a_warning(make_doc):
    doc = make_doc("pbt.yaml")
    doc["spec"]["algorithm"]["algorithmSettings"].append({"name": "resample_probability", "value": "0.1"})
    find(errors_of(doc), "spec.algorithm.algorithmSettings[3].name", "resample_probability")


def test_cmaes_settings_that_fail_only_at_run_time(make_doc):
    doc = make_doc("cmaes.yaml")
    doc["spec"]["algorithm"]["algorithmSettings"][0]["value"] = "restart"
    w = find(warnings_of(doc), "spec.algorithm.algorithmSettings[0].value", "restart_strategy")
    assert "every suggestion call fails" in w.hint


def test_from_volume_with_an_in_memory_algorithm(make_doc):
    doc = make_doc("grid.yaml")
    doc["spec"]["resumePolicy"] = "FromVolume"
    find(warnings_of(doc), "spec.resumePolicy", "bookkeeping in memory")


def test_nas_is_cluster_only(make_doc):
    find(warnings_of(make_doc("darts.yaml")), "spec.algorithm.algorithmName", "cluster only")


def test_check_reports_errors_of_a_spec_edited_after_loading(doc):
    exp = experiment_from_dict(doc)
    exp.spec["parallelTrialCount"] = 0
    errors, warnings = check(exp)
    assert paths(errors) == ["spec.parallelTrialCount"]
    assert lint(exp) == warnings


S = "spec.parameters[1].feasibleSpace"


def _stepped(make_doc, fixture: str, ptype: str, **space) -> dict:
    doc = make_doc(fixture)
    doc["spec"]["parameters"][1].update(parameterType=ptype, feasibleSpace=space)
    return doc


@pytest.mark.parametrize("fixture", ["tpe.yaml", "random.yaml"])
def test_hyperopt_step_from_an_odd_min_draws_other_values(make_doc, fixture):
    doc = _stepped(make_doc, fixture, "int", min="1", max="5", step="2")
    w = find(warnings_of(doc), f"{S}.step", "draws 2, 4 (multiples of 2 from 0")
    assert "not 1, 3, 5 (min + k * step)" in w.message
    assert "discrete, feasibleSpace.list [1, 3, 5]" in w.hint and "multiples of 2" in w.hint


def test_hyperopt_float_step_uses_katib_text_not_binary_noise(make_doc):
    doc = _stepped(make_doc, "tpe.yaml", "double", min="0.05", max="0.45", step="0.1")
    w = find(warnings_of(doc), f"{S}.step", "draws 0.1, 0.2, 0.3, 0.4 (multiples of 0.1")
    assert "not 0.05, 0.15, 0.25, 0.35, 0.45" in w.message
    # 0.3 / 0.1 is 2.9999999999999996 in binary: still a multiple, as Katib's text says
    doc = _stepped(make_doc, "tpe.yaml", "double", min="0.3", max="0.9", step="0.1")
    assert f"{S}.step" not in paths(warnings_of(doc))


@pytest.mark.parametrize("fixture, space", [
    ("tpe.yaml", {"min": "0", "max": "10", "step": "2"}),  # multiples already
    ("tpe.yaml", {"min": "0", "max": "5", "step": "2"}),  # 0, 2, 4 either way
    ("tpe.yaml", {"min": "1", "max": "7", "step": "1"}),  # int step 1: never
    ("tpe.yaml", {"min": "3", "max": "9"}),  # no step
    ("grid.yaml", {"min": "1", "max": "5", "step": "2"}),  # optuna's grid: min + k * step
    ("multivariate-tpe.yaml", {"min": "1", "max": "5", "step": "2"}),
])
def test_steps_that_keep_their_values_are_not_flagged(make_doc, fixture, space):
    doc = make_doc(fixture)
    param = doc["spec"]["parameters"][-1]
    param.update(parameterType="int", feasibleSpace=space)
    assert not [p for p in paths(warnings_of(doc)) if p.endswith("feasibleSpace.step")]


def test_hyperopt_max_off_the_step_can_draw_beyond_it(make_doc):
    doc = _stepped(make_doc, "tpe.yaml", "double", min="0", max="0.96", step="0.1")
    w = find(warnings_of(doc), f"{S}.step", "..., 1.0 (multiples of 0.1")
    assert "..., 0.9 (min + k * step)" in w.message
