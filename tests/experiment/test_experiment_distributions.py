"""The distribution table (kubetune/experiment/distributions.py): complete, and the facts read from
Katib's source (per version) are the ones lint and the engine rely on."""
from __future__ import annotations

from decimal import Decimal

import pytest

from kubetune.experiment import distributions as t

ALGORITHMS = sorted(t.KATIB_TABLE)
CELLS = [(a, ptype, d) for a in ALGORITHMS for ptype in t.NUMERIC_TYPES for d in t.DISTRIBUTIONS]


@pytest.mark.parametrize("algorithm, ptype, dist", CELLS)
def test_every_cell_has_a_behaviour_in_every_katib_version(algorithm, ptype, dist):
    for era in t.ERAS:
        b = t.katib_behaviour(algorithm, ptype, dist, era)
        assert b is not None and b.outcome in (t.FOLLOWS, t.IGNORED, t.STUCK, t.REJECTED)
        assert b.detail and "{" not in b.detail  # placeholders filled
        assert (b.sample == "") == (b.outcome in t.KATIB_REJECTIONS)
    assert t.ALGORITHM_SERVICE[algorithm].name


@pytest.mark.parametrize("algorithm, ptype, era, dist, outcome, sample", [
    # skopt before PR #2689: Real(min, max, "log-uniform") for every double, Integer(min, max) for ints
    ("bayesianoptimization", "double", t.V0_19, "uniform", t.IGNORED, t.S_LOG),
    ("bayesianoptimization", "double", t.PR_2666, "normal", t.IGNORED, t.S_LOG),
    ("bayesianoptimization", "int", t.V0_19, "logUniform", t.IGNORED, t.S_UNIFORM),
    # skopt since PR #2689: prior from the distribution, ValueError on normal/logNormal
    ("bayesianoptimization", "double", t.PR_2689, "uniform", t.FOLLOWS, t.S_UNIFORM),
    ("bayesianoptimization", "int", t.PR_2689, "logUniform", t.FOLLOWS, t.S_LOG),
    ("bayesianoptimization", "double", t.PR_2689, "logNormal", t.STUCK, ""),
    # goptuna before PR #2689: distribution never read
    ("cmaes", "double", t.V0_19, "logUniform", t.IGNORED, t.S_UNIFORM),
    ("sobol", "int", t.PR_2666, "normal", t.IGNORED, t.S_UNIFORM),
    # goptuna since PR #2689: LogUniformDistribution for doubles, an error for the rest
    ("sobol", "double", t.PR_2689, "logUniform", t.FOLLOWS, t.S_LOG),
    ("cmaes", "int", t.PR_2689, "logUniform", t.STUCK, ""),
    ("cmaes", "double", t.PR_2689, "normal", t.STUCK, ""),
    # optuna: normal/logNormal dropped (v0.19.0), raised (PR #2666) -- stuck either way, grid too
    ("multivariate-tpe", "double", t.V0_19, "normal", t.STUCK, ""),
    ("grid", "int", t.PR_2666, "logNormal", t.STUCK, ""),
    ("grid", "double", t.PR_2689, "logUniform", t.IGNORED, t.S_GRID),
    # hyperopt: all four, normals unbounded; hyperband and pbt never read the distribution
    ("tpe", "double", t.V0_19, "normal", t.FOLLOWS, t.S_NORMAL),
    ("random", "int", t.PR_2689, "logNormal", t.FOLLOWS, t.S_NORMAL),
    ("hyperband", "double", t.PR_2689, "logUniform", t.IGNORED, t.S_UNIFORM),
    ("pbt", "double", t.PR_2689, "normal", t.IGNORED, t.S_GRID),
])
def test_facts_read_from_katib_source(algorithm, ptype, era, dist, outcome, sample):
    b = t.katib_behaviour(algorithm, ptype, dist, era)
    assert (b.outcome, b.sample) == (outcome, sample)


def test_no_distribution_is_rejected_by_validation_because_goptuna_reports_internal():
    # goptuna's ValidateAlgorithmSettings builds the search space, but returns codes.Internal,
    # which the controller treats as valid: the failure shows up on every GetSuggestions call.
    outcomes = {t.katib_behaviour(a, p, d, e).outcome for a, p, d in CELLS for e in t.ERAS}
    assert t.REJECTED not in outcomes
    assert "INTERNAL" in t.katib_behaviour("cmaes", "int", "logUniform").detail


def test_log_scales_that_need_a_positive_min():
    assert t.katib_behaviour("tpe", "double", "logUniform").positive_min
    assert t.katib_behaviour("random", "int", "logNormal").positive_min
    assert t.katib_behaviour("bayesianoptimization", "double", "uniform", t.V0_19).positive_min
    assert not t.katib_behaviour("bayesianoptimization", "double", "uniform").positive_min
    assert not t.katib_behaviour("multivariate-tpe", "double", "logUniform").positive_min  # clamped


def test_history_merges_versions_with_the_same_behaviour():
    (only,) = t.katib_history("tpe", "double", "normal")
    assert only[0] == t.ERAS
    spans = [t.era_span(eras) for eras, _ in t.katib_history("multivariate-tpe", "int", "normal")]
    assert spans == ["Katib v0.19.0", "Katib master since PR #2666"]
    spans = [t.era_span(eras) for eras, _ in t.katib_history("cmaes", "double", "logUniform")]
    assert spans == ["Katib v0.19.0 and master before PR #2689", "Katib master since PR #2689"]
    assert t.era_span(t.ERAS) == "every Katib version (v0.19.0 and master)"
    assert t.era_span((t.PR_2666,)) == "Katib master since PR #2666 (before PR #2689)"
    assert t.katib_history("fixed-product", "int", "uniform") == []


def test_supported_distributions_of_the_newest_katib():
    assert t.supported("cmaes", "int") == ("uniform",)
    assert t.supported("sobol", "double") == ("uniform", "logUniform")
    assert t.supported("bayesianoptimization", "int") == ("uniform", "logUniform")
    assert t.supported("tpe", "double") == t.DISTRIBUTIONS
    assert t.supported("hyperband", "double") == t.DISTRIBUTIONS  # ignored, not rejected


@pytest.mark.parametrize("algorithm, ptype, dist", CELLS)
def test_kubetune_run_refuses_exactly_what_the_newest_katib_rejects(algorithm, ptype, dist):
    local = t.local_behaviour(algorithm, ptype, dist)
    if algorithm in t.NO_LOCAL_ENGINE:
        assert local is None
        return
    rejected = t.katib_rejects(algorithm, ptype, dist) is not None
    if algorithm in t.LOCAL_STEP_GRID:  # kubetune's grid samples its step grid, whatever is declared
        assert local.sample == t.S_GRID
        return
    assert (local.outcome == t.REFUSED) == rejected
    allowed = t.local_behaviour(algorithm, ptype, dist, allow_normal=True)
    assert allowed.outcome == t.FOLLOWS
    if rejected:
        assert t.local_sampling(dist) in local.detail and "kubetune.allow_normal" in local.detail


def test_same_everywhere():
    assert t.same_everywhere("bayesianoptimization", "double", "logUniform")  # v0.19.0 log-uniform too
    assert not t.same_everywhere("bayesianoptimization", "double", "uniform")
    # random/tpe: kubetune run samples hyperopt's unclipped normal, as every Katib version does
    assert t.same_everywhere("tpe", "double", "normal") and t.same_everywhere("random", "int", "logNormal")
    assert t.local_behaviour("tpe", "double", "normal").sample == t.S_NORMAL
    assert t.samples_unclipped_normal("random") and not t.samples_unclipped_normal("hyperband")
    assert not t.same_everywhere("hyperband", "double", "normal")  # Katib: uniform; kubetune: truncated
    assert t.local_behaviour("cmaes", "double", "normal", allow_normal=True).sample == t.S_TRUNCATED
    assert t.same_everywhere("cmaes", "double", "uniform")
    assert not t.same_everywhere("hyperband", "int", "logUniform")
    assert t.same_everywhere("grid", "int", "uniform")
    assert not t.same_everywhere("grid", "int", "logUniform")


def test_list_parameters_ignore_the_distribution_everywhere():
    for algorithm in ALGORITHMS:
        b = t.katib_behaviour(algorithm, "categorical", "logUniform")
        assert (b.outcome, b.sample) == (t.IGNORED, t.S_LIST)
    assert t.katib_behaviour("fixed-product", "categorical", "uniform") is None


def test_random_and_tpe_quantise_steps_as_hyperopt_locally_and_on_katib():
    """Katib's hyperopt: a step (always for an int) is hp.quniform / hp.qloguniform; kubetune run
    says the same for random/tpe, and the grid min + k * step for the others."""
    for algorithm in ("random", "tpe"):
        assert t.samples_hyperopt_quantised(algorithm)
        for dist, q in (("uniform", "hp.quniform"), ("logUniform", "hp.qloguniform")):
            local, katib = t.local_behaviour(algorithm, "int", dist), t.katib_behaviour(algorithm, "int", dist)
            assert q in local.detail and q in katib.detail and "round(x / step) * step" in local.detail
            assert t.same_everywhere(algorithm, "int", dist)
    for algorithm in ("multivariate-tpe", "cmaes", "hyperband", "grid"):
        assert not t.samples_hyperopt_quantised(algorithm)
        assert "quniform" not in t.local_behaviour(algorithm, "int", "uniform").detail
    assert "snapped to the step grid" in t.local_behaviour("multivariate-tpe", "double", "logUniform").detail


def test_katib_behaviour_keeps_every_flag_of_the_table():
    # (katib_history fills the {dist} placeholder: the step flags must survive it)
    assert t.katib_behaviour("tpe", "int", "uniform", t.V0_19).step_multiples
    assert t.katib_behaviour("bayesianoptimization", "int", "uniform", t.V0_19).drops_step


@pytest.mark.parametrize("algorithm, ptype, dist, step, eras", [
    ("bayesianoptimization", "int", "uniform", 2, t.ERAS),  # Integer(min, max)
    ("bayesianoptimization", "double", "uniform", 0.1, t.ERAS),  # Real(min, max[, prior])
    ("hyperband", "int", "uniform", 2, t.ERAS),  # int(round(x)) of a uniform x
    ("hyperband", "double", "normal", 0.1, t.ERAS),
    ("bayesianoptimization", "int", "uniform", 1, ()),  # every integer either way
    ("cmaes", "int", "uniform", 2, ()),  # goptuna's StepIntUniform
    ("grid", "double", "uniform", 0.1, ()),
    ("random", "int", "uniform", 2, ()),  # read, as multiples (step_changes_values)
    ("multivariate-tpe", "int", "uniform", 2, ()),
])
def test_services_that_never_read_the_step(algorithm, ptype, dist, step, eras):
    found = t.step_ignored(algorithm, ptype, dist, 1, 7, step)
    assert (found[0] if found else ()) == eras
    if found:
        assert found[1].values()[:2] == [1, 1 + Decimal(str(step))]


def test_list_type_avoids_hyperbands_integer_discrete_lists():
    assert t.list_type("hyperband", "double") == "categorical"
    assert t.list_type("hyperband", "int") == t.list_type("bayesianoptimization", "double") == "discrete"


@pytest.mark.parametrize("algorithm, ptype, dist, eras, refused", [
    ("tpe", "double", "logUniform", t.ERAS, True),  # math.log(min)
    ("random", "int", "logNormal", t.ERAS, True),
    ("bayesianoptimization", "double", "logUniform", t.ERAS, True),
    ("bayesianoptimization", "double", "uniform", (t.V0_19, t.PR_2666), False),  # log-uniform then
    ("multivariate-tpe", "double", "logUniform", None, False),  # raises min to 1e-10
])
def test_which_katib_versions_need_a_positive_min_and_whether_kubetune_run_refuses(
        algorithm, ptype, dist, eras, refused):
    found = t.needs_positive_min(algorithm, ptype, dist)
    assert (found[0] if found else None) == eras
    assert bool(found and found[2]) == refused
