"""The Optuna study behind random/tpe/multivariate-tpe/cmaes/bayesianoptimization follows the
engine's trial list: states are told as documented and a resumed experiment rebuilds it."""

from __future__ import annotations

import logging
import random
import statistics

from optuna.study import StudyDirection
from optuna.trial import TrialState

from kubetune.algorithms import make_suggester
from kubetune.algorithms.space import SearchSpace, hyperopt_options
from algorithms_helpers import p_cat, p_double, p_int, view

PARAMS = [p_double("x", 0.0, 1.0), p_int("n", 1, 10), p_cat("c", "a", "b")]


def trials_from(suggestions, states, objectives=None, intermediate=None, offset=0):
    objectives = objectives or [None] * len(states)
    intermediate = intermediate or [()] * len(states)
    return [view(f"t{offset + i}", s.assignments, state, obj, intermediate=inter)
            for i, (s, state, obj, inter) in enumerate(zip(suggestions, states, objectives,
                                                            intermediate))]


def test_each_state_is_told_as_documented():
    suggester = make_suggester("random", {"random_state": "1"}, PARAMS, "minimize")
    asked = suggester.suggest(6, [])
    states = ["Succeeded", "Failed", "MetricsUnavailable", "Killed", "EarlyStopped", "Running"]
    trials = trials_from(asked, states, [0.5, None, None, None, 0.7, None],
                         [(), (), (), (), (0.9, 0.8), ()])
    suggester.suggest(0, trials)
    frozen = suggester.study.get_trials(deepcopy=False)
    assert [t.state for t in frozen] == [TrialState.COMPLETE, TrialState.FAIL, TrialState.FAIL,
                                         TrialState.FAIL, TrialState.PRUNED, TrialState.RUNNING]
    assert frozen[0].value == 0.5
    assert frozen[4].value == 0.7 and frozen[4].intermediate_values == {0: 0.9, 1: 0.8, 2: 0.7}
    # the running one finishes later
    trials[5] = view("t5", asked[5].assignments, "Succeeded", 0.1)
    suggester.suggest(0, trials)
    assert suggester.study.get_trials(deepcopy=False)[5].value == 0.1
    assert suggester.study.best_trial.number == 5


def test_maximize_is_the_study_direction():
    suggester = make_suggester("tpe", {}, PARAMS, "maximize")
    asked = suggester.suggest(3, [])
    suggester.suggest(0, trials_from(asked, ["Succeeded"] * 3, [1.0, 3.0, 2.0]))
    assert suggester.study.direction == StudyDirection.MAXIMIZE
    assert suggester.study.best_value == 3.0


def test_a_resumed_suggester_adopts_every_trial_of_the_list():
    first = make_suggester("random", {"random_state": "3"}, PARAMS, "minimize")
    asked = first.suggest(6, [])
    states = ["Succeeded", "Failed", "EarlyStopped", "Running", "Created", "MetricsUnavailable"]
    trials = trials_from(asked, states, [0.2, None, 0.4, None, None, None],
                         [(), (), (0.6,), (), (), ()])
    second = make_suggester("tpe", {"random_state": "3"}, PARAMS, "minimize")
    new = second.suggest(2, trials)
    frozen = second.study.get_trials(deepcopy=False)
    assert [t.state for t in frozen[:6]] == [TrialState.COMPLETE, TrialState.FAIL,
                                             TrialState.PRUNED, TrialState.RUNNING,
                                             TrialState.RUNNING, TrialState.FAIL]
    assert frozen[0].value == 0.2 and frozen[2].value == 0.4
    space = SearchSpace(PARAMS, **hyperopt_options("tpe"))  # tpe's own coordinates
    for trial, frozen_trial in zip(trials, frozen):
        assert space.from_optuna(frozen_trial.params) == trial.assignments
    # adopted running trials are told when they finish; the two new ones were never created
    trials[3] = view("t3", asked[3].assignments, "Succeeded", 0.05)
    second.suggest(0, trials)
    frozen = second.study.get_trials(deepcopy=False)
    assert frozen[3].state == TrialState.COMPLETE and frozen[3].value == 0.05
    assert [t.state for t in frozen[6:]] == [TrialState.FAIL] * len(new)


def test_trials_that_vanish_from_the_list_stop_counting_as_running():
    suggester = make_suggester("random", {}, PARAMS, "minimize")
    asked = suggester.suggest(3, [])
    trials = trials_from(asked, ["Running"] * 3)
    suggester.suggest(0, trials)
    suggester.suggest(0, trials[:1])  # the engine deleted the two newest trials
    states = [t.state for t in suggester.study.get_trials(deepcopy=False)]
    assert states == [TrialState.RUNNING, TrialState.FAIL, TrialState.FAIL]


def test_foreign_values_outside_the_space_are_skipped_with_a_warning(caplog):
    suggester = make_suggester("random", {}, PARAMS, "minimize")
    odd = view("old", {"x": "7.5", "n": "3", "c": "a"}, "Succeeded", 1.0)
    with caplog.at_level(logging.WARNING):
        assert len(suggester.suggest(1, [odd])) == 1
    assert "cannot use trial old" in caplog.text
    assert len(suggester.study.get_trials(deepcopy=False)) == 1


def test_identical_assignments_are_matched_first_come_first_served():
    suggester = make_suggester("random", {}, [p_cat("c", "only")], "minimize")
    asked = suggester.suggest(2, [])
    assert asked[0].assignments == asked[1].assignments
    trials = trials_from(asked, ["Succeeded", "Running"], [1.0, None])
    suggester.suggest(0, trials)
    frozen = suggester.study.get_trials(deepcopy=False)
    assert [t.state for t in frozen] == [TrialState.COMPLETE, TrialState.RUNNING]


def test_resumed_tpe_learns_from_the_adopted_history():
    rng = random.Random(0)
    history = []
    for i in range(40):
        x = rng.random()
        history.append(view(f"h{i}", {"x": repr(x)}, "Succeeded", (x - 0.8) ** 2))
    params = [p_double("x", 0.0, 1.0)]
    fresh = make_suggester("multivariate-tpe", {"random_state": "2", "n_startup_trials": "10"},
                           params, "minimize")
    near = [float(s.assignments["x"]) for s in fresh.suggest(10, history)]
    blind = make_suggester("multivariate-tpe", {"random_state": "2", "n_startup_trials": "10"},
                           params, "minimize")
    far = [float(s.assignments["x"]) for s in blind.suggest(10, [])]
    error_near = statistics.fmean(abs(x - 0.8) for x in near)
    assert error_near < 0.1
    assert error_near < statistics.fmean(abs(x - 0.8) for x in far)


def test_resumed_cmaes_restarts_around_the_best_trial():
    params = [p_double("x", 0.0, 10.0), p_double("y", 0.0, 10.0)]
    rng = random.Random(1)
    history = []
    for i in range(30):
        x, y = rng.uniform(0, 10), rng.uniform(0, 10)
        history.append(view(f"h{i}", {"x": repr(x), "y": repr(y)}, "Succeeded",
                            (x - 8.5) ** 2 + (y - 1.5) ** 2))
    best = min(history, key=lambda t: t.objective)
    suggester = make_suggester("cmaes", {"random_state": "0", "sigma": "1.0"}, params, "minimize")
    new = suggester.suggest(8, history)
    bx, by = float(best.assignments["x"]), float(best.assignments["y"])
    distances = [((float(s.assignments["x"]) - bx) ** 2 + (float(s.assignments["y"]) - by) ** 2)
                 ** 0.5 for s in new]
    assert statistics.fmean(distances) < 2.5  # the centre (5, 5) is ~4.8 away from the best
