"""The pipeline's words (issue 13, item 7): like compared with like, the ensemble's gain over its
best member, the confusion matrix in a line, no kfp executor chatter or escape codes in a pipe."""
from __future__ import annotations

import io
from pathlib import Path

from kubetune.steps.report import confusion_summary, leaderboard_markdown
from pipelines.run_local import LocalRunResult, _StepLog

ENSEMBLE = {
    "method": "soft", "accuracy": 0.7222222222, "macro_f1": 0.70123456,
    "members": [{"name": "kt-a", "score": 0.8333333, "accuracy": 0.6944444444, "macro_f1": 0.68},
                {"name": "kt-b", "score": 0.80, "accuracy": 0.6666666, "macro_f1": 0.66}],
    "best_member": {"name": "kt-a", "accuracy": 0.6944444444, "macro_f1": 0.68},
    "gain": {"accuracy": 0.0277777778, "macro_f1": 0.02123456},
    "classes": ["0", "1", "2"], "confusion_matrix": [[10, 0, 2], [1, 12, 0], [0, 7, 4]],
    "by_method": {"soft": {"accuracy": 0.7222222222, "macro_f1": 0.70123456}}, "samples": 36,
}


def test_confusion_summary_names_the_worst_confusions():
    assert confusion_summary(["0", "1", "2"], ENSEMBLE["confusion_matrix"]) == \
        "26 of 36 test images right (0.7222); most confused: 2 -> 1 (7x), 0 -> 2 (2x), 1 -> 0 (1x)"


def test_terminal_summary_compares_test_with_test():
    from kubetune.cli.pipeline import summary_lines

    result = LocalRunResult(out_dir=Path("/out"), run_dir=Path("/out/kfp"), seconds=95.2, model_uri="/store/m",
                            metrics={"search": {"best_accuracy": 0.8333333333, "trials": 4, "trials_succeeded": 4}},
                            ensemble=ENSEMBLE, trial="kt-a",
                            files={n: f"/out/{n}" for n in ("model", "leaderboard.md", "metrics.json",
                                                             "confusion_matrix.csv", "predictions.csv",
                                                             "experiment.yaml", "summary.json", "pipeline.log")})
    text = "\n".join(summary_lines(result))
    assert "validation accuracy 0.8333" in text
    assert "test accuracy of the chosen trial kt-a: 0.6944" in text
    assert "test accuracy of the ensemble (soft voting, 2 members): 0.7222, +0.02778 over its best member kt-a" in text
    assert "most confused: 2 -> 1 (7x)" in text
    assert "0.8333333333" not in text and "0.7222222222" not in text


def test_report_markdown_rounds_and_says_which_split():
    search = {"experiment": "kt", "backend": "local", "objective_metric": "accuracy", "objective_type": "maximize",
              "trials": [{"name": "kt-a", "state": "Succeeded", "objective": 0.8333333333,
                          "params": {"lr": "0.00012272880785758138"}, "metrics": {"loss": 0.41234567}}],
              "top": [{"name": "kt-a", "objective": 0.8333333333, "params": {"lr": "0.00012272880785758138"}}]}
    text = leaderboard_markdown(search, None, ENSEMBLE)
    assert "validation accuracy = 0.8333 (lr=0.0001227)" in text
    assert "+0.02778 over its best member kt-a" in text
    assert "0.00012272880785758138" not in text and "0.8333333333" not in text


def test_step_log_keeps_chatter_in_the_file_only():
    terminal, log = io.StringIO(), io.StringIO()
    step = _StepLog(terminal, log)
    step.write("[KFP Executor 2026-01-01 10:00:00,000 INFO]: Looking for component `search`\n"
               "10:00:00.000 - INFO - Executing task \x1b[96m'search'\x1b[0m\n"
               "10:00:00.001 - INFO - Streamed logs:\n\n"
               "start    kt-a  lr=0.0001227\n")
    assert terminal.getvalue() == "10:00:00.000 - INFO - Executing task 'search'\nstart    kt-a  lr=0.0001227\n"
    assert "Looking for component" in log.getvalue() and "\x1b[96m" in log.getvalue()
    verbose = io.StringIO()
    _StepLog(verbose, io.StringIO(), verbose=True).write("[KFP Executor x]: Looking for component\n")
    assert "Looking for component" in verbose.getvalue()
