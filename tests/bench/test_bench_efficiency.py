"""bench/search_efficiency.py's replay machinery on a synthetic table (no training)."""
from __future__ import annotations

import json
import math
import re

import pytest

from bench_efficiency_helpers import TOY, toy_table

from efficiency import report, simulate
from efficiency.kubetune_driver import KubetuneDriver
from efficiency.live import trial_log
from efficiency.methods import METHODS, OPTUNA_PEER, Method, available_methods
from efficiency.optuna_peer import OptunaDriver
from efficiency.record import parse_log
from efficiency.replay import replay_all, replay_one
from efficiency.spaces import config_key
from efficiency.table import Table

FULL = {"a": "3", "b": "2", "c": "x"}


def _method(name: str) -> Method:
    return next(m for m in METHODS if m.name == name)


class _Fixed:
    """Runs the given configurations in order, full length; records what the cluster did."""

    def __init__(self, table, configs, target=9):
        self.table, self.todo, self.target = table, list(configs), target
        self.ended: list[tuple[str, str, int]] = []
        self.max_running = self.running = 0

    def new_jobs(self, free, now):
        jobs = []
        while self.todo and len(jobs) < free:
            config = self.todo.pop(0)
            jobs.append(simulate.Job(f"j{len(self.ended) + self.running}", self.table.curve(config), 0, self.target))
            self.running += 1
        self.max_running = max(self.max_running, self.running)
        return jobs

    def on_epoch(self, job, value):
        return simulate.GO

    def on_end(self, job, state):
        self.running -= 1
        self.ended.append((job.name, state, job.epoch))


def test_cluster_counts_epochs_keeps_parallelism_and_tracks_the_best():
    table = toy_table()
    configs = TOY.configurations()[:5]
    driver = _Fixed(table, configs)
    trace = simulate.run(driver, parallel=2, cap_epochs=1000)
    assert driver.max_running == 2
    assert trace.total_epochs == 5 * 9 and trace.trials == 5
    assert [s for _, s, _ in driver.ended] == ["Succeeded"] * 5
    assert trace.best == sorted(trace.best) and trace.best[-1] == max(max(table.curve(c).accuracy) for c in configs)
    # 2 workers: the wall clock is about half the serial time (set-up 1 s + 9 epochs of 0.5..0.7 s each)
    serial = sum(table.curve(c).setup_time + sum(table.curve(c).epoch_time) for c in configs)
    assert serial / 2 <= trace.total_seconds < serial
    assert trace.cost_to(trace.best[-1]) == trace.epochs[-1]
    assert trace.best_at(0.5) != trace.best_at(0.5) and math.isinf(trace.cost_to(2.0))


def test_cluster_stops_at_the_cap_and_a_diverged_run_fails_after_its_last_epoch():
    failing = config_key(FULL, tuple(TOY.choices))
    table = toy_table(fail=failing)
    driver = _Fixed(table, [FULL, FULL])
    trace = simulate.run(driver, parallel=1, cap_epochs=1000)
    assert driver.ended == [("j0", "Failed", 3), ("j1", "Failed", 3)] and trace.total_epochs == 6
    capped = simulate.run(_Fixed(toy_table(), TOY.configurations()), parallel=3, cap_epochs=20)
    assert capped.total_epochs == 20


def test_hyperband_promotions_continue_from_the_checkpoint_pool():
    table = toy_table()
    driver = KubetuneDriver(table, _method("hyperband"), seed=0)
    trace = simulate.run(driver, parallel=4, cap_epochs=200)
    promoted = [t for t in driver.trials.values() if "hyperband.kubetune.io/parent" in t.labels]
    assert promoted, "hyperband promoted nothing"
    for trial in promoted:
        parent = driver.trials[trial.labels["hyperband.kubetune.io/parent"]]
        # the promoted run reported only the epochs after its parent's
        assert len(trial.values) == int(trial.assignments["epochs"]) - int(parent.assignments["epochs"])
    started_from_scratch = sum(int(t.assignments["epochs"]) for t in driver.trials.values())
    assert trace.total_epochs < started_from_scratch


def test_random_and_tpe_never_use_the_pool():
    driver = KubetuneDriver(toy_table(), _method("tpe"), seed=1)
    simulate.run(driver, parallel=2, cap_epochs=90)
    assert not driver.uses_pool and not driver.pool
    assert all("epochs" not in t.assignments for t in driver.trials.values())


@pytest.mark.parametrize("name", ["tpe+medianstop", "tpe+successivehalving", "tpe+patience"])
def test_early_stopping_rules_stop_trials(name):
    driver = KubetuneDriver(toy_table(), _method(name), seed=0)
    trace = simulate.run(driver, parallel=2, cap_epochs=300)
    states = [t.state for t in driver.trials.values()]
    assert "EarlyStopped" in states, states
    stopped = [t for t in driver.trials.values() if t.state == "EarlyStopped"]
    assert any(len(t.values) < 9 for t in stopped)  # (a stop at the last report still counts as a stop)
    assert trace.total_epochs <= 300


def test_optuna_peer_prunes_and_reports_every_trial():
    driver = OptunaDriver(toy_table(), seed=0)
    trace = simulate.run(driver, parallel=4, cap_epochs=300)
    states = [t.state.name for t in driver.study.trials]
    assert "PRUNED" in states and "COMPLETE" in states
    assert trace.total_epochs == 300


def test_optuna_peer_is_reproducible_per_seed():
    """HyperbandPruner assigns brackets by crc32(study name, trial number): the peer's study is named
    per seed, so two replays with one seed prune the same trials (an unnamed study did not)."""
    def replay(seed: int) -> list:
        driver = OptunaDriver(toy_table(), seed=seed)
        simulate.run(driver, parallel=4, cap_epochs=300)
        return [(t.params, t.state.name, len(t.intermediate_values)) for t in driver.study.trials]

    assert replay(1) == replay(1)


def test_replay_is_reproducible_per_seed():
    table = toy_table()
    a = replay_one(table, _method("asha"), 3, parallel=4, cap_epochs=120)
    b = replay_one(table, _method("asha"), 3, parallel=4, cap_epochs=120)
    assert (a.epochs, a.best) == (b.epochs, b.best)


def test_report_verdict_and_closing_line():
    table = toy_table()
    methods = [_method(n) for n in ("random", "hyperband", "bohb", OPTUNA_PEER)]
    results = replay_all([table], methods, [0, 1, 2], parallel=4, progress=lambda m: None)
    stats = report.space_stats(results, "toy")
    assert stats.target == report.median([t.best_at(stats.budget) for t in results.traces["toy"]["random"]])
    v = report.verdict([stats], cap_factor=2.0)
    assert v.best in ("hyperband", "bohb")
    assert v.fraction == min(v.pooled["hyperband"], v.pooled["bohb"])
    line = report.closing_line(v)
    assert re.fullmatch(r"search efficiency: best=\S+ compute_to_random_best=\S+ vs_optuna=\S+", line)
    assert "| method |" in report.markdown_table(stats)


def test_verdict_with_an_optuna_that_never_reaches_the_target_is_a_lower_bound():
    stats = report.SpaceStats("s", 10, 0.9, {
        "random": report.MethodStats({}, [1.0, 0.8], [1, 1], 2),
        "asha": report.MethodStats({}, [0.2, 0.4], [1, 1], 2),
        OPTUNA_PEER: report.MethodStats({}, [math.inf, math.inf], [1, 1], 0),
    })
    v = report.verdict([stats], cap_factor=2.0)
    assert (v.best, v.ratio_is_lower_bound) == ("asha", True)
    assert v.ratio == pytest.approx(2.0 / 0.3)


def test_available_methods_refuses_unknown_names():
    ok, notes = available_methods(["random", "asha"])
    assert [m.name for m in ok] == ["random", "asha"] and not notes
    with pytest.raises(SystemExit, match="unknown nope"):
        available_methods(["nope"])


def test_parse_log_reads_the_trainers_metric_lines():
    text = ("[trainer] model cells\nparams=7514 macs=230720\n"
            "epoch=1 accuracy=0.5 loss=1.2 epoch_time=0.4\nepoch=2 accuracy=0.625 loss=1 epoch_time=0.5\n")
    assert parse_log(text) == {"accuracy": [0.5, 0.625], "epoch_time": [0.4, 0.5], "params": 7514, "macs": 230720}
    with pytest.raises(ValueError, match="epoch 3 follows epoch 1"):
        parse_log("epoch=1 accuracy=0.5\nepoch=3 accuracy=0.5\n")


def test_trial_log_marks_the_epochs_a_continuation_did_not_train(tmp_path):
    log = tmp_path / "log"
    log.write_text("[trainer] model cells\nresumed_from_epoch=3\n2026-01-01T00:00:01Z epoch=4 accuracy=0.7\n"
                   "2026-01-01T00:00:02Z epoch=5 accuracy=0.72 epoch_time=1\n")
    assert trial_log(log) == [("2026-01-01T00:00:01Z", 4, 0.7, True), ("2026-01-01T00:00:02Z", 5, 0.72, True)]
    log.write_text("resumed_from_epoch=9\nepoch=9 accuracy=0.8\n")  # the pool held the whole budget
    assert trial_log(log) == [("", 9, 0.8, False)]


def test_table_load_names_what_is_missing(tmp_path):
    from efficiency.spaces import CELLS
    doc = {"space": "cells", "parameters": {k: list(v) for k, v in CELLS.choices.items()}, "configs": []}
    path = tmp_path / "cells.json"
    path.write_text(json.dumps(doc))
    with pytest.raises(ValueError, match="160 configurations of space 'cells' are not recorded"):
        Table.load(path)
    doc["parameters"]["lr"] = ["0.1"]
    path.write_text(json.dumps(doc))
    with pytest.raises(ValueError, match="parameters differ"):
        Table.load(path)
