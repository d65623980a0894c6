"""asha and bohb: rungs and brackets from the trial list, promotions of the best, the model,
stateless rebuilds, and their settings checks as `kubetune validate` reports them."""
from __future__ import annotations

import math
from collections import Counter, deque

import pytest

from kubetune.algorithms import (
    LABEL_BRACKET,
    LABEL_PARENT,
    LABEL_ROUND,
    SuggestionError,
    hyperband_plan,
    make_suggester,
    promotes_configurations,
    validate_algorithm,
)
from kubetune.algorithms.asha import LABEL_PARENT as ASHA_PARENT, LABEL_RUNG, asha_rungs
from kubetune.algorithms.hyperband import LABEL_ITERATION
from algorithms_helpers import assert_in_domain, errors_of, p_cat, p_double, p_int, view, warnings_of

PARAMS = [p_double("x", 0.0, 1.0), p_int("width", 8, 64, 8), p_cat("act", "relu", "gelu"),
          p_int("epochs", 1, 27)]
ASHA = {"resource_name": "epochs", "max_resource": "27", "eta": "3", "random_state": "5"}
BOHB = {"resource_name": "epochs", "max_resource": "9", "eta": "3", "random_state": "5"}


def loss(a: dict[str, str]) -> float:
    """Lower is better; more epochs help every configuration by the same factor."""
    base = (float(a["x"]) - 0.3) ** 2 + int(a["width"]) / 1000 + (a["act"] == "gelu") * 0.01
    return base * 10 / int(a["epochs"])


def simulate(suggester, parallel: int, n_trials: int, *, fresh=None, order=None, fail=lambda t: False):
    """An engine with `parallel` slots: each step the oldest running trial finishes (or the one
    `order` picks), then free slots are filled. `fresh()` builds a new suggester that must agree
    with the long-lived one on every call (the stateless-rebuild contract)."""
    trials: list = []
    running: deque[int] = deque()
    idle_calls = 0
    while len(trials) < n_trials:
        free = min(parallel - len(running), n_trials - len(trials))
        new = suggester.suggest(free, trials) if free > 0 else []
        if fresh is not None and free > 0:
            again = fresh().suggest(free, list(trials))
            assert [(s.assignments, s.labels) for s in again] == [(s.assignments, s.labels) for s in new]
        if free > 0 and len(new) < free:
            idle_calls += 1
        for s in new:
            running.append(len(trials))
            trials.append(view(f"t{len(trials)}", s.assignments, "Running", None, s.labels))
        if not running:
            break
        i = running.popleft() if order is None else order(running)
        t = trials[i]
        trials[i] = (view(t.name, t.assignments, "Failed", None, t.labels) if fail(t) else
                     view(t.name, t.assignments, "Succeeded", loss(t.assignments), t.labels))
    return trials, idle_calls


# ---- asha --------------------------------------------------------------------------------------

@pytest.mark.parametrize("low, high, eta, bracket, rungs", [
    (1, 27, 3, 0, [1, 3, 9, 27]), (1, 27, 3, 1, [3, 9, 27]), (1, 10, 3, 0, [1, 3, 9, 10]),
    (2, 16, 2, 0, [2, 4, 8, 16]), (1, 1, 3, 0, [1]), (1, 81, 3, 3, [27, 81]),
])
def test_asha_rungs_are_min_resource_times_powers_of_eta_up_to_the_max(low, high, eta, bracket, rungs):
    assert asha_rungs(low, high, eta, bracket) == rungs


def test_asha_promotes_the_best_third_as_soon_as_a_rung_allows_it():
    suggester = make_suggester("asha", ASHA, PARAMS, "minimize")
    trials = []
    for i in range(3):  # one slot: three configurations on rung 0 (epochs 1), one at a time
        (s,) = suggester.suggest(1, trials)
        assert s.labels[LABEL_RUNG] == "0" and s.assignments["epochs"] == "1"
        trials.append(view(f"t{i}", s.assignments, "Succeeded", loss(s.assignments), s.labels))
    (s,) = suggester.suggest(1, trials)  # 3 completed at rung 0: the best one goes to rung 1 now
    best = min(trials, key=lambda t: t.objective)
    assert s.labels[LABEL_RUNG] == "1" and s.labels[ASHA_PARENT] == best.name
    assert s.assignments == {**best.assignments, "epochs": "3"}  # only the resource changes
    trials.append(view("t3", s.assignments, "Running", None, s.labels))
    (s,) = suggester.suggest(1, trials)  # nothing else promotable: a new configuration, no waiting
    assert s.labels[LABEL_RUNG] == "0"


@pytest.mark.parametrize("parallel", [1, 3, 8])
def test_asha_never_leaves_a_slot_idle_and_keeps_rungs_in_proportion(parallel):
    inner = make_suggester("asha", ASHA, PARAMS, "minimize")
    promotions = []

    class Checked:  # each promotion's parent is in the top 1/eta of its rung's completed results then
        def suggest(self, count, trials):
            out = inner.suggest(count, trials)
            for s in out:
                if ASHA_PARENT in s.labels:
                    rung = str(int(s.labels[LABEL_RUNG]) - 1)
                    done = sorted((t.objective, t.name) for t in trials
                                  if t.labels[LABEL_RUNG] == rung and t.state == "Succeeded")
                    assert s.labels[ASHA_PARENT] in [n for _, n in done[: len(done) // 3]]
                    promotions.append(s)
            return out

    trials, idle = simulate(Checked(), parallel, 120)
    assert idle == 0 and len(trials) == 120
    assert_in_domain(PARAMS, trials)
    rungs = Counter(int(t.labels[LABEL_RUNG]) for t in trials)
    assert rungs[3] >= 1 and len(promotions) == rungs[1] + rungs[2] + rungs[3]  # some reached 27 epochs
    by_name = {t.name: t for t in trials}
    for t in trials:
        if t.labels[LABEL_RUNG] != "0":
            parent = by_name[t.labels[ASHA_PARENT]]
            assert int(parent.labels[LABEL_RUNG]) == int(t.labels[LABEL_RUNG]) - 1
            assert {k: v for k, v in t.assignments.items() if k != "epochs"} == \
                {k: v for k, v in parent.assignments.items() if k != "epochs"}
    # promoted configurations are the better ones: the mean loss at rung 0 of promoted vs not
    promoted = {t.labels[ASHA_PARENT] for t in trials if t.labels[LABEL_RUNG] == "1"}
    rung0 = [t for t in trials if t.labels[LABEL_RUNG] == "0" and t.objective is not None]
    good = [t.objective for t in rung0 if t.name in promoted]
    rest = [t.objective for t in rung0 if t.name not in promoted]
    assert max(good) <= sorted(rest)[len(rest) // 2]


@pytest.mark.parametrize("name, settings", [
    ("asha", ASHA), ("asha", {**ASHA, "sampler": "tpe", "brackets": "2"}),
    ("bohb", BOHB), ("bohb", {**BOHB, "random_fraction": "0"}),
])
def test_a_fresh_suggester_on_the_same_trial_list_suggests_the_same(name, settings):
    def fresh():
        return make_suggester(name, settings, PARAMS, "minimize")

    trials, _ = simulate(fresh(), 4, 60, fresh=fresh, order=lambda running: running.pop())
    assert len(trials) >= 40


def test_asha_brackets_take_new_configurations_in_turn():
    suggester = make_suggester("asha", {**ASHA, "brackets": "3"}, PARAMS, "minimize")
    trials, _ = simulate(suggester, 3, 90)
    first = {s: {t.assignments["epochs"] for t in trials if t.labels["asha.kubetune.io/bracket"] == str(s)
                 and t.labels[LABEL_RUNG] == "0"} for s in range(3)}
    assert first == {0: {"1"}, 1: {"3"}, 2: {"9"}}


def test_asha_failed_trials_are_never_promoted():
    suggester = make_suggester("asha", ASHA, PARAMS, "minimize")
    trials, _ = simulate(suggester, 2, 60, fail=lambda t: float(t.assignments["x"]) < 0.5)
    failed = {t.name for t in trials if t.state == "Failed"}
    assert failed and not any(t.labels.get(ASHA_PARENT) in failed for t in trials)


# ---- bohb --------------------------------------------------------------------------------------

def test_bohb_runs_hyperbands_brackets_from_min_resource():
    settings = {**BOHB, "max_resource": "27", "min_resource": "3", "iterations": "1"}
    suggester = make_suggester("bohb", settings, PARAMS, "minimize")
    trials, _ = simulate(suggester, 5, 10_000)
    plan = hyperband_plan(27, 3, r_min=3)  # s_max = floor(log_3(27 / 3)) = 2
    assert [b.s for b in plan] == [2, 1, 0]
    groups = Counter((int(t.labels[LABEL_BRACKET]), int(t.labels[LABEL_ROUND])) for t in trials)
    assert groups == Counter({(b.s, r.index): r.size for b in plan for r in b.rounds})
    assert {t.assignments["epochs"] for t in trials if t.labels[LABEL_ROUND] == "0"} == {"3", "9", "27"}
    assert make_suggester("bohb", settings, PARAMS, "minimize").suggest(4, trials) == []  # one pass only
    assert all(LABEL_ITERATION in t.labels for t in trials)


def test_bohb_without_iterations_keeps_starting_passes():
    suggester = make_suggester("bohb", BOHB, PARAMS, "minimize")
    per_pass = sum(r.size for b in hyperband_plan(9, 3) for r in b.rounds)
    trials, _ = simulate(suggester, 3, 2 * per_pass + 5)
    assert len(trials) == 2 * per_pass + 5
    assert {t.labels[LABEL_ITERATION] for t in trials} == {"0", "1", "2"}


def test_bohb_model_uses_the_largest_budget_with_enough_observations_and_beats_random():
    model = make_suggester("bohb", {**BOHB, "random_fraction": "0"}, PARAMS, "minimize").model
    assert model.min_points == 4  # d + 1 for x, width, act
    obs = [view(f"a{i}", {"x": str(i / 10), "width": "8", "act": "relu", "epochs": "1"}, "Succeeded", i)
           for i in range(8)]
    obs += [view(f"b{i}", {"x": str(i / 10), "width": "8", "act": "relu", "epochs": "3"}, "Succeeded", i)
            for i in range(4)]
    obs += [view(f"c{i}", {"x": str(i / 10), "width": "8", "act": "relu", "epochs": "9"}, "Succeeded", i)
            for i in range(3)]
    budget, used = model.model_budget(obs)
    assert budget == "3" and len(used) == 4
    # observations: loss grows with x; the model proposes small x far more often than random does
    import numpy as np
    history = [view(f"h{i}", {"x": f"{u:.3f}", "width": "8", "act": "relu", "epochs": "9"}, "Succeeded",
                    abs(u - 0.1)) for i, u in enumerate(np.linspace(0, 1, 30))]
    picks = model.sample(40, np.random.default_rng(0), history)
    assert sum(abs(float(p["x"]) - 0.1) < 0.2 for p in picks) >= 25  # random: about 12 of 40
    assert "epochs" not in picks[0]


# ---- settings ----------------------------------------------------------------------------------

A = "spec.algorithm.algorithmSettings"


def _doc(doc, name, settings):
    doc["spec"]["parameters"].append({"name": "epochs", "parameterType": "int",
                                      "feasibleSpace": {"min": "1", "max": "27"}})
    doc["spec"]["algorithm"] = {"algorithmName": name,
                                "algorithmSettings": [{"name": k, "value": v} for k, v in settings.items()]}
    return doc


@pytest.mark.parametrize("name, settings, path, words", [
    ("asha", {"max_resource": "9"}, A, ["needs the setting resource_name"]),
    ("asha", {"resource_name": "epochs"}, A, ["needs the setting max_resource (or r_l)"]),
    ("asha", {"resource_name": "epoch", "r_l": "9"}, f"{A}[0].value", ['"epoch" is not a parameter', "epochs"]),
    ("asha", {"resource_name": "epochs", "r_l": "9", "max_resource": "9"}, f"{A}[1].name", ["give one"]),
    ("asha", {"resource_name": "epochs", "r_l": "9", "eta": "1"}, f"{A}[2].value", ['"1"', "integer >= 2"]),
    ("asha", {"resource_name": "epochs", "r_l": "9", "eta": "2.5"}, f"{A}[2].value", ["must be an integer"]),
    ("asha", {"resource_name": "epochs", "r_l": "0"}, f"{A}[1].value", ["a number > 0"]),
    ("asha", {"resource_name": "epochs", "r_l": "9", "min_resource": "27"}, f"{A}[2].value", ["at most r_l"]),
    ("asha", {"resource_name": "epochs", "r_l": "9", "sampler": "bayes"}, f"{A}[2].value",
     ["one of random, tpe"]),
    ("asha", {"resource_name": "epochs", "r_l": "9", "brackets": "3"}, f"{A}[2].value", ["at most 2 bracket"]),
    ("asha", {"resource_name": "epochs", "r_l": "9", "grace": "1"}, f"{A}[2].name", ['unknown setting "grace"']),
    ("bohb", {"resource_name": "epochs", "r_l": "9", "random_fraction": "1.5"}, f"{A}[2].value", ["[0, 1]"]),
    ("bohb", {"resource_name": "epochs", "r_l": "9", "top_n_percent": "100"}, f"{A}[2].value", ["(0, 100)"]),
    ("bohb", {"resource_name": "epochs", "r_l": "9", "num_samples": "0"}, f"{A}[2].value", ["> 0"]),
    ("bohb", {"resource_name": "epochs", "r_l": "9", "iterations": "0"}, f"{A}[2].value", [">= 1"]),
    ("bohb", {"resource_name": "epochs", "r_l": "9", "brackets": "2"}, f"{A}[2].name", ['unknown setting']),
])
def test_validate_reports_bad_settings_with_field_paths(doc, name, settings, path, words):
    errors = errors_of(_doc(doc, name, settings))
    hits = [e for e in errors if e.path == path]
    assert hits, errors
    text = str(hits[0])
    assert all(w in text for w in words), text


@pytest.mark.parametrize("name", ["asha", "bohb"])
def test_valid_settings_load_and_are_kubetune_only(doc, name):
    raw = _doc(doc, name, {"resource_name": "epochs", "max_resource": "27", "min_resource": "1", "eta": "3"})
    assert errors_of(raw) == []
    assert promotes_configurations(name) and promotes_configurations("hyperband")
    assert not promotes_configurations("tpe")


def test_asha_warns_about_model_settings_without_tpe(doc):
    raw = _doc(doc, "asha", {"resource_name": "epochs", "r_l": "9", "top_n_percent": "20"})
    assert any(w.path == f"{A}[2].name" and "sampler: tpe" in str(w) for w in warnings_of(raw))


def test_resources_outside_the_parameter_are_refused_at_run():
    params = [p_double("x", 0, 1), p_int("epochs", 2, 9)]
    for name in ("asha", "bohb"):
        with pytest.raises(SuggestionError, match=r"takes values \[1\] outside its feasible space"):
            validate_algorithm(name, {"resource_name": "epochs", "r_l": "9"}, params)
    with pytest.raises(SuggestionError, match="must be int or double"):
        validate_algorithm("asha", {"resource_name": "act", "r_l": "9"}, [p_double("x", 0, 1), p_cat("act", "a")])


def test_hyperband_plan_with_min_resource_one_is_unchanged():
    assert hyperband_plan(81, 3) == hyperband_plan(81, 3, r_min=1)
    assert math.isclose(hyperband_plan(27, 3, r_min=3)[0].r, 3)
    assert LABEL_PARENT == "hyperband.kubetune.io/parent"
