"""Observation, objective value by strategy, best trial, goal (katib-semantics 5.6-5.8, 7.3), as
the engine computes them: ObservationBuilder / TrialMetrics, trialmetrics.objective_curves,
kubetune.results.optimal_trial and termination.ending."""
import pytest

from kubetune.engine.collector import Batch
from kubetune.engine.metrics.report import ZERO_TIME, MetricLog, MetricsCollectionError
from kubetune.engine.objective import ObservationBuilder, goal_reached, has_observation
from kubetune.engine.state import ExperimentState
from kubetune.engine.termination import ending
from kubetune.engine.trialmetrics import TrialMetrics, objective_curves
from kubetune.experiment import experiment_from_dict
from kubetune.results import UNAVAILABLE, Counts, TrialRow, objective_result, objective_value, optimal_trial, \
    selected_value

U = UNAVAILABLE


def logs(*items, name="loss"):
    """items: value or (value, timestamp)."""
    out = []
    for item in items:
        value, ts = item if isinstance(item, tuple) else (item, ZERO_TIME)
        out.append(MetricLog(name, value, ts))
    return out


def observation(logs, metric_names):
    """What the engine's TrialMetrics folds the logs into, batch by batch (ObservationBuilder.add)."""
    builder = ObservationBuilder(metric_names)
    for log in logs:
        builder.add(log.name, log.value, log.timestamp)
    return builder.observation()


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
    assert obs_of("0.5", "", "-", "abc", " 0.1", "1e400") == {"min": "0.5", "max": "0.5", "latest": "1e400"}
    assert obs_of("x", "y") == {"min": U, "max": U, "latest": "y"}
    assert obs_of("1_0", "2")["max"] == "1_0"  # Go's ParseFloat reads 1_0 as 10


def test_nan_sticks_like_in_go():
    assert obs_of("NaN", "1", "-1") == {"min": "NaN", "max": "NaN", "latest": "-1"}


@pytest.fixture
def state(tmp_path):
    s = ExperimentState(tmp_path / "state.db")
    s.init_experiment("e", "default", {})
    s.add_trials([("e-t", {}, {}, None)])
    yield s
    s.close()


def test_unavailable_report_gives_an_unavailable_observation(state):
    # the objective was never reported: Katib's report is the single unavailable log
    metrics = TrialMetrics("e-t", "loss", ["loss", "acc"], "min")
    metrics.apply(state, Batch(logs("0.5", name="acc")))
    obs, value = metrics.observe()
    assert obs == {"loss": {"min": U, "max": U, "latest": U}, "acc": {"min": U, "max": U, "latest": U}}
    assert value is None and not has_observation(obs, "loss")


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
    # by time at the DB's microsecond precision (c's 100 ns are cut: it ties a), ties in report order
    rows = [("2024-03-04T17:55:09Z", "loss", "a"), ("2024-03-04T17:55:08Z", "loss", "b"),
            ("2024-03-04T17:55:09.0000001Z", "loss", "c")]
    assert objective_curves(rows)[1] == ["b", "a", "c"]


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


def rows(trials):
    """Finished TrialRows in list order from (name, objective value) as the engine stores them: a value
    Go's ParseFloat reads as a float; other text as the objective's text (the trial is Succeeded, as
    in Katib); "unavailable" or none as no objective (the trial ends MetricsUnavailable)."""
    out = []
    for seq, (name, value) in enumerate(trials):
        result = objective_result({"m": {"latest": value}}, "m", "latest") if isinstance(value, str) else value
        state = "Succeeded" if result is not None else "MetricsUnavailable"
        text = result if isinstance(result, str) else None
        out.append(TrialRow(seq=seq, name=name, assignments={}, labels={}, state=state, created=0.0,
                            objective=None if text is not None else result, objective_text=text))
    return out


BEST_CASES = [
    ([("a", 0.5), ("b", 0.3), ("c", 0.3)], "minimize", "b"),  # ties keep the earlier trial
    ([("a", 0.5), ("b", 0.7), ("c", 0.7)], "maximize", "b"),
    ([("a", None), ("b", 0.9), ("c", None)], "minimize", "b"),
    ([("a", U), ("b", "0.9"), ("c", "0.8")], "minimize", "c"),
    ([("a", None)], "minimize", None),
    ([], "maximize", None),
    # when any trial has a number, the best is chosen among the numbers only: unlike Katib, whose loop
    # makes a text trial the best (the last such) and compares later numbers with a stale or zero best
    ([("a", 0.1), ("b", "Genotype(...)"), ("c", "Genotype(x)")], "minimize", "a"),  # Katib: c
    ([("a", "Genotype"), ("b", 0.5)], "minimize", "b"),  # Katib: a (0.5 < 0, its zero best, is false)
    ([("a", "Genotype"), ("b", -0.5)], "minimize", "b"),
    ([("a", 0.2), ("b", "txt"), ("c", 0.1)], "minimize", "c"),
    ([("a", 0.2), ("b", "txt"), ("c", 0.3)], "minimize", "a"),  # Katib: b
    ([("a", "txt"), ("b", U), ("c", 0.3), ("d", "Genotype(d)")], "maximize", "c"),
    # no trial has a number: the last text trial, as Katib picks it (DARTS: its genotype is the result)
    ([("a", "Genotype(a)")], "maximize", "a"),
    ([("a", "Genotype(a)"), ("b", "Genotype(b)"), ("c", U)], "maximize", "b"),
    ([("a", "Genotype(a)"), ("b", "Genotype(b)")], "minimize", "b"),
    ([("a", " 0.5"), ("b", "1e400")], "maximize", "b"),  # text to Go's ParseFloat (untrimmed, out of range)
    ([("a", " 0.5"), ("b", "0.1")], "maximize", "b"),
]


def test_the_best_does_not_depend_on_finishing_order():
    """The engine's TrialBook folds trials in as they finish; the result is optimal_trial's."""
    from kubetune.engine.trialbook import TrialBook

    for trials, objective_type, expected in BEST_CASES:
        finished = rows(trials)
        book = TrialBook([], objective_type)
        for row in reversed(finished):
            book.put(row)
        assert (book.best and book.best.name) == expected, trials


def test_a_text_objective_is_an_observation():
    """Katib's getMetrics: min and max over numbers only ("unavailable"), latest the text; the trial
    has an observation (Succeeded) and its selected value is the text, by any strategy."""
    genotype = "Genotype(normal=[[('sep_conv_3x3', 0)]], reduce=[[('max_pooling_3x3', 0)]])"
    obs = observation(logs(genotype, name="Best-Genotype"), ["Best-Genotype"])
    assert obs == {"Best-Genotype": {"min": U, "max": U, "latest": genotype}}
    assert has_observation(obs, "Best-Genotype")
    for strategy in ("min", "max", "latest"):
        assert objective_value(obs, "Best-Genotype", strategy) is None
        assert objective_result(obs, "Best-Genotype", strategy) == genotype
    assert objective_result({"m": {"min": "0.5", "max": "0.5", "latest": "x"}}, "m", "max") == 0.5
    assert objective_result({"m": {"min": U, "max": U, "latest": U}}, "m", "max") is None


@pytest.mark.parametrize("trials,objective_type,expected", BEST_CASES)
def test_best_trial(trials, objective_type, expected):
    best = optimal_trial(rows(trials), objective_type)
    assert (best and best.name) == expected


@pytest.mark.parametrize("value,goal,objective_type,reached", [
    (0.1, 0.1, "minimize", True), (0.09, 0.1, "minimize", True), (0.11, 0.1, "minimize", False),
    (0.9, 0.9, "maximize", True), (0.91, 0.9, "maximize", True), (0.89, 0.9, "maximize", False),
    (0.1, None, "minimize", False), (None, 0.1, "minimize", False),
])
def test_goal_reached(value, goal, objective_type, reached):
    assert goal_reached(value, goal, objective_type) is reached


def goal_ending(trials, objective_type, goal):
    """The engine's termination check over finished trials: the goal against the best trial."""
    exp = experiment_from_dict({
        "apiVersion": "kubeflow.org/v1beta1", "kind": "Experiment", "metadata": {"name": "g"},
        "spec": {"objective": {"type": objective_type, "objectiveMetricName": "m", "goal": goal},
                 "algorithm": {"algorithmName": "random"}, "maxTrialCount": 99,
                 "parameters": [{"name": "x", "parameterType": "double",
                                 "feasibleSpace": {"min": "0", "max": "1"}}],
                 "trialTemplate": {
                     "primaryContainerName": "c", "trialParameters": [{"name": "x", "reference": "x"}],
                     "trialSpec": {"apiVersion": "batch/v1", "kind": "Job", "spec": {"template": {"spec": {
                         "containers": [{"name": "c", "image": "python:3.11", "command": ["python", "t.py"],
                                         "args": ["--x=${trialParameters.x}"]}],
                         "restartPolicy": "Never"}}}}}}})
    finished = rows(trials)
    best = optimal_trial(finished, objective_type)
    end = ending(exp, best, Counts.of(finished), 0.0, 0.0)
    return best.name, best.objective, end and end[1]


def test_the_goal_is_checked_against_the_best_trial():
    # Katib checks the goal against its running best inside the loop: for numbers, the best trial's
    assert goal_ending([("a", 0.5), ("b", 0.95), ("c", 0.7)], "maximize", 0.9) == ("b", 0.95, "ExperimentGoalReached")
    assert goal_ending([("a", 0.5), ("b", 0.7)], "maximize", 0.9) == ("b", 0.7, None)


def test_a_text_objective_reaches_no_goal():
    # Katib: the text trial is best and 5.0 is compared with its zero best value, so 0 <= 1.0 reaches
    # the goal; here the numbers are ranked alone and 5.0 is the best, which does not
    assert goal_ending([("a", "Genotype"), ("b", 5.0)], "minimize", 1.0) == ("b", 5.0, None)
    # a text best compares with no goal (Katib skips the goal check for text too)
    assert goal_ending([("a", "Genotype")], "minimize", 1.0) == ("a", None, None)
    assert goal_ending([("a", "Genotype"), ("b", U)], "maximize", 0.0) == ("a", None, None)
