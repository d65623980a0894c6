"""hyperband: the paper's brackets, every bracket in order, promotions of the best."""

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
    validate_algorithm,
)
from algorithms_helpers import assert_in_domain, p_cat, p_double, p_int, view

# Li et al., "Hyperband" (JMLR 2018), Table 1: R = 81, eta = 3; (n_i, r_i) per bracket s.
PAPER_TABLE_1 = {
    4: [(81, 1), (27, 3), (9, 9), (3, 27), (1, 81)],
    3: [(34, 3), (11, 9), (3, 27), (1, 81)],
    2: [(15, 9), (5, 27), (1, 81)],
    1: [(8, 27), (2, 81)],
    0: [(5, 81)],
}


def test_plan_reproduces_table_1_of_the_paper():
    plan = hyperband_plan(81, 3)
    assert [b.s for b in plan] == [4, 3, 2, 1, 0]
    for bracket in plan:
        assert [(r.size, r.resource) for r in bracket.rounds] == PAPER_TABLE_1[bracket.s]


@pytest.mark.parametrize("r_l, eta", [(9, 3), (27, 3), (16, 2), (100, 4), (1000, 10), (50, 3),
                                      (1, 3)])
def test_plan_follows_the_paper_formulas(r_l, eta):
    s_max = max(s for s in range(40) if eta**s <= r_l)  # floor(log_eta R), exactly
    budget = (s_max + 1) * r_l
    plan = hyperband_plan(r_l, eta)
    assert [b.s for b in plan] == list(range(s_max, -1, -1))
    for bracket in plan:
        s = bracket.s
        assert bracket.n == math.ceil(budget / r_l * eta**s / (s + 1) - 1e-12)
        for i, rnd in enumerate(bracket.rounds):
            assert rnd.size == math.floor(bracket.n * eta ** (-i) + 1e-12)
            assert rnd.resource == math.floor(r_l * eta ** (i - s) + 1e-9)
        assert bracket.rounds[-1].resource == r_l


PARAMS = [p_double("x", 0.0, 1.0), p_int("width", 8, 64, 8), p_cat("act", "relu", "gelu"),
          p_int("epochs", 1, 9)]
SETTINGS = {"resource_name": "epochs", "r_l": "9", "eta": "3", "random_state": "5"}


def loss(a: dict[str, str]) -> float:
    """Lower is better; more epochs help every configuration by the same factor."""
    base = (float(a["x"]) - 0.3) ** 2 + int(a["width"]) / 1000 + (a["act"] == "gelu") * 0.01
    return base * 10 / int(a["epochs"])


def simulate(suggester, parallel: int, objective=loss, fail=lambda a, n: False,
             trials=None, stop_after: int | None = None):
    """An engine with `parallel` slots; the oldest running trial finishes at each step."""
    trials = list(trials or [])
    running = deque(i for i, t in enumerate(trials) if t.state == "Running")
    calls = 0
    while True:
        free = parallel - len(running)
        new = suggester.suggest(free, trials) if free > 0 else []
        calls += 1
        assert len(new) <= max(free, 0)
        for s in new:
            running.append(len(trials))
            trials.append(view(f"hb-{len(trials)}", s.assignments, "Running", None, s.labels))
        if stop_after is not None and len(trials) >= stop_after:
            return trials
        if not running:
            return trials
        i = running.popleft()
        t = trials[i]
        if fail(t.assignments, t.name):
            trials[i] = view(t.name, t.assignments, "Failed", None, t.labels)
        else:
            trials[i] = view(t.name, t.assignments, "Succeeded", objective(t.assignments), t.labels)
        assert calls < 10_000


def by_round(trials):
    groups: dict[tuple[int, int], list] = {}
    for t in trials:
        groups.setdefault((int(t.labels[LABEL_BRACKET]), int(t.labels[LABEL_ROUND])), []).append(t)
    return groups


@pytest.mark.parametrize("parallel", [1, 2, 9, 30])
def test_runs_every_bracket_with_the_planned_sizes_and_resources(parallel):
    suggester = make_suggester("hyperband", SETTINGS, PARAMS, "minimize")
    trials = simulate(suggester, parallel)
    assert_in_domain(PARAMS, trials)
    groups = by_round(trials)
    plan = hyperband_plan(9, 3)
    assert sorted(groups) == sorted((b.s, r.index) for b in plan for r in b.rounds)
    for bracket in plan:
        for rnd in bracket.rounds:
            group = groups[(bracket.s, rnd.index)]
            assert len(group) == rnd.size
            assert {t.assignments["epochs"] for t in group} == {str(rnd.resource)}
    assert len(trials) == sum(r.size for b in plan for r in b.rounds) == 22
    # brackets run in order: bracket s-1 starts after the last round of bracket s was handed out
    first_index = {s: min(i for i, t in enumerate(trials) if t.labels[LABEL_BRACKET] == str(s))
                   for s in (2, 1, 0)}
    last_round_index = {s: max(i for i, t in enumerate(trials) if (t.labels[LABEL_BRACKET],
                               t.labels[LABEL_ROUND]) == (str(s), str(s))) for s in (2, 1, 0)}
    assert last_round_index[2] < first_index[1] and last_round_index[1] < first_index[0]
    assert suggester.suggest(5, trials) == []  # exhausted


@pytest.mark.parametrize("objective_type, pick", [("minimize", min), ("maximize", max)])
def test_promotions_take_the_best_of_the_previous_round(objective_type, pick):
    suggester = make_suggester("hyperband", SETTINGS, PARAMS, objective_type)
    trials = simulate(suggester, parallel=4)
    groups = by_round(trials)
    names = {t.name: t for t in trials}
    reverse = objective_type == "maximize"
    for (s, i), group in groups.items():
        if i == 0:
            assert all(LABEL_PARENT not in t.labels for t in group)
            continue
        previous = sorted(groups[(s, i - 1)], key=lambda t: t.objective, reverse=reverse)
        parents = [names[t.labels[LABEL_PARENT]] for t in group]
        assert {p.name for p in parents} == {p.name for p in previous[: len(group)]}
        assert pick(p.objective for p in parents) == pick(t.objective for t in previous)
        for child, parent in zip(group, parents):
            assert {k: v for k, v in child.assignments.items() if k != "epochs"} == \
                   {k: v for k, v in parent.assignments.items() if k != "epochs"}


def test_failed_trials_are_never_promoted_and_a_dead_bracket_ends_early():
    suggester = make_suggester("hyperband", SETTINGS, PARAMS, "minimize")
    trials = simulate(suggester, parallel=3, fail=lambda a, n: a["epochs"] == "3")
    groups = by_round(trials)
    # bracket 2: round 1 (epochs 3) all failed -> no round 2; bracket 1: round 0 (epochs 3)
    # all failed -> no round 1; bracket 0 still runs
    assert (2, 2) not in groups and (1, 1) not in groups
    assert len(groups[(2, 1)]) == 3 and len(groups[(1, 0)]) == 5 and len(groups[(0, 0)]) == 3
    assert suggester.suggest(3, trials) == []


def test_some_failures_shrink_the_next_round():
    bad = set()

    def fail(assignments, name):
        if assignments["epochs"] == "1" and len(bad) < 7:
            bad.add(name)
            return True
        return False

    suggester = make_suggester("hyperband", SETTINGS, PARAMS, "minimize")
    trials = simulate(suggester, parallel=9, fail=fail)
    groups = by_round(trials)
    assert len(groups[(2, 0)]) == 9
    assert len(groups[(2, 1)]) == 2  # only 2 of 9 succeeded: both promoted, not 3
    assert not {t.labels[LABEL_PARENT] for t in groups[(2, 1)]} & bad


def test_a_recreated_suggester_continues_from_the_labels():
    reference = simulate(make_suggester("hyperband", SETTINGS, PARAMS, "minimize"), parallel=2)
    for cut in (5, 10, 13, 17):
        first = make_suggester("hyperband", SETTINGS, PARAMS, "minimize")
        partial = simulate(first, parallel=2, stop_after=cut)
        second = make_suggester("hyperband", SETTINGS, PARAMS, "minimize")  # restart
        trials = simulate(second, parallel=2, trials=partial)
        assert Counter((t.labels[LABEL_BRACKET], t.labels[LABEL_ROUND]) for t in trials) == \
               Counter((t.labels[LABEL_BRACKET], t.labels[LABEL_ROUND]) for t in reference)
        parents = [t.labels[LABEL_PARENT] for t in trials if LABEL_PARENT in t.labels]
        assert len(parents) == len(set(parents))  # no configuration promoted twice per round


def test_waits_while_the_previous_round_is_running():
    suggester = make_suggester("hyperband", SETTINGS, PARAMS, "minimize")
    round0 = suggester.suggest(9, [])
    trials = [view(f"t{i}", s.assignments, "Succeeded", loss(s.assignments), s.labels)
              for i, s in enumerate(round0)]
    trials[4] = view("t4", round0[4].assignments, "Running", None, round0[4].labels)
    assert suggester.suggest(3, trials) == []
    trials[4] = view("t4", round0[4].assignments, "Succeeded", 0.0, round0[4].labels)
    promoted = suggester.suggest(3, trials)
    assert len(promoted) == 3 and promoted[0].labels[LABEL_PARENT] == "t4"
    assert all(s.assignments["epochs"] == "3" for s in promoted)


def test_double_resource_parameter_gets_whole_resources():
    params = [p_double("lr", 0.001, 0.1, dist="logUniform"), p_double("budget", 1.0, 27.0)]
    suggester = make_suggester("hyperband", {"resource_name": "budget", "r_l": "27"}, params,
                               "maximize", seed=1)
    trials = simulate(suggester, parallel=27, objective=lambda a: float(a["budget"]))
    assert_in_domain(params, trials)
    assert {t.assignments["budget"] for t in trials} == {"1.0", "3.0", "9.0", "27.0"}


S = "spec.algorithm.algorithmSettings"


@pytest.mark.parametrize("settings, words", [
    ({"r_l": "9"}, [S, "needs settings r_l and resource_name", "missing resource_name"]),
    ({"resource_name": "epochs"}, [S, "needs settings r_l and resource_name", "missing r_l"]),
    ({"resource_name": "epochs", "r_l": "0"}, [f"{S}[1].value", "r_l", '"0"', "> 0"]),
    ({"resource_name": "epochs", "r_l": "nine"}, [f"{S}[1].value", "r_l", '"nine"']),
    ({"resource_name": "epochs", "r_l": "9", "eta": "1"}, [f"{S}[2].value", "eta", ">= 2"]),
    ({"resource_name": "epochs", "r_l": "9", "eta": "three"}, ["eta", '"three"']),
    ({"resource_name": "steps", "r_l": "9"}, [f"{S}[0].value", "resource_name", '"steps"',
                                              "epochs"]),
    ({"resource_name": "act", "r_l": "9"}, ["'act'", "int or double"]),
    ({"resource_name": "epochs", "r_l": "27"}, ["'epochs'", "[27]", "outside"]),
    ({"resource_name": "width", "r_l": "9"}, ["'width'", "outside"]),
    ({"resource_name": "epochs", "r_l": "9", "random_state": "-1"}, [f"{S}[2].value",
                                                                     "random_state", '"-1"']),
])
def test_bad_settings_are_rejected_naming_the_setting(settings, words):
    with pytest.raises(SuggestionError) as err:
        make_suggester("hyperband", settings, PARAMS, "minimize")
    for word in words:
        assert word in str(err.value)


def test_eta_at_most_zero_means_three():
    settings = {**SETTINGS, "eta": "-2"}
    suggester = make_suggester("hyperband", settings, PARAMS, "minimize")
    assert len(suggester.suggest(20, [])) == 9  # bracket s_max = 2 of eta 3 samples 9


def test_parallel_trial_count_rule_uses_katibs_formula():
    validate_algorithm("hyperband", SETTINGS, PARAMS, parallel_trial_count=9)
    with pytest.raises(SuggestionError, match="spec.parallelTrialCount: found 8; hyperband with "
                                              "these settings needs at least 9"):
        validate_algorithm("hyperband", SETTINGS, PARAMS, parallel_trial_count=8)
    # Katib's int(log(1000) / log(10)) is 2, so it asks for 100 (kubetune's plan has s_max 3)
    params = [p_int("steps", 1, 1000)]
    settings = {"resource_name": "steps", "r_l": "1000", "eta": "10"}
    validate_algorithm("hyperband", settings, params, parallel_trial_count=100)
    assert hyperband_plan(1000, 10)[0].s == 3
