"""kubetune's early-stopping rules beside Katib's medianstop: percentile (a frozen Katib rule),
successivehalving and patience (decided as values arrive), their settings checks and lint."""
from __future__ import annotations

import pytest

from kubetune.algorithms.earlystopping import (
    early_stopping_rule,
    find_early_stopping,
    known_early_stopping,
    rule_would_stop,
    trial_evaluator,
)
from kubetune.experiment import katib_config
from algorithms_helpers import errors_of, warnings_of

E = "spec.earlyStopping.algorithmSettings"
CURVES = [[0.1, 0.2, 0.3, 0.4], [0.2, 0.4, 0.5, 0.6], [0.3, 0.5, 0.7, 0.8], [0.1, 0.1, 0.2, 0.2],
          [0.5, 0.6, 0.6, 0.9]]


def rule(name, curves=CURVES, objective="maximize", **settings):
    return early_stopping_rule(name, curves, objective, {k: str(v) for k, v in settings.items()},
                               metric_name="accuracy")


def test_every_rule_is_registered_and_listed_in_katib_config():
    for name in ("medianstop", "percentile", "successivehalving", "patience"):
        assert name in known_early_stopping() and name in katib_config.known_early_stopping()


# ---- percentile --------------------------------------------------------------------------------

def test_percentile_50_is_the_median_of_best_values_at_start_step():
    r = rule("percentile", start_step=2, min_trials_required=3)
    # best of the first 2 reports: 0.2, 0.4, 0.5, 0.1, 0.6 -> median 0.4
    assert (r.name, r.value, r.comparison, r.start_step) == ("accuracy", 0.4, "less", 2)
    assert rule_would_stop([0.1, 0.3, 0.9], r, "maximize") == 2  # best 0.3 < 0.4 at report 2
    assert rule_would_stop([0.1, 0.45], r, "maximize") is None


def test_percentile_keeps_the_given_share_in_both_directions():
    keep_top_20 = rule("percentile", percentile=20, start_step=4)
    assert keep_top_20.value == pytest.approx(0.82)  # 80th percentile of 0.4, 0.6, 0.8, 0.2, 0.9
    losses = [[1 - v for v in c] for c in CURVES]
    low = rule("percentile", curves=losses, objective="minimize", percentile=20, start_step=4)
    assert low.comparison == "greater" and low.value == pytest.approx(0.18)


def test_percentile_waits_for_min_trials_required():
    assert rule("percentile", curves=CURVES[:2]) is None
    assert rule("percentile", curves=CURVES[:2], min_trials_required=2) is not None


# ---- successivehalving -------------------------------------------------------------------------

def evaluator(name, curves, trial="me", objective="maximize", **settings):
    return trial_evaluator(name, {k: str(v) for k, v in settings.items()}, None, objective, trial=trial,
                           curves=lambda: curves)


def test_successive_halving_keeps_the_top_third_at_each_rung():
    others = {"a": [0.5, 0.5, 0.6, 0.6, 0.7, 0.7, 0.8, 0.8, 0.9], "b": [0.4, 0.4, 0.5, 0.5],
              "c": [0.3, 0.35, 0.4], "d": [0.2]}
    assert rule("successivehalving") is None  # no frozen Katib form
    # rungs at reports 1, 3, 9 (min_resource 1, eta 3)
    good = evaluator("successivehalving", others)
    assert [good.feed(v) for v in (0.6, 0.6, 0.7)] == [False, False, False]  # best at both rungs
    bad = evaluator("successivehalving", others)
    # report 1: 5 values (a .5, b .4, c .3, d .2, me .45): keep top 1 -> stopped
    assert bad.feed(0.45) is True
    assert bad.feed(0.99) is False  # stopped once, then nothing more
    middling = evaluator("successivehalving", others, min_trials_required=6)
    assert middling.feed(0.45) is False  # fewer than 6 trials at rung 1: nobody is stopped


def test_successive_halving_minimize_rungs_and_rates():
    others = {"a": [0.1, 0.1, 0.1, 0.1], "b": [0.2, 0.2, 0.2, 0.2], "c": [0.3, 0.3, 0.3, 0.3]}
    kept = evaluator("successivehalving", others, objective="minimize", min_resource=2, eta=2)
    assert kept.feed(0.9) is False  # report 1 is no rung (first rung: 2)
    assert kept.feed(0.15) is False  # at report 2: a .1, me .15, b .2, c .3; keep 2 -> kept
    dropped = evaluator("successivehalving", others, objective="minimize", min_resource=2, eta=2)
    assert [dropped.feed(v) for v in (0.9, 0.25)] == [False, True]  # a and b are ahead
    late = evaluator("successivehalving", others, objective="minimize", min_resource=2, eta=2,
                     min_early_stopping_rate=1)  # first rung at 2 * 2^1 = 4 reports
    assert [late.feed(v) for v in (0.9, 0.9, 0.9, 0.9)] == [False, False, False, True]


def test_successive_halving_ignores_itself_and_short_curves():
    others = {"me": [0.99, 0.99, 0.99], "short": [0.99]}
    ev = evaluator("successivehalving", others, min_trials_required=1)
    assert [ev.feed(v) for v in (0.1, 0.1, 0.1)] == [True, False, False]  # vs "short" only at report 1
    alone = evaluator("successivehalving", {"me": [0.99] * 3}, min_trials_required=1)
    assert [alone.feed(v) for v in (0.1, 0.1, 0.1)] == [False, False, False]


# ---- patience ----------------------------------------------------------------------------------

@pytest.mark.parametrize("objective, values, settings, stop_at", [
    ("maximize", [0.1, 0.2, 0.3, 0.3, 0.3, 0.3], {"patience": 3}, 6),
    ("maximize", [0.1, 0.2, 0.3, 0.2, 0.31, 0.3, 0.3, 0.3], {"patience": 3}, 8),
    ("maximize", [0.1, 0.2, 0.3, 0.305, 0.306, 0.307], {"patience": 3, "min_delta": 0.01}, 6),
    ("maximize", [0.1, 0.2, 0.3, 0.4, 0.5, 0.6], {"patience": 1}, None),
    ("minimize", [1.0, 0.9, 0.95, 0.92], {"patience": 2}, 4),
    ("minimize", [1.0, 0.9, 0.95, 0.89], {"patience": 2}, None),
])
def test_patience_stops_after_n_reports_without_improvement(objective, values, settings, stop_at):
    assert rule("patience", **settings) is None  # no frozen Katib form
    ev = evaluator("patience", {}, objective=objective, **settings)
    fed = [ev.feed(v) for v in values]
    assert (fed.index(True) + 1 if True in fed else None) == stop_at
    assert fed.count(True) <= 1


def test_medianstop_still_goes_through_its_frozen_rule():
    frozen = rule("medianstop", start_step=2)
    ev = trial_evaluator("medianstop", {}, {"name": "accuracy", "value": str(frozen.value),
                                            "comparison": "less", "startStep": 2},
                         "maximize", trial="x", curves=lambda: {})
    assert [ev.feed(v) for v in (0.0, 0.01)] == [False, True]
    assert trial_evaluator("medianstop", {}, None, "maximize", trial="x", curves=dict) is None


# ---- settings and lint -------------------------------------------------------------------------

def _es(doc, name, settings):
    doc["spec"]["earlyStopping"] = {"algorithmName": name,
                                    "algorithmSettings": [{"name": k, "value": v} for k, v in settings.items()]}
    return doc


@pytest.mark.parametrize("name, settings, path, words", [
    ("percentile", {"percentile": "100"}, f"{E}[0].value", ['"100"', "(0, 100)"]),
    ("percentile", {"percentile": "x"}, f"{E}[0].value", ["must be a number"]),
    ("percentile", {"start_step": "0"}, f"{E}[0].value", [">= 1"]),
    ("percentile", {"min_trials_required": "0"}, f"{E}[0].value", ["> 0"]),
    ("percentile", {"quantile": "50"}, f"{E}[0].name", ['unknown setting "quantile"', "percentile"]),
    ("successivehalving", {"eta": "1"}, f"{E}[0].value", [">= 2"]),
    ("successivehalving", {"min_resource": "0"}, f"{E}[0].value", [">= 1"]),
    ("successivehalving", {"min_early_stopping_rate": "-1"}, f"{E}[0].value", [">= 0"]),
    ("successivehalving", {"reduction_factor": "3"}, f"{E}[0].name", ["unknown setting", "eta"]),
    ("patience", {"patience": "0"}, f"{E}[0].value", [">= 1"]),
    ("patience", {"min_delta": "-0.1"}, f"{E}[0].value", [">= 0"]),
    ("patience", {"min_delta": "inf"}, f"{E}[0].value", ["finite"]),
    ("patience", {"start_step": "2"}, f"{E}[0].name", ["unknown setting", "patience, min_delta"]),
])
def test_validate_reports_bad_settings_with_field_paths(doc, name, settings, path, words):
    errors = errors_of(_es(doc, name, settings))
    hits = [e for e in errors if e.path == path]
    assert hits, errors
    assert all(w in str(hits[0]) for w in words), str(hits[0])


@pytest.mark.parametrize("name, settings", [
    ("percentile", {"percentile": "25", "min_trials_required": "2", "start_step": "3"}),
    ("successivehalving", {"min_resource": "2", "eta": "2", "min_early_stopping_rate": "0",
                           "min_trials_required": "4"}),
    ("patience", {"patience": "2", "min_delta": "0.001"}),
])
def test_valid_settings_load(doc, name, settings):
    assert errors_of(_es(doc, name, settings)) == []


@pytest.mark.parametrize("name, local_only", [("successivehalving", True), ("patience", True),
                                              ("percentile", False)])
def test_lint_says_which_rules_a_cluster_cannot_evaluate(doc, name, local_only):
    warnings = warnings_of(_es(doc, name, {}))
    assert any("stops nothing" in str(w) for w in warnings) == local_only
    assert find_early_stopping(name).evaluator is not None or not local_only
