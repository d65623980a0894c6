"""Katib's edge cases of a numeric range that its validation lets through, mirrored: what Katib's
hyperopt service (random, tpe) fails on, kubetune run refuses with the words lint warns with;
what it runs, kubetune runs the same. Checked against hyperopt 0.2.5 (Katib's pin) and 0.2.7."""
from __future__ import annotations

import pytest

from kubetune.algorithms import make_suggester
from kubetune.algorithms.base import SuggestionError
from algorithms_helpers import p_double, p_int, warnings_of
from experiment_helpers import find, paths

S = "spec.parameters[1].feasibleSpace"


def first_values(algorithm: str, param, count: int = 3) -> list[str]:
    suggester = make_suggester(algorithm, {}, [param], "minimize", seed=1)
    return [s.assignments[param.name] for s in suggester.suggest(count, [])]


def refusal(algorithm: str, param) -> str:
    with pytest.raises(SuggestionError) as caught:
        make_suggester(algorithm, {}, [param], "minimize", seed=1)
    return str(caught.value)


@pytest.mark.parametrize("algorithm", ["random", "tpe"])
@pytest.mark.parametrize("param, call", [
    (p_int("x", 3, 3), "hp.quniform(3, 3, 1)"),  # an int always has a step (1 by default)
    (p_double("x", 0.5, 0.5, 0.2), "hp.quniform(0.5, 0.5, 0.2)"),
    (p_double("x", 0.5, 0.5), "hp.uniform(0.5, 0.5)"),
    (p_int("x", 4, 4, dist="logUniform"), "hp.qloguniform(ln 4, ln 4, 1)"),
])
def test_equal_bounds_hyperopt_raises_on_are_refused(algorithm, param, call):
    message = refusal(algorithm, param)
    assert "feasibleSpace.max: min and max are both" in message
    assert f"builds {call}, which raises ValueError (low should be less than high)" in message
    assert "kubetune run refuses to start" in message


@pytest.mark.parametrize("param, value", [
    # hyperopt tests `low and high`: a zero bound (0, or ln 1) skips its check
    (p_int("x", 0, 0), "0"),
    (p_double("x", 0.0, 0.0), "0.0"),
    (p_double("x", 1.0, 1.0, dist="logUniform"), "1.0"),
    (p_int("x", 1, 1, dist="logUniform"), "1"),
    # normals have no range check: sigma 0 draws mu
    (p_int("x", 4, 4, dist="normal"), "4"),
    (p_double("x", 0.5, 0.5, dist="logNormal"), "0.5"),
])
def test_equal_bounds_katib_runs_random_draws_the_one_value_and_tpe_refuses(param, value):
    assert first_values("random", param) == [value] * 3
    message = refusal("tpe", param)
    assert "hyperopt's TPE fails (AssertionError) on a range of width 0" in message


@pytest.mark.parametrize("algorithm", ["random", "tpe", "bayesianoptimization"])
def test_log_scale_from_zero_is_refused_where_katib_takes_its_logarithm(algorithm):
    message = refusal(algorithm, p_double("x", 0.0, 1.0, dist="logUniform"))
    assert "feasibleSpace.min: every Katib version (v0.19.0 and master)" in message
    assert "which needs min > 0" in message and "kubetune run refuses to start" in message


def test_the_optuna_service_raises_a_log_floor_and_runs():
    # Katib's optuna service samples [max(min, 1), max]: no refusal, values from 1
    values = first_values("multivariate-tpe", p_int("x", 0, 10, dist="logUniform"), 8)
    assert all(1 <= int(v) <= 10 for v in values)


def test_lint_warns_once_with_the_words_of_the_refusal(make_doc):
    doc = make_doc("tpe.yaml")
    doc["spec"]["parameters"][0]["feasibleSpace"]["min"] = "0"
    doc["spec"]["parameters"][1]["feasibleSpace"].update(min="3", max="3")
    warnings = warnings_of(doc)
    w = find(warnings, "spec.parameters[0].feasibleSpace.min", "hyperopt samples log-uniformly")
    assert "kubetune run refuses to start" in w.hint
    assert paths(warnings).count("spec.parameters[0].feasibleSpace.min") == 1
    find(warnings, f"{S}.max", "min and max are both 3: Katib's hyperopt service builds hp.quniform(3, 3, 1)")


def test_lint_is_quiet_where_katib_runs_it(make_doc):
    doc = make_doc("random.yaml")
    doc["spec"]["parameters"][1]["feasibleSpace"] = {"min": "0", "max": "0"}
    assert f"{S}.max" not in paths(warnings_of(doc))


# ---- the "only N distinct points" budget counts what the algorithm draws ----------------------

def _budget_doc(make_doc, fixture: str, space: dict, max_trials: int) -> dict:
    doc = make_doc(fixture)
    doc["spec"]["parameters"][0].update(parameterType="int", feasibleSpace=space)
    doc["spec"].update(maxTrialCount=max_trials, parallelTrialCount=1)
    return doc


def test_budget_counts_the_multiples_hyperopt_draws(make_doc):
    # int [1, 5] step 2: random draws 2 and 4 (hp.quniform), not 1, 3, 5; x 4 batch sizes
    # (16..64 step 16, multiples already) x 2 optimizers = 16 points, where the grid has 24
    doc = _budget_doc(make_doc, "random.yaml", {"min": "1", "max": "5", "step": "2"}, 17)
    w = find(warnings_of(doc), "spec.maxTrialCount", "only 16 distinct points")
    assert "lower maxTrialCount to 16" in w.hint
    doc["spec"]["maxTrialCount"] = 16
    assert "spec.maxTrialCount" not in paths(warnings_of(doc))


def test_budget_counts_the_grid_where_the_algorithm_draws_it(make_doc):
    doc = _budget_doc(make_doc, "multivariate-tpe.yaml", {"min": "1", "max": "5", "step": "2"}, 4)
    doc["spec"]["parameters"][1].update(parameterType="categorical", feasibleSpace={"list": ["a"]})
    find(warnings_of(doc), "spec.maxTrialCount", "only 3 distinct points")


def test_an_unclipped_normal_has_no_budget(make_doc):
    # random draws hyperopt's normal, not clipped to [1, 3]: no finite count to warn with
    doc = _budget_doc(make_doc, "random.yaml", {"min": "1", "max": "3", "distribution": "normal"}, 50)
    assert "spec.maxTrialCount" not in paths(warnings_of(doc))
