"""Metric logs at a trial's pace without per-line cost (issue 14 item 11): the collector hands
batches over (one notification per batch, a bounded backlog), the engine stores each batch in one
transaction and folds it into running aggregates equal to what Katib computes from its DB rows;
and Katib's sidecar failure on an unparsable value (item 2), as the collector reports it."""
from __future__ import annotations

import sys
import threading

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine_helpers import experiment

from kubetune.algorithms.earlystopping import Rule, RuleEvaluator
from kubetune.engine import collector as collector_module
from kubetune.engine.collector import Batch, CollectorFailure, TrialCollector
from kubetune.results import UNAVAILABLE
from kubetune.engine.metrics.report import ZERO_TIME, MetricLog, katib_time_ns
from kubetune.engine.objective import ObservationBuilder
from kubetune.engine.state import ExperimentState
from kubetune.engine.trialmetrics import TrialMetrics, objective_curves
from kubetune.gocompat.strconv import go_parse_float


def katib_observation(logs, names):
    """Katib's getMetrics over the DB rows, literally: rows sorted by (microsecond time, report
    order), min/max updated on strictly smaller/greater numbers, latest = greatest time."""
    rows = sorted(enumerate(logs), key=lambda p: (katib_time_ns(p[1].timestamp) // 1000, p[0]))
    out = {n: {"min": UNAVAILABLE, "max": UNAVAILABLE, "latest": UNAVAILABLE} for n in names}
    bounds = {}
    for _, log in rows:
        if log.name not in out:
            continue
        number = go_parse_float(log.value)
        if number is not None:
            if log.name not in bounds:
                bounds[log.name] = [number, number]
                out[log.name]["min"] = out[log.name]["max"] = log.value
            elif number < bounds[log.name][0]:
                bounds[log.name][0], out[log.name]["min"] = number, log.value
            elif number > bounds[log.name][1]:
                bounds[log.name][1], out[log.name]["max"] = number, log.value
        out[log.name]["latest"] = log.value
    return out


TIMES = st.sampled_from([ZERO_TIME, "2026-01-01T00:00:01Z", "2026-01-01T00:00:01.0000004Z",
                         "2026-01-01T00:00:02+01:00", "2026-01-01T00:00:00.5Z"])
VALUES = st.sampled_from(["0.5", "0.50", "1", "-1", "NaN", "", "abc", "1e400", "-0", "0", "+Inf", " 0.1"])
LOGS = st.lists(st.builds(MetricLog, st.sampled_from(["acc", "loss", "other"]), VALUES, TIMES), max_size=12)


@settings(max_examples=300, deadline=None)
@given(LOGS)
def test_streaming_observation_equals_katibs_from_the_db_rows(logs):
    builder = ObservationBuilder(["acc", "loss"])  # as TrialMetrics feeds it, log by log in report order
    for log in logs:
        builder.add(log.name, log.value, log.timestamp)
    assert builder.observation() == katib_observation(logs, ["acc", "loss"])


def test_objective_curves_report_order_and_db_order():
    rows = [("2026-01-01T00:00:02Z", "acc", "0.9"), (ZERO_TIME, "acc", "0.5"), (ZERO_TIME, "acc", "x")]
    report, db = objective_curves(rows)
    assert list(report) == [0.9, 0.5]  # what float() reads, as printed
    assert list(db) == [0.5, "x", 0.9]  # untimestamped first, ties as printed; the text kept
    report, db = objective_curves([(ZERO_TIME, "acc", "0.1"), ("2026-01-01T00:00:00Z", "acc", "0.2")])
    assert db is report and list(db) == [0.1, 0.2]  # already in order: one array, not two


def test_collector_rings_once_per_batch_and_hands_everything_over(tmp_path):
    rings = []
    c = TrialCollector({}, ["acc"], tmp_path, notify=lambda: rings.append(1))
    for i in range(1000):
        c.on_line(f"acc=0.{i}")
        c.on_line("no metric here")
    assert len(rings) == 1
    batch = c.take()
    assert [m.value for m in batch.logs] == [f"0.{i}" for i in range(1000)] and batch.failures == []
    assert c.take().logs == [] and len(rings) == 1
    c.on_line("acc=1")
    assert len(rings) == 2 and [m.value for m in c.take().logs] == ["1"]


def test_a_reader_far_ahead_of_the_engine_waits_for_it(tmp_path, monkeypatch):
    monkeypatch.setattr(collector_module, "PENDING_LIMIT", 10)
    c = TrialCollector({}, ["acc"], tmp_path)
    reader = threading.Thread(target=lambda: [c.on_line(f"acc={i}") for i in range(25)], daemon=True)
    reader.start()
    reader.join(0.5)
    assert reader.is_alive() and len(c._pending) == 10  # bounded: it waits for a take
    taken = []
    while reader.is_alive() or c._pending:
        taken += c.take().logs
        reader.join(0.05)
    assert [m.value for m in taken] == [str(i) for i in range(25)]
    blocked = threading.Thread(target=lambda: [c.on_line("acc=1") for _ in range(20)], daemon=True)
    blocked.start()
    c.detach()  # the engine is gone: the reader is not left waiting
    blocked.join(5)
    assert not blocked.is_alive()


@pytest.mark.parametrize("line, failed", [
    ("acc=0.5 loss=abc", True),    # every name=value on a line with the rule's metric is converted
    ("acc=abc", True),             # the default filter's value "" is not a number
    ("loss=abc", False),           # no rule metric on the line: not looked at
    ("acc=.5 lr=-1e-3", False),
])
def test_sidecar_check_on_text_lines(tmp_path, line, failed):
    c = TrialCollector({}, ["acc", "loss"], tmp_path, rule_metric="acc")
    c.on_line(line)
    c.on_line("acc=0.7")
    batch = c.take()
    assert bool(batch.failures) is failed
    if failed:
        (at, failure), = batch.failures
        assert at == 0 and failure.sidecar and not failure.report and line[:20] in failure.message
    assert batch.logs[-1].value == "0.7"  # collection goes on: the engine decides what it means
    plain = TrialCollector({}, ["acc", "loss"], tmp_path)  # no rule: no sidecar watching
    plain.on_line(line)
    assert plain.take().failures == []


def test_json_file_sidecar_and_report_failures(tmp_path):
    spec = {"collector": {"kind": "File"},
            "source": {"fileSystemPath": {"path": "/m/metrics.json", "kind": "File", "format": "JSON"}}}
    c = TrialCollector(spec, ["acc"], tmp_path, rule_metric="acc")
    c.file.write_text('{"acc": "0.5"}\n{"acc": " 0.6 "}\n{"acc": "n/a"}\n{"acc": "0.7"}\nnot json\n{"acc": "0.8"}\n')
    c.start()
    c.close()
    batch = c.take()
    assert [m.value for m in batch.logs] == ["0.5", " 0.6 ", "n/a", "0.7"]  # nothing after the bad line
    (at1, sidecar), (at2, report) = batch.failures
    assert (at1, sidecar.sidecar, sidecar.report) == (2, True, False)  # " 0.6 " is trimmed: fine; "n/a" is not
    assert (at2, report.report) == (4, True) and "not a JSON object" in report.message


class CountingState(ExperimentState):
    inserts = 0

    def add_metric_logs(self, name, logs):
        CountingState.inserts += 1
        super().add_metric_logs(name, logs)


@pytest.fixture
def state(tmp_path):
    s = CountingState(tmp_path / "e" / "state.db")
    s.init_experiment("e", "default", {})
    s.add_trials([("e-t", {}, {}, None)])
    yield s
    s.close()


def logs(*values):
    return [MetricLog("acc", v) for v in values]


def test_one_transaction_per_batch_and_running_aggregates(state):
    m = TrialMetrics("e-t", "acc", ["acc"], "max")
    m.apply(state, Batch(logs(*[f"0.{i}" for i in range(1, 10)])))
    m.apply(state, Batch([MetricLog("acc", "0.05", "2026-01-01T00:00:00Z"), MetricLog("acc", "x")]))
    assert CountingState.inserts == 2 and len(state.metric_logs("e-t")) == 11
    assert m.observe() == ({"acc": {"min": "0.05", "max": "0.9", "latest": "0.05"}}, 0.9)
    assert len(m.intermediate) == 10 and m.unparsable == 1 and not m.ordered
    assert list(m.db_curve(state))[:3] == [0.1, 0.2, 0.3] and list(m.db_curve(state))[-2:] == ["x", 0.05]


def test_sidecar_failure_while_the_rule_is_active_drops_every_metric(state):
    rule = RuleEvaluator(Rule("acc", 0.8, "less", 3), "maximize")
    m = TrialMetrics("e-t", "acc", ["acc"], "max", rule, frozen_rule=True)
    failure = CollectorFailure("sidecar exits", sidecar=True)
    assert not m.apply(state, Batch(logs("0.1", "0.2", "0.3"), [(2, failure)]))  # fails before the 3rd value
    m.apply(state, Batch(logs("0.4")))
    assert m.sidecar_failed and state.metric_logs("e-t") == [] and m.observe()[1] is None


def test_sidecar_failure_after_the_rule_stopped_the_trial_changes_nothing(state):
    rule = RuleEvaluator(Rule("acc", 0.8, "less", 2), "maximize")
    m = TrialMetrics("e-t", "acc", ["acc"], "max", rule, frozen_rule=True)
    assert m.apply(state, Batch(logs("0.1", "0.2", "0.3"), [(2, CollectorFailure("x", sidecar=True))]))
    assert not m.sidecar_failed and len(state.metric_logs("e-t")) == 3 and m.observe()[1] == 0.3


def test_a_trial_printing_many_metric_lines_stores_every_one(run_experiment):
    raw = experiment(max_trials=1, parallel=1, additional=())
    container = raw["spec"]["trialTemplate"]["trialSpec"]["spec"]["template"]["spec"]["containers"][0]
    container["command"] = [sys.executable, "-c",
                            "import sys; sys.stdout.write(''.join('accuracy=%d\\n' % i for i in range(20000)))"]
    container["args"] = ["${trialParameters.x}"]
    result = run_experiment(raw)
    trial, = result.trials
    assert trial.state == "Succeeded"
    assert trial.observation["accuracy"] == {"min": "0", "max": "19999", "latest": "19999"}
    db = ExperimentState(result.directory / "state.db", readonly=True)
    try:
        stored = db.metric_logs(trial.name)
    finally:
        db.close()
    assert [v for _, _, v in stored] == [str(i) for i in range(20000)]
