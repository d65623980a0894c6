"""The local engine's early stopping as Katib runs it (issue 14 items 1 and 2): the medianstop
service reads each succeeded trial's values in the DB's time order (an untimestamped line sorts
first), also after a resume; while a frozen rule is active, the sidecar exits on a value it cannot
parse, so the trial is neither early stopped nor reported, and fails."""
from __future__ import annotations

import sys

from engine_helpers import experiment

from kubetune.engine.state import ExperimentState


def lines_trial(code: str, values: list[str], **kw) -> dict:
    """An Experiment of `len(values)` trials (grid over x, one at a time) whose trial runs `code`."""
    params = [{"name": "x", "parameterType": "categorical", "feasibleSpace": {"list": values}}]
    raw = experiment(parameters=params, algorithm="grid", parallel=1, max_trials=len(values), additional=(), **kw)
    container = raw["spec"]["trialTemplate"]["trialSpec"]["spec"]["template"]["spec"]["containers"][0]
    container["command"] = [sys.executable, "-c", code]
    container["args"] = ["${trialParameters.x}"]
    return raw


def medianstop(start_step: int, min_trials: int = 1) -> dict:
    return {"algorithmName": "medianstop",
            "algorithmSettings": [{"name": "min_trials_required", "value": str(min_trials)},
                                  {"name": "start_step", "value": str(start_step)}]}


TIMED_THEN_UNTIMED = "print('2026-01-01T00:00:02Z accuracy=0.9'); print('accuracy=0.5')"


def test_rule_averages_the_first_values_in_time_order(run_experiment):
    # printed 0.9 (timestamped) then 0.5 (no timestamp, i.e. the zero time): Katib's DB returns
    # 0.5 first, so with start_step 1 the rule is 0.5, not 0.9
    raw = lines_trial(TIMED_THEN_UNTIMED, ["a", "b", "c"], early_stopping=medianstop(start_step=1))
    raw["spec"]["maxTrialCount"] = 2
    result = run_experiment(raw)
    first, second = result.trials
    assert first.rule is None and first.state == "Succeeded"
    assert second.rule == {"name": "accuracy", "value": "0.5", "comparison": "less", "startStep": 1}
    assert second.state == "Succeeded"  # the sidecar sees 0.9 first (print order): not below 0.5

    # resumed with a raised maxTrialCount: the curves are read back from the state, in time order
    raw["spec"]["maxTrialCount"] = 3
    result = run_experiment(raw)
    assert [t.rule["value"] if t.rule else None for t in result.trials] == [None, "0.5", "0.5"]


def test_an_unparsable_value_while_a_rule_is_active_fails_the_trial_without_metrics(run_experiment):
    # the same output twice: `loss=abc` yields the value "" on a line that has the objective
    code = "print('accuracy=0.5'); print('loss=abc accuracy=0.6'); print('accuracy=0.7')"
    result = run_experiment(lines_trial(code, ["a", "b"], early_stopping=medianstop(start_step=2)))
    first, second = result.trials
    assert first.rule is None and first.state == "Succeeded"  # no rule, no sidecar watching: fine
    assert first.observation["accuracy"] == {"min": "0.5", "max": "0.7", "latest": "0.7"}
    assert second.rule is not None
    assert (second.state, second.reason) == ("Failed", "TrialFailed")
    assert "sidecar exits on loss=''" in second.message
    assert second.observation == {}
    st = ExperimentState(result.directory / "state.db", readonly=True)
    try:
        assert st.metric_logs(second.name) == []  # Katib reports nothing for it
        assert len(st.metric_logs(first.name)) == 3
    finally:
        st.close()


def test_a_history_medianstop_cannot_read_fails_the_experiment_naming_the_trial(run_experiment):
    # `accuracy=x` stores the value "" among the first start_step values of a succeeded trial:
    # Katib's service fails on float("") (and would never create another trial)
    code = "print('accuracy=0.5'); print('accuracy=x'); print('accuracy=0.6')"
    result = run_experiment(lines_trial(code, ["a", "b"], early_stopping=medianstop(start_step=2)))
    assert [t.state for t in result.trials] == ["Succeeded"]
    failed = next(c for c in result.status["conditions"] if c["type"] == "Failed")
    assert f"early stopping medianstop (trial {result.trials[0].name})" in failed["message"]
    assert "is not a number" in failed["message"]
