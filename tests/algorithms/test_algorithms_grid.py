"""grid: exactly the grid, each point once, then [] - also across re-created suggesters."""

from __future__ import annotations

import itertools

import pytest

from kubetune.algorithms import SuggestionError, make_suggester, validate_algorithm
from kubetune.algorithms._grid import GridSuggester, grid_size
from algorithms_helpers import p_cat, p_discrete, p_double, p_int, run, view

PARAMS = [
    p_int("layers", 1, 7, 3),  # 1, 4, 7
    p_double("dropout", 0.1, 0.3, 0.1),  # 0.1, 0.2, 0.30000000000000004 (numpy arange, as Katib)
    p_cat("opt", "sgd", "adam"),
    p_discrete("batch", "32", "64"),
]


def expected_points() -> set[tuple[str, ...]]:
    lists = [p.grid_values() for p in PARAMS]
    return set(itertools.product(*lists))


def point(assignments: dict[str, str]) -> tuple[str, ...]:
    return tuple(assignments[p.name] for p in PARAMS)


def test_grid_values_follow_katibs_grid():
    assert PARAMS[0].grid_values() == ["1", "4", "7"]
    assert len(PARAMS[1].grid_values()) == 3
    assert grid_size(PARAMS) == 36


@pytest.mark.parametrize("batch", [1, 5, 36, 50])
def test_enumerates_exactly_the_grid_then_returns_nothing(batch):
    suggester = make_suggester("grid", {"random_state": "4"}, PARAMS, "minimize")
    trials = run(suggester, lambda a: 0.0, 100, batch=batch)
    points = [point(t.assignments) for t in trials]
    assert len(points) == 36 == len(set(points))
    assert set(points) == expected_points()
    assert suggester.suggest(3, trials) == []


def test_recreated_suggester_never_repeats_a_finished_or_running_point():
    first = make_suggester("grid", {"random_state": "1"}, PARAMS, "minimize")
    trials = run(first, lambda a: 1.0, 20, batch=4)
    # the experiment restarts: a new suggester (same seed) sees the trials in every state
    states = ["Succeeded", "Failed", "Running", "EarlyStopped", "MetricsUnavailable", "Created"]
    trials = [view(t.name, t.assignments, states[i % len(states)], t.objective)
              for i, t in enumerate(trials)]
    second = make_suggester("grid", {"random_state": "1"}, PARAMS, "minimize")
    rest = second.suggest(100, trials)
    assert len(rest) == 16
    assert {point(s.assignments) for s in rest} == expected_points() - {point(t.assignments)
                                                                        for t in trials}
    assert second.suggest(1, trials + [view(f"r{i}", s.assignments) for i, s in
                                       enumerate(rest)]) == []


def test_a_point_written_differently_is_still_recognised():
    suggester = make_suggester("grid", {}, [p_double("x", 0.1, 0.3, 0.1)], "minimize")
    taken = [view("a", {"x": "0.3"}), view("b", {"x": "0.1"})]  # arange gives 0.30000000000000004
    (only,) = suggester.suggest(5, taken)
    assert only.assignments == {"x": "0.2"}


def test_suggestions_handed_out_but_not_yet_listed_are_not_repeated():
    suggester = make_suggester("grid", {}, [p_int("n", 1, 4)], "minimize")
    first = suggester.suggest(2, [])
    second = suggester.suggest(2, [])  # the engine has not created the first two trials yet
    assert {s.assignments["n"] for s in first + second} == {"1", "2", "3", "4"}
    assert suggester.suggest(2, []) == []


def test_random_state_fixes_the_order():
    def order(seed):
        suggester = make_suggester("grid", {"random_state": str(seed)}, PARAMS, "minimize")
        return [point(s.assignments) for s in suggester.suggest(36, [])]
    assert order(7) == order(7)
    assert order(7) != order(8)


def test_grid_of_a_huge_space_samples_without_enumerating():
    params = [p_int(f"p{i}", 0, 99) for i in range(8)]  # 10^16 points
    suggester = make_suggester("grid", {"random_state": "0"}, params, "minimize")
    points = [tuple(s.assignments.values()) for s in suggester.suggest(50, [])]
    assert len(set(points)) == 50


def test_double_without_step_is_rejected():
    with pytest.raises(SuggestionError, match=r"spec.parameters\[0\].feasibleSpace.step: grid needs a "
                                              'step for double parameter "lr"'):
        make_suggester("grid", {}, [p_double("lr", 0.01, 0.1)], "minimize")


def test_the_enumerator_itself_refuses_a_double_without_step_with_katibs_message():
    with pytest.raises(SuggestionError, match="Param lr step is nil"):
        GridSuggester([p_double("lr", 0.01, 0.1)], seed=0)


def test_duplicate_parameter_names_are_refused():
    with pytest.raises(SuggestionError, match="duplicated parameter names"):
        make_suggester("grid", {}, [p_int("n", 1, 3), p_int("n", 1, 4)], "minimize")


def test_max_trial_count_above_the_grid_size_is_rejected():
    validate_algorithm("grid", {}, PARAMS, max_trial_count=36)
    with pytest.raises(SuggestionError, match="spec.maxTrialCount: found 37; the grid has only 36 "
                                              "points"):
        validate_algorithm("grid", {}, PARAMS, max_trial_count=37)
