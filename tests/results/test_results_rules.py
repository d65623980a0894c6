"""The shared result rules: objective direction, the strict comparison, the best trial, ranking."""
import subprocess
import sys

import pytest
from optuna.study import StudyDirection

from kubetune.results import Counts, TrialRow, better, is_better, optimal_trial, ranked


def row(seq: int, objective: float | None, state: str = "Succeeded") -> TrialRow:
    return TrialRow(seq=seq, name=f"t{seq}", assignments={}, labels={}, state=state, created=0.0, objective=objective)


def test_is_better_is_strict():
    assert is_better(0.1, 0.2, "minimize") and not is_better(0.2, 0.2, "minimize")
    assert is_better(0.3, 0.2, "maximize") and not is_better(0.2, 0.2, "maximize")
    with pytest.raises(ValueError, match="objective type"):
        is_better(1, 2, "Minimize")


def test_is_better_takes_optunas_direction_too():
    # the algorithms compare with the study's direction, the engine with Katib's objective.type
    assert is_better(0.1, 0.2, StudyDirection.MINIMIZE) and not is_better(0.1, 0.2, StudyDirection.MAXIMIZE)
    with pytest.raises(ValueError, match="objective type"):
        is_better(1, 2, StudyDirection.NOT_SET)


def test_optimal_trial_is_the_first_strictly_best_finished_one():
    rows = [row(1, 0.5), row(2, 0.9), row(3, 0.9), row(4, 1.0, state="Running"), row(5, None)]
    assert optimal_trial(rows, "maximize").name == "t2"  # a tie keeps the earlier trial
    assert optimal_trial(rows, "minimize").name == "t1"
    assert optimal_trial([row(1, None), row(2, 3.0, state="Created")], "maximize") is None
    # the incremental rule agrees whatever order trials finish in
    assert better(rows[1], rows[2], "maximize") and not better(rows[2], rows[1], "maximize")


def test_ranked_puts_trials_without_objective_last():
    rows = [row(1, None), row(2, 0.3), row(3, 0.1), row(4, 0.3)]
    assert [t.name for t in ranked(rows, "maximize")] == ["t2", "t4", "t3", "t1"]
    assert [t.name for t in ranked(rows, "minimize")] == ["t3", "t2", "t4", "t1"]


def text_row(seq: int, text: str) -> TrialRow:
    """A trial whose objective was reported as text (a DARTS genotype): Succeeded, as in Katib."""
    return TrialRow(seq=seq, name=f"t{seq}", assignments={}, labels={}, state="Succeeded", created=0.0,
                    objective_text=text)


def test_ranked_puts_text_objectives_after_numbers_latest_first():
    rows = [text_row(1, "Genotype(a)"), row(2, None), row(3, 0.3), text_row(4, "Genotype(b)"), row(5, 0.1)]
    assert [t.name for t in ranked(rows, "maximize")] == ["t3", "t5", "t4", "t1", "t2"]
    assert optimal_trial(rows, "maximize").name == "t3"  # numbers only, when there are any
    texts = [rows[0], rows[1], rows[3]]
    assert [t.name for t in ranked(texts, "minimize")][0] == optimal_trial(texts, "minimize").name == "t4"
    assert [t.result for t in rows] == ["Genotype(a)", None, 0.3, "Genotype(b)", 0.1]
    # a running trial's text is no result yet
    running = TrialRow(seq=9, name="t9", assignments={}, labels={}, state="Running", created=0.0, objective_text="G")
    assert optimal_trial(texts + [running], "maximize").name == "t4"


def test_counts_bucket_unknown_states_as_pending():
    counts = Counts.of([row(1, 0.1), row(2, None, "Failed"), row(3, None, "MetricsUnavailable"),
                        row(4, None, "Weird")])
    assert (counts.succeeded, counts.pending, counts.failed_for_budget, counts.completed) == (1, 1, 2, 3)


def test_results_imports_nothing_heavy():
    code = "import sys, kubetune.results; print(sorted(m for m in sys.modules if m.split('.')[0] in " \
           "('optuna', 'torch', 'numpy', 'kfp', 'rich', 'yaml', 'kubernetes')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
