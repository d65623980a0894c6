"""Katib's medianstop: settings, rule computation, the sidecar's single evaluation (section 4);
the engine's reading of a trial's objective history, as the service reads it."""
import pytest

from kubetune.algorithms.earlystopping import (
    Rule, RuleEvaluator, parse_sidecar_value, rule_from_dict, rule_to_dict, rule_would_stop,
)
from kubetune.algorithms.earlystopping.medianstop import MedianStopSettings, SettingsError, compute_rule
from kubetune.engine.metrics.report import MetricLog
from kubetune.engine.collector import Batch
from kubetune.engine.metrics.text import TextMetricParser
from kubetune.engine.state import ExperimentState
from kubetune.engine.trialmetrics import TrialMetrics, objective_curves


def db_curve(logs, objective, state_dir):
    """The objective curve the engine hands early stopping for a succeeded trial (TrialMetrics.db_curve),
    the logs stored in a real state as the engine stores them."""
    state = ExperimentState(state_dir / "state.db")
    try:
        state.init_experiment("e", "default", {})
        state.add_trials([("e-t", {}, {}, None)])
        metrics = TrialMetrics("e-t", objective, [objective], "max")
        metrics.apply(state, Batch(list(logs)))
        return list(metrics.db_curve(state))
    finally:
        state.close()


def test_default_settings():
    assert MedianStopSettings() == MedianStopSettings(3, 4)
    assert MedianStopSettings.from_settings(None) == MedianStopSettings(3, 4)
    assert MedianStopSettings.from_settings([]) == MedianStopSettings(3, 4)


def test_settings_from_spec_list_and_mapping():
    spec = [{"name": "min_trials_required", "value": "2"}, {"name": "start_step", "value": "5"},
            {"name": "start_step", "value": "6"}]  # a later duplicate wins
    assert MedianStopSettings.from_settings(spec) == MedianStopSettings(2, 6)
    assert MedianStopSettings.from_settings({"start_step": " +7 "}) == MedianStopSettings(3, 7)  # Python int()
    assert MedianStopSettings.from_settings({"min_trials_required": 1}) == MedianStopSettings(1, 4)


@pytest.mark.parametrize("settings,setting,message", [
    ({"min_trials_required": "0"}, "min_trials_required", "greater than zero"),
    ({"min_trials_required": "-1"}, "min_trials_required", "greater than zero"),
    ({"start_step": "0"}, "start_step", "greater or equal than one"),
    ({"start_step": "2.5"}, "start_step", "failed to validate start_step"),
    ({"start_step": ""}, "start_step", "failed to validate"),
    ({"min_trials_required": True}, "min_trials_required", "integer"),
    ({"min_trials": "3"}, "min_trials", "unknown setting"),
])
def test_invalid_settings_name_the_setting(settings, setting, message):
    with pytest.raises(SettingsError, match=message) as err:
        MedianStopSettings.from_settings(settings)
    assert err.value.setting == setting
    assert setting in str(err.value)


def test_rule_is_the_mean_of_each_trials_first_start_step_means():
    settings = MedianStopSettings(min_trials_required=3, start_step=2)
    succeeded = [[1.0, 2.0, 100.0], [3.0, 5.0], [10.0]]  # means of first 2 values: 1.5, 4.0, 10.0
    rule = compute_rule(succeeded, "maximize", settings, metric_name="accuracy")
    assert rule == Rule("accuracy", (1.5 + 4.0 + 10.0) / 3, "less", 2)
    assert rule.value_text == "5.166666666666667"
    assert rule.as_flag() == "accuracy;5.166666666666667;less;2"


def test_minimize_compares_greater_and_defaults_apply():
    succeeded = [[0.9, 0.8, 0.7, 0.6, 0.1], [0.5, 0.5, 0.5, 0.5], [0.4, 0.2, 0.3, 0.1]]
    rule = compute_rule(succeeded, "minimize", None, metric_name="loss")
    assert rule.comparison == "greater" and rule.start_step == 4
    assert rule.value == pytest.approx((0.75 + 0.5 + 0.25) / 3)


def test_no_rule_before_min_trials_required_succeeded():
    settings = {"min_trials_required": "3", "start_step": "1"}  # the engine passes the spec's dict
    assert compute_rule([], "maximize", settings) is None
    assert compute_rule([[0.5], [0.6]], "maximize", settings) is None
    assert compute_rule([[0.5], [0.6], [0.7]], "maximize", settings).value == pytest.approx(0.6)


def test_rule_sums_in_katibs_order_bit_for_bit():
    values = [[0.1, 0.2, 0.3, 0.4], [0.7, 0.1, 0.1, 0.3], [0.3, 0.3, 0.3, 0.3]]
    means = []
    for v in values:
        total = 0
        for x in v:
            total += x
        means.append(total / 4)
    assert compute_rule(values, "maximize").value == sum(means) / 3


def test_a_succeeded_trial_without_values_is_an_error():
    with pytest.raises(ValueError, match="no objective values"):
        compute_rule([[0.5], []], "maximize")


def test_rule_dict_round_trip():
    rule = Rule("loss", 0.1 + 0.2, "greater", 4)
    data = rule_to_dict(rule)
    assert data == {"name": "loss", "value": "0.30000000000000004", "comparison": "greater", "startStep": 4}
    assert rule_from_dict(data) == rule
    with pytest.raises(ValueError, match="comparison"):
        Rule("loss", 1.0, "less-than", 4)
    with pytest.raises(ValueError, match="value"):
        rule_from_dict({"name": "loss", "value": "x", "comparison": "less", "startStep": 1})


def test_maximize_trial_stops_at_the_start_step_th_value_when_best_is_below():
    ev = RuleEvaluator(Rule("accuracy", 0.8, "less", 4), "maximize")
    assert [ev.feed(v) for v in (0.5, 0.6, 0.7)] == [False, False, False]
    assert ev.feed(0.75) is True
    assert ev.stopped and ev.steps == 4
    assert [ev.feed(v) for v in (0.1, 0.1)] == [False, False]  # stopped once, never again


def test_best_so_far_is_compared_not_the_raw_value():
    ev = RuleEvaluator(Rule("accuracy", 0.8, "less", 4), "maximize")
    assert [ev.feed(v) for v in (0.5, 0.9, 0.6, 0.7)] == [False] * 4  # best 0.9 is not < 0.8
    assert ev.best == 0.9 and ev.evaluated and not ev.stopped


def test_rule_is_evaluated_only_once():
    # medianstop's own rules can never become true later (the best only moves away from them), so
    # "once" shows with a rule pointing the other way: the best crosses it after the start step
    ev = RuleEvaluator(Rule("accuracy", 0.8, "greater", 2), "maximize")
    assert [ev.feed(v) for v in (0.5, 0.6)] == [False, False]  # checked at step 2: 0.6 is not > 0.8
    assert [ev.feed(v) for v in (0.9, 0.95)] == [False, False]  # best 0.95 > 0.8, but too late
    assert ev.evaluated and not ev.stopped
    ev = RuleEvaluator(Rule("loss", 1.0, "greater", 2), "minimize")
    assert [ev.feed(v) for v in (0.5, 2.0, 5.0, 6.0)] == [False] * 4


def test_minimize_uses_the_running_minimum():
    ev = RuleEvaluator(Rule("loss", 0.5, "greater", 3), "minimize")
    assert [ev.feed(v) for v in (0.9, 0.6, 0.7)] == [False, False, True]  # best 0.6 > 0.5


def test_equal_comparison_and_start_step_zero():
    ev = RuleEvaluator(Rule("loss", 0.5, "greater", 0), "minimize")
    assert [ev.feed(v) for v in (0.9, 0.8, 0.4, 0.3)] == [True, False, False, False]
    ev = RuleEvaluator(Rule("acc", 0.5, "equal", 0), "maximize")
    assert [ev.feed(v) for v in (0.1, 0.5, 0.5)] == [False, True, False]


def test_rule_would_stop_position():
    rule = Rule("accuracy", 0.8, "less", 4)
    assert rule_would_stop([0.1, 0.2, 0.3, 0.4, 0.5], rule, "maximize") == 4
    assert rule_would_stop([0.1, 0.2, 0.3], rule, "maximize") is None  # never reached step 4
    assert rule_would_stop([0.1, 0.2, 0.3, 0.85], rule, "maximize") is None


def test_experiment_with_median_stop_end_to_end(tmp_path):
    """Trials run one after another; the rule is frozen when each trial is created."""
    settings = MedianStopSettings(min_trials_required=3, start_step=2)
    curves = {
        "t1": [0.6, 0.7, 0.8],
        "t2": [0.5, 0.7, 0.9],
        "t3": [0.4, 0.6],       # rule from t1..t3 = mean(0.65, 0.6, 0.5) = 0.5833...
        "t4": [0.3, 0.4, 0.9],  # created when 3 had succeeded: best 0.4 at step 2 < 0.583 -> stopped
        "t5": [0.7, 0.2, 0.1],  # best 0.7 at step 2: runs on
    }
    succeeded, stopped_at, rules = [], {}, {}
    for name, curve in curves.items():
        rule = compute_rule(succeeded, "maximize", settings, metric_name="accuracy")
        rules[name] = rule
        parser = TextMetricParser(["accuracy"])
        ev = RuleEvaluator(rule, "maximize") if rule else None
        reported = []
        for epoch, value in enumerate(curve, start=1):
            for log in parser.feed_line(f"epoch={epoch} accuracy={value}"):
                reported.append(parse_sidecar_value(log.value))
                if ev is not None and ev.feed(reported[-1]):
                    stopped_at[name] = epoch
            if name in stopped_at:
                break
        if name not in stopped_at:
            succeeded.append(db_curve(parser.logs, "accuracy", tmp_path / name))  # only Succeeded trials count
    assert [rules[n] is None for n in curves] == [True, True, True, False, False]
    assert stopped_at == {"t4": 2}
    assert rules["t4"].value == pytest.approx((0.65 + 0.6 + 0.5) / 3)
    assert rules["t5"] == rules["t4"]  # the early-stopped t4 is not added to the history


def test_a_succeeded_trials_curve_is_in_db_order_and_python_floats(tmp_path):
    logs = [MetricLog("loss", "3", "2024-03-04T17:55:10Z"), MetricLog("acc", "9"),
            MetricLog("loss", "1", "2024-03-04T17:55:08Z"), MetricLog("loss", "2", "2024-03-04T17:55:09Z")]
    assert db_curve(logs, "loss", tmp_path / "a") == [1.0, 2.0, 3.0]
    # a value float() cannot read stays text, and the rule fails on it as Katib's medianstop does
    curve = db_curve([MetricLog("loss", "")], "loss", tmp_path / "b")
    assert curve == [""]
    with pytest.raises(ValueError, match="not a number"):
        compute_rule([curve], "minimize", MedianStopSettings(1, 1))


def test_sidecar_value_is_trimmed_and_read_by_go_rules():
    assert parse_sidecar_value(" 0.5 ") == 0.5
    assert parse_sidecar_value("1_0") == 10.0
    for bad in ("", "-", "e5", "1e400"):
        with pytest.raises(ValueError, match="not a number"):
            parse_sidecar_value(bad)


def test_objective_type_is_checked():
    with pytest.raises(ValueError, match="objective type"):
        compute_rule([], "max")
    with pytest.raises(ValueError, match="objective type"):
        RuleEvaluator(Rule("a", 1.0, "less", 1), "")


def test_only_the_first_start_step_values_are_read_and_must_be_numbers():
    from kubetune.algorithms.earlystopping.medianstop import UnusableHistory

    settings = MedianStopSettings(min_trials_required=2, start_step=2)
    # a text after the first start_step values is never read (Katib slices before float())
    assert compute_rule([[0.5, 0.7, "n/a"], [0.1, 0.3]], "maximize", settings).value == (0.6 + 0.2) / 2
    with pytest.raises(UnusableHistory, match="'n/a' is not a number") as err:
        compute_rule([[0.5, 0.7], [0.1, "n/a"]], "maximize", settings)
    assert err.value.index == 1
    # a long curve is read lazily: only start_step values are taken from it
    endless = iter(lambda: 0.5, None)
    assert compute_rule([endless, [0.5]], "maximize", settings).value == 0.5


def test_engine_feeds_the_rule_in_db_order(tmp_path):
    """The engine's curve for a succeeded trial (objective_curves) is in Katib's DB order."""
    logs = [MetricLog("accuracy", "0.9", "2026-01-01T00:00:02Z"), MetricLog("accuracy", "0.5"),
            MetricLog("accuracy", "0.7", "2026-01-01T00:00:01Z")]
    _, curve = objective_curves((log.timestamp, log.name, log.value) for log in logs)
    assert list(curve) == db_curve(logs, "accuracy", tmp_path) == [0.5, 0.7, 0.9]
    rule = compute_rule([curve], "maximize", MedianStopSettings(1, 1), metric_name="accuracy")
    assert rule.value == 0.5  # print order would give 0.9
