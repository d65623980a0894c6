"""The live progress of `kubetune run` (kubetune.cli.progress) on a real engine run: the progress
line shows the latest intermediate report while trials run, and the budget; a plain stream gets
no escape codes."""
from __future__ import annotations

import io
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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


# Finished trials by kind: failures of one kind fail "the same way" (their reasons differ only in
# numbers); "killed" and "ok" trials are finished but did not fail.
KINDS = {
    "ok": ("Succeeded", "Trial has succeeded"),
    "data": ("Failed", "exit code 2; last lines of /runs/e/trials/t{n}/log:\nepoch=1 accuracy=0.{n}\n"
                       "[trainer] error: data path /data/x{n} does not exist"),
    "oom": ("Failed", "exit code 137; last lines of /runs/e/trials/t{n}/log:\nKilled"),
    "nometric": ("MetricsUnavailable", "objective metric 'accuracy' was not found in the trial's output"),
    "killed": ("Killed", "Trial was killed"),
}
FAILING = ("data", "oom", "nometric")


def finished_row(n: int, kind: str):
    from kubetune.results import TrialRow

    state, message = KINDS[kind]
    return TrialRow(seq=n, name=f"t{n}", assignments={"lr": "0.01", "optimizer": "sgd"}, labels={}, state=state,
                    created=0.0, reason="TrialFailed", message=message.format(n=n),
                    objective=0.5 if state == "Succeeded" else None)


def expected_warning(kinds: list[str]):
    """When the run says "failed the same way", by the rule itself, over every trial finished so far:
    (after which trial, how many failed alike, of how many finished, the first of them), or None."""
    for i in range(len(kinds)):
        done = kinds[:i + 1]
        for kind in FAILING:
            count = done.count(kind)
            if count >= 3 and count * 2 > len(done):  # COMMON_FAILURE_AFTER alike, more than half
                return i, count, len(done), f"t{done.index(kind)}"
    return None


def reporter_warnings(kinds: list[str]):
    """Feed the finished trials to the run's reporter one by one: after which ones it warned, and what."""
    from rich.console import Console

    from kubetune.cli.progress import ConsoleReporter
    from kubetune.experiment import experiment_from_dict

    reporter = ConsoleReporter(experiment_from_dict(experiment("alike", trials=1000)), live=False)
    stream = io.StringIO()
    reporter.err = Console(file=stream, width=200, color_system=None)
    said = []
    for n, kind in enumerate(kinds):
        reporter.finished(finished_row(n, kind))
        text = stream.getvalue()
        if "failed the same way" in text:
            said.append((n, text))
            stream.seek(0)
            stream.truncate()
    return said


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(sorted(KINDS)), max_size=14))
def test_the_common_failure_warning_comes_after_the_same_trial_as_the_rule_says(kinds):
    said = reporter_warnings(kinds)
    want = expected_warning(kinds)
    if want is None:
        assert said == []
        return
    at, count, finished, example = want
    (n, text), = said  # once
    assert n == at
    assert f"{count} of {finished} finished trials failed the same way (e.g. {example}):" in text


def test_a_long_failing_run_reads_each_failure_once(monkeypatch):
    """The warning is decided as trials finish, not by reading every finished trial again each time."""
    from kubetune.engine import failures

    reads = []
    real = failures.failure_of
    monkeypatch.setattr(failures, "failure_of", lambda row, *a: reads.append(row.name) or real(row, *a))
    kinds = ["data", "oom", "nometric", "ok"] * 50  # never more than half alike: it never warns
    assert reporter_warnings(kinds) == []
    assert sorted(reads) == sorted(f"t{n}" for n, kind in enumerate(kinds) if kind in FAILING)
    # and it still warns in time: 3 of 6 is not more than half, 4 of 7 is
    assert [n for n, _ in reporter_warnings(["ok", "data", "ok", "data", "ok", "data", "data"])] == [6]
