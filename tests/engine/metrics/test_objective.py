"""Observation, objective value by strategy, best trial, goal (katib-semantics 5.6-5.8, 7.3)."""
import pytest

from kubetune.engine.metrics.report import ZERO_TIME, MetricLog, MetricsCollectionError, finalize
from kubetune.engine.objective import (
    best_trial, db_ordered, goal_reached, has_observation, observation, summarize_trials,
)
from kubetune.results import UNAVAILABLE, objective_value, selected_value

U = UNAVAILABLE


def logs(*items, name="loss"):
    """items: value or (value, timestamp)."""
    out = []
    for item in items:
        value, ts = item if isinstance(item, tuple) else (item, ZERO_TIME)
        out.append(MetricLog(name, value, ts))
    return out


def obs_of(*items):
    return observation(logs(*items), ["loss"])["loss"]


def test_min_max_latest_keep_the_reported_text():
    assert obs_of("0.5", "0.30", "1E0", "0.4") == {"min": "0.30", "max": "1E0", "latest": "0.4"}


def test_latest_is_the_greatest_timestamp_not_the_last_line():
    got = obs_of(("0.1", "2024-03-04T17:55:09Z"), ("0.2", "2024-03-04T17:55:08Z"))
    assert got["latest"] == "0.1"


def test_latest_on_equal_timestamps_is_the_later_row():
    assert obs_of("0.1", "0.2", "0.3")["latest"] == "0.3"  # all at the zero time
    same = "2024-03-04T17:55:08Z"
    assert obs_of(("0.1", same), ("0.2", "2024-03-04T19:55:08+02:00"))["latest"] == "0.2"


def test_timestamps_compare_at_microsecond_precision():
    # Katib's DB keeps microseconds: these two are equal there, so the later row wins
    got = obs_of(("0.1", "2024-03-04T17:55:08.0000009Z"), ("0.2", "2024-03-04T17:55:08.0000001Z"))
    assert got["latest"] == "0.2"
    got = obs_of(("0.1", "2024-03-04T17:55:08.000002Z"), ("0.2", "2024-03-04T17:55:08.000001Z"))
    assert got["latest"] == "0.1"


def test_offsets_are_compared_as_instants():
    got = obs_of(("late", "2024-03-04T17:30:00Z"), ("early", "2024-03-04T19:00:00+02:00"))
    assert got["latest"] == "late"


def test_values_that_go_cannot_parse_only_count_for_latest():
    assert obs_of("0.5", "", "abc", " 0.1", "1e400") == {"min": "0.5", "max": "0.5", "latest": "1e400"}
    assert obs_of("x", "y") == {"min": U, "max": U, "latest": "y"}
    assert obs_of("1_0", "2")["max"] == "1_0"  # Go's ParseFloat reads 1_0 as 10


def test_nan_sticks_like_in_go():
    assert obs_of("NaN", "1", "-1") == {"min": "NaN", "max": "NaN", "latest": "-1"}


def test_unavailable_report_gives_an_unavailable_observation():
    report = finalize(logs("0.5", name="acc"), "loss")
    obs = observation(report, ["loss", "acc"])
    assert obs == {"loss": {"min": U, "max": U, "latest": U}, "acc": {"min": U, "max": U, "latest": U}}
    assert not has_observation(obs, "loss")


def test_one_entry_per_requested_name_others_ignored():
    obs = observation(logs("0.5") + logs("0.9", name="acc") + logs("7", name="other"), ["loss", "acc", "f1"])
    assert list(obs) == ["loss", "acc", "f1"]
    assert obs["acc"] == {"min": "0.9", "max": "0.9", "latest": "0.9"}
    assert obs["f1"] == {"min": U, "max": U, "latest": U}
    assert has_observation(obs, "loss") and not has_observation(obs, "f1") and not has_observation(obs, "zz")


def test_unparsable_timestamp_is_an_error():
    with pytest.raises(MetricsCollectionError):
        observation([MetricLog("loss", "1", "2024-03-04 17:55:08")], ["loss"])


def test_db_order():
    a = MetricLog("loss", "a", "2024-03-04T17:55:09Z")
    b = MetricLog("loss", "b", "2024-03-04T17:55:08Z")
    c = MetricLog("loss", "c", "2024-03-04T17:55:09.0000001Z")
    assert db_ordered([a, b, c]) == [b, a, c]


STRATEGY_CASES = [
    # (observation of loss, strategy, selected text, objective value)
    ({"min": "0.1", "max": "0.9", "latest": "0.5"}, "min", "0.1", 0.1),
    ({"min": "0.1", "max": "0.9", "latest": "0.5"}, "max", "0.9", 0.9),
    ({"min": "0.1", "max": "0.9", "latest": "0.5"}, "latest", "0.5", 0.5),
    ({"min": U, "max": U, "latest": "abc"}, "min", "abc", None),     # falls back to latest
    ({"min": U, "max": U, "latest": "abc"}, "max", "abc", None),
    ({"min": U, "max": U, "latest": U}, "min", U, None),
    ({"min": "0.1", "max": "0.9", "latest": "0.5"}, "median", U, None),  # invalid strategy
    ({"min": "0.1", "max": "0.9", "latest": "0.5"}, "", U, None),
    ({"min": "0.1", "max": "0.9", "latest": "0.5"}, "Min", U, None),
]


@pytest.mark.parametrize("metric,strategy,text,value", STRATEGY_CASES)
def test_strategy_selection(metric, strategy, text, value):
    obs = {"loss": metric}
    assert selected_value(obs, "loss", strategy) == text
    assert objective_value(obs, "loss", strategy) == value


def test_strategy_on_missing_metric_or_observation():
    assert selected_value({}, "loss", "min") == U
    assert objective_value(None, "loss", "min") is None


BEST_CASES = [
    ([("a", 0.5), ("b", 0.3), ("c", 0.3)], "minimize", "b"),  # ties keep the earlier trial
    ([("a", 0.5), ("b", 0.7), ("c", 0.7)], "maximize", "b"),
    ([("a", None), ("b", 0.9), ("c", None)], "minimize", "b"),
    ([("a", U), ("b", "0.9"), ("c", "0.8")], "minimize", "c"),
    ([("a", None)], "minimize", None),
    ([], "maximize", None),
    ([("a", 0.1), ("b", "Genotype(...)"), ("c", "Genotype(x)")], "minimize", "c"),  # text: last such wins
    ([("a", "Genotype"), ("b", 0.5)], "minimize", "a"),  # 0.5 is compared with Katib's zero best
    ([("a", "Genotype"), ("b", -0.5)], "minimize", "b"),
    ([("a", 0.2), ("b", "txt"), ("c", 0.1)], "minimize", "c"),  # stale best 0.2 beaten by 0.1
    ([("a", 0.2), ("b", "txt"), ("c", 0.3)], "minimize", "b"),
]


@pytest.mark.parametrize("trials,objective_type,expected", BEST_CASES)
def test_best_trial(trials, objective_type, expected):
    assert best_trial(trials, objective_type) == expected


@pytest.mark.parametrize("value,goal,objective_type,reached", [
    (0.1, 0.1, "minimize", True), (0.09, 0.1, "minimize", True), (0.11, 0.1, "minimize", False),
    (0.9, 0.9, "maximize", True), (0.91, 0.9, "maximize", True), (0.89, 0.9, "maximize", False),
    (0.1, None, "minimize", False), (None, 0.1, "minimize", False),
])
def test_goal_reached(value, goal, objective_type, reached):
    assert goal_reached(value, goal, objective_type) is reached


def test_summarize_checks_the_goal_against_the_running_best():
    s = summarize_trials([("a", 0.5), ("b", 0.95), ("c", 0.7)], "maximize", goal=0.9)
    assert (s.best_trial, s.best_value, s.goal_reached) == ("b", 0.95, True)
    s = summarize_trials([("a", 0.5), ("b", 0.7)], "maximize", goal=0.9)
    assert (s.best_trial, s.goal_reached) == ("b", False)


def test_summarize_text_value_then_number_reaches_a_goal_through_the_zero_best():
    # Katib's quirk: the running best value is still 0 when the numeric trial is checked
    s = summarize_trials([("a", "Genotype"), ("b", 5.0)], "minimize", goal=1.0)
    assert (s.best_trial, s.best_value, s.goal_reached) == ("a", "Genotype", True)
