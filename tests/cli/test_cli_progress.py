"""The live progress of `kubetune run` (kubetune.cli.progress) on a real engine run: the progress
line shows the latest intermediate report while trials run, and the budget; a plain stream gets
no escape codes."""
from __future__ import annotations

import io
import re

import pytest

from cli_output_helpers import experiment


@pytest.mark.slow
def test_progress_line_shows_the_latest_intermediate_value(tmp_path):
    from rich.console import Console

    from kubetune.cli.progress import ConsoleReporter
    from kubetune.engine import LocalEngine
    from kubetune.experiment import experiment_from_dict

    exp = experiment_from_dict(experiment("latest", trials=1, parallel=1, extra_args=("--epochs=4", "--sleep=0.6")))
    reporter = ConsoleReporter(exp, live=False)
    stream = io.StringIO()
    reporter.err = Console(file=stream, width=200, color_system=None)
    reporter.TICK_SECONDS = 0.0
    result = LocalEngine(exp, tmp_path / "runs", reporter=reporter, launcher="subprocess", gpus=[]).run()
    reporter.close()
    assert result.succeeded
    text = stream.getvalue()
    # while the trial ran: the budget, and its latest accuracy report (rounded)
    latest = re.findall(r"done 0/1 .*\| no result yet \| latest latest-\w+ accuracy=(0\.\d+) \(report (\d)\)", text)
    assert latest, text
    assert all(len(value) <= 6 for value, _ in latest)
    assert "\x1b[" not in text


def test_live_bar_on_a_terminal_counts_trials_against_the_budget(tmp_path):
    from rich.console import Console

    from kubetune.cli.progress import ConsoleReporter
    from kubetune.experiment import experiment_from_dict
    from kubetune.results import Counts, TrialRow

    exp = experiment_from_dict(experiment("bar", trials=8))
    stream = io.StringIO()
    reporter = ConsoleReporter(exp, live=False)
    reporter.err = Console(file=stream, width=120, force_terminal=True, color_system=None)
    reporter._start_live()
    row = TrialRow(seq=0, name="bar-a", assignments={}, labels={}, state="Succeeded", created=0.0, objective=0.91234567)
    reporter.tick(Counts.of([row]), row)
    reporter.progress.refresh()
    reporter.close()
    assert "1/8" in stream.getvalue() and "best accuracy=0.9123" in stream.getvalue()
