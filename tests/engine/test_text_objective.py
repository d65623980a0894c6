"""An objective reported as text, as Katib's DARTS example reports `Best-Genotype=Genotype(...)`
through the custom StdOut filter `([\\w-]+)=(Genotype.*)` (katib-semantics 5.6, 7.3, 9): the trial is
Succeeded and its observation keeps the text; with no numeric objective anywhere the best trial is
the last text one (Katib's pick); with numbers, the best is chosen among the numbers only."""
from __future__ import annotations

from engine_helpers import TRIALS, experiment

GENOTYPE_FILTER = r"([\w-]+)=(Genotype.*)"
U = "unavailable"


def darts_like(max_trials: int, name: str = "darts-text") -> dict:
    """Katib's darts-cpu example as the local engine can run it (darts itself runs on a cluster
    only): objective Best-Genotype with no goal, its custom filter, a random search over the number
    of layers; the trial (tests/engine/trials/genotype.py) is told its own name (${trialSpec.Name})
    so that each trial's genotype differs."""
    params = [{"name": "num-layers", "parameterType": "int", "feasibleSpace": {"min": "1", "max": "3"}}]
    raw = experiment(name, parameters=params, parallel=1, max_trials=max_trials, metric="Best-Genotype", additional=(),
                     script="genotype.py", settings={"random_state": 1},
                     trial_parameters=[{"name": "numberLayers", "reference": "num-layers"},
                                       {"name": "trialName", "reference": "${trialSpec.Name}"}],
                     args=["--num-layers=${trialParameters.numberLayers}", "--tag=${trialParameters.trialName}"],
                     collector={"collector": {"kind": "StdOut"},
                                "source": {"filter": {"metricsFormat": [GENOTYPE_FILTER]}}})
    raw["spec"]["maxFailedTrialCount"] = 1
    return raw


def genotype_of(row) -> str:
    return row.observation["Best-Genotype"]["latest"]


def test_a_darts_trial_succeeds_with_its_genotype_as_the_result(run_experiment):
    result = run_experiment(darts_like(max_trials=2))
    assert [t.state for t in result.trials] == ["Succeeded", "Succeeded"]
    for t in result.trials:
        text = genotype_of(t)
        assert text.startswith("Genotype(normal=[[('sep_conv_3x3', 0)]") and text.endswith(f"tag='{t.name}')")
        assert t.observation == {"Best-Genotype": {"min": U, "max": U, "latest": text}}  # Katib's getMetrics
        assert (t.objective, t.objective_text, t.result) == (None, text, text)
    # no trial has a number: the best is the last text trial, as Katib's loop picks it
    best = result.status["currentOptimalTrial"]
    assert best["bestTrialName"] == result.trials[-1].name
    assert best["observation"]["metrics"] == [{"name": "Best-Genotype", **result.trials[-1].observation["Best-Genotype"]}]
    assert result.status["trialsSucceeded"] == 2 and "trialMetricsUnavailable" not in result.status
    assert result.succeeded
    done = [c for c in result.status["conditions"] if c["type"] == "Succeeded"]
    assert done and done[0]["reason"] == "ExperimentMaxTrialsReached"


def test_a_resumed_run_reads_the_text_back(run_experiment, tmp_path):
    from kubetune.engine.state import ExperimentState

    first = run_experiment(darts_like(max_trials=1))
    state = ExperimentState(first.directory / "state.db", readonly=True)
    try:
        stored, index = state.trials(), state.trial_index()
    finally:
        state.close()
    assert [(t.objective, t.objective_text) for t in stored] == [(None, genotype_of(first.trials[0]))]
    assert [(t.objective, t.objective_text) for t in index] == [(None, genotype_of(first.trials[0]))]
    again = run_experiment(darts_like(max_trials=1))  # nothing left to run: the stored result is the result
    assert again.status["currentOptimalTrial"]["bestTrialName"] == first.trials[0].name


def test_numbers_beat_text_and_goals_compare_numbers_only(run_experiment):
    params = [{"name": "number", "parameterType": "categorical", "feasibleSpace": {"list": ["text", "-5"]}}]
    raw = experiment("mixed", parameters=params, algorithm="grid", parallel=1, max_trials=2, metric="Best-Genotype",
                     additional=(), objective_type="minimize", goal=-10, script="genotype.py",
                     args=["--number=${trialParameters.number}"],
                     collector={"collector": {"kind": "StdOut"},
                                "source": {"filter": {"metricsFormat": [GENOTYPE_FILTER, r"([\w-]+)=(-?\d+)$"]}}})
    result = run_experiment(raw)
    by_value = {t.assignments["number"]: t for t in result.trials}
    assert {t.state for t in result.trials} == {"Succeeded"}
    assert by_value["text"].objective is None and by_value["text"].objective_text.startswith("Genotype(")
    assert by_value["-5"].objective == -5.0 and by_value["-5"].objective_text is None
    # whichever finished first, the best is the number; -5 is not <= -10, so no goal is reached
    assert result.status["currentOptimalTrial"]["bestTrialName"] == by_value["-5"].name
    assert not any(c["reason"] == "ExperimentGoalReached" for c in result.status["conditions"])


def test_early_stopping_rules_read_numbers_only():
    """A succeeded text-objective trial's history: the percentile rule skips the text; medianstop,
    whose Katib service calls float() on it, fails naming the trial (docs/katib-compat.md)."""
    import pytest

    from kubetune.algorithms import SuggestionError
    from kubetune.engine.trialbook import TrialBook
    from kubetune.results import TrialRow

    rows = [TrialRow(seq=i, name=f"t{i}", assignments={}, labels={}, state="Succeeded", created=0.0, **kw)
            for i, kw in enumerate([{"objective": 0.7}, {"objective_text": "Genotype(x)"}])]
    book = TrialBook(rows, "maximize")
    book.curves = {"t0": [0.5, 0.7], "t1": ["Genotype(x)"]}
    rule = book.rule_for_new_trials("percentile", "maximize", {"min_trials_required": "1", "start_step": "2"}, "m")
    assert rule is not None and float(rule["value"]) == 0.7
    with pytest.raises(SuggestionError, match=r"medianstop \(trial t1\).*'Genotype\(x\)' is not a number"):
        book.rule_for_new_trials("medianstop", "maximize", {"min_trials_required": "1", "start_step": "1"}, "m")
