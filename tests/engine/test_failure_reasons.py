"""kubetune.engine.failures: the line or two of a failed trial's log that say why."""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from kubetune.engine.failures import FailureTally, common_failure, failure_of, meaningful_lines, reason
from kubetune.results import TrialRow


def _row(name: str, state: str, message: str) -> TrialRow:
    return TrialRow(seq=0, name=name, assignments={}, labels={}, state=state, created=0.0, message=message,
                    reason="TrialFailed")


def test_traceback_gives_its_exception_line():
    tail = ("[trainer] loading data\nepoch=1 accuracy=0.5 loss=0.7\nTraceback (most recent call last):\n"
            '  File "train.py", line 3, in <module>\n    open(path)\n'
            "FileNotFoundError: [Errno 2] No such file or directory: './model_best.pth.tar'\n")
    assert meaningful_lines(tail) == ["FileNotFoundError: [Errno 2] No such file or directory: './model_best.pth.tar'"]


def test_error_lines_beat_metrics_and_progress():
    tail = ("epoch=1 accuracy=0.51 loss=0.7\n 45%|████▌     | 45/100 [00:01<00:01]\n"
            "\x1b[31m[trainer] error: data path /x does not exist\x1b[0m\nepoch=2 accuracy=0.52\n")
    assert meaningful_lines(tail) == ["[trainer] error: data path /x does not exist"]
    # nothing error-like: the last lines that are not metric reports
    assert meaningful_lines("epoch=1 accuracy=0.5\nstopping now\nbye\n") == ["stopping now", "bye"]


def test_reason_of_an_engine_message():
    row = _row("t1", "Failed", "exit code 2; last lines of /runs/e/trials/t1/log:\nhello\n"
                               "[trainer] error: data path /x does not exist")
    failure = failure_of(row)
    assert failure.headline == "exit code 2" and failure.log == "/runs/e/trials/t1/log"
    assert reason(row) == "exit code 2: [trainer] error: data path /x does not exist"
    assert reason(_row("t2", "Succeeded", "")) == ""
    assert reason(_row("t3", "Failed", "Job was active longer than specified deadline")) == \
        "Job was active longer than specified deadline"


def test_common_failure_needs_most_trials_alike():
    same = [_row(f"t{i}", "Failed", f"exit code 2; last lines of /l{i}:\n[trainer] error: data path /x{i} missing")
            for i in range(3)]
    ok = [TrialRow(seq=9, name="ok", assignments={}, labels={}, state="Succeeded", created=0.0, objective=0.5)]
    common = common_failure(same + ok)
    assert common is not None and common.count == 3 and common.finished == 4
    assert common.lines()[1] == "[trainer] error: data path /x0 missing"
    assert common_failure(same[:2] + ok * 3) is None  # 2 of 5: not most
    other = _row("t9", "Failed", "exit code 1; last lines of /l:\nKilled")
    assert common_failure([same[0], other]) is None


ALIKE = {"data": ("Failed", "exit code 2; last lines of /l{n}:\n[trainer] error: data path /x{n} missing"),
         "oom": ("Failed", "exit code 137; last lines of /l{n}:\nKilled"),
         "nometric": ("MetricsUnavailable", "objective metric 'accuracy' was not found"),
         "killed": ("Killed", "Trial was killed"), "ok": ("Succeeded", ""), "running": ("Running", "")}


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 5), st.sampled_from(sorted(ALIKE))), max_size=16))
def test_tally_of_trials_reported_again_equals_common_failure_of_their_latest_rows(adds):
    """A trial reported again under its name replaces its earlier row and keeps its place."""
    tally, latest = FailureTally(minimum=2), {}
    for step, (n, kind) in enumerate(adds):
        state, message = ALIKE[kind]
        row = _row(f"t{n}", state, message.format(n=step))
        tally.add(row)
        latest[row.name] = row
        got, want = tally.common(), common_failure(latest.values())
        assert (got and (got.count, got.failed, got.finished, got.example, got.failure)) == \
            (want and (want.count, want.failed, want.finished, want.example, want.failure))
