"""What a person sees (issue 13), through the real `kubetune` command in a subprocess, with real
trial processes: why trials failed on every surface, numbers with a few significant digits (exact
in JSON), tables within COLUMNS, no escape codes in a pipe, no traceback when the reader of a pipe
goes away, inactive conditional parameters shown as inactive."""
from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from cli_output_helpers import REPO, experiment, kubetune, state_with_trials, too_precise, write_experiment

REASON = "[trainer] error: data path /x does not exist"


def _lines_within(text: str, columns: int) -> list[str]:
    """Lines wider than `columns`, except those that name a path or a command to copy (kept whole)."""
    keep_whole = ("state:", "next:", "  log:")
    return [line for line in text.splitlines() if len(line) > columns and not line.startswith(keep_whole)]


def test_too_precise_sees_long_numbers():
    # the checker itself must be able to fail
    assert too_precise("lr=0.00012272880785758138 gamma=0.7247953074960841") == \
        ["0.00012272880785758138", "0.7247953074960841"]
    assert too_precise("lr=0.0001227 acc=0.9994 n=123456 t=12.5s") == []


@pytest.mark.slow
def test_all_failed_run_says_why_everywhere(tmp_path):
    path = write_experiment(tmp_path, experiment("allfail", fail_below=1.0, trials=4, max_failed=4))
    work = str(tmp_path / "runs")
    r = kubetune("run", str(path), "--workdir", work)
    assert r.returncode == 1, r.stderr
    # the failure line carries the reason (stderr of the trial), not just "last lines of ...:"
    failed_lines = [ln for ln in r.stderr.splitlines() if ln.startswith("failed")]
    assert len(failed_lines) == 4 and all(REASON in ln for ln in failed_lines), r.stderr
    # said once, prominently, while the run goes on (after 3 alike) and in the end summary
    assert r.stderr.count("failed the same way") == 1
    assert r.stdout.count("failed the same way") == 1 and REASON in r.stdout
    assert "kubetune best" not in r.stdout  # it would only error
    assert "kubetune trials allfail" in r.stdout
    assert "\x1b[" not in r.stdout + r.stderr  # a pipe gets no escape codes

    trials = kubetune("trials", "allfail", "--workdir", work)
    assert trials.returncode == 0 and REASON in trials.stdout
    status = kubetune("status", "allfail", "--workdir", work)
    assert status.returncode == 0 and REASON in status.stdout
    best = kubetune("best", "allfail", "--workdir", work)
    assert best.returncode == 2 and "Traceback" not in best.stderr
    assert "4 of 4 trials failed" in best.stderr and "kubetune trials allfail" in best.stderr
    # JSON keeps the whole message
    data = json.loads(kubetune("trials", "allfail", "--workdir", work, "-o", "json").stdout)
    assert all(REASON in t["message"] for t in data)


@pytest.mark.slow
def test_numbers_are_readable_and_tables_fit(tmp_path):
    path = write_experiment(tmp_path, experiment("digits", trials=4))
    work = str(tmp_path / "runs")
    r = kubetune("run", str(path), "--workdir", work)
    assert r.returncode == 0, r.stderr
    assert "next: kubetune best digits" in r.stdout
    human = {"run": r.stdout}
    assert too_precise(r.stderr) == [], r.stderr
    for command in (["trials"], ["status"], ["best"]):
        out = kubetune(*command, "digits", "--workdir", work)
        assert out.returncode == 0, out.stderr
        human[command[0]] = out.stdout
    for name, text in human.items():
        assert too_precise(text) == [], (name, text)
        assert _lines_within(text, 100) == [], (name, text)
    # the progress lines name each trial's parameters rounded
    assert re.search(r"start +digits-\w+ +lr=0\.\d{1,4}[0-9e-]* optimizer=(sgd|adam)", r.stderr), r.stderr
    # exact values stay in JSON, and `best --exact` offers them for copy-paste
    best = json.loads(kubetune("best", "digits", "--workdir", work, "-o", "json").stdout)
    lr = best["parameters"]["lr"]
    assert len(lr.replace(".", "").lstrip("0")) > 6
    exact = kubetune("best", "digits", "--workdir", work, "--exact")
    assert f"--lr={lr}" in exact.stdout
    assert f"lr = {lr}" not in human["best"]
    # yaml is the same document as json
    import yaml

    assert yaml.safe_load(kubetune("best", "digits", "--workdir", work, "-o", "yaml").stdout) == best


def test_narrow_tables_drop_columns_never_cut_numbers(tmp_path):
    state_with_trials(tmp_path, "narrow", 5, spec={
        "objective": {"type": "maximize", "objectiveMetricName": "accuracy"},
        "parameters": [{"name": n, "parameterType": "double", "feasibleSpace": {"min": "0", "max": "1"}}
                       for n in ("learning_rate", "weight_decay", "label_smoothing", "dropout_rate")]},
        assignments=lambda i: {n: repr(0.1 + i / 7) for n in ("learning_rate", "weight_decay", "label_smoothing",
                                                                "dropout_rate")})
    wide = kubetune("trials", "narrow", "--workdir", str(tmp_path), "-o", "wide")
    assert "dropout_rate" in wide.stdout and "left out" not in wide.stdout
    r = kubetune("trials", "narrow", "--workdir", str(tmp_path), columns=60)
    assert r.returncode == 0, r.stderr
    assert _lines_within(r.stdout, 60) == [], r.stdout
    assert "left out to fit 60 columns" in r.stdout and "dropout_rate" in r.stdout.split("left out")[1]
    best = f"{0.5 + 4 * 0.00123456789:.4g}"
    assert re.search(rf"(?<![\d.]){re.escape(best)}(?![\d.])", r.stdout), r.stdout  # the objective, whole
    rows = [line for line in r.stdout.splitlines() if re.match(r"\s*\d+\s+(…|narrow-)", line)]
    assert len(rows) == 5, r.stdout
    for line in rows:  # every number in a row parses whole
        for cell in line.split()[3:]:
            float(cell)


def test_leaderboard_says_how_many_rows_it_shows(tmp_path):
    state_with_trials(tmp_path, "many", 25)
    r = kubetune("trials", "many", "--workdir", str(tmp_path), "--limit", "20")
    assert r.returncode == 0, r.stderr
    assert "showing the best 20 of 25 trials" in r.stdout
    rows = [ln for ln in r.stdout.splitlines() if re.match(r"\s*\d+\s+many-", ln)]
    assert len(rows) == 20


def test_status_json_into_a_closed_pipe_has_no_traceback(tmp_path):
    state_with_trials(tmp_path, "piped", 400, message="exit code 2; last lines of log:\n" + "x" * 300)
    proc = subprocess.Popen([sys.executable, "-m", "kubetune.cli", "trials", "piped", "--workdir", str(tmp_path),
                             "-o", "json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=REPO)
    assert proc.stdout.readline().strip() == b"["  # `| head -1`
    proc.stdout.close()
    err = proc.stderr.read().decode()
    proc.stderr.close()
    assert proc.wait(timeout=60) == 141
    assert "Traceback" not in err and "BrokenPipeError" not in err, err


@pytest.mark.slow
@pytest.mark.parametrize("form", ["annotation", "setting"])
def test_inactive_conditional_parameters_show_as_inactive(tmp_path, form):
    spec = {"objective": {"type": "maximize", "objectiveMetricName": "accuracy"},
            "parameters": [
                {"name": "optimizer", "parameterType": "categorical", "feasibleSpace": {"list": ["sgd", "adam"]}},
                {"name": "momentum", "parameterType": "double", "feasibleSpace": {"min": "0.5", "max": "0.99"}}]}
    rule = "momentum: {when: {optimizer: [sgd]}}"
    conditions = {"kubetune.io/conditions": rule} if form == "annotation" else None
    if form == "setting":  # the form kubetune's Katib services read (kubetune.experiment.extension_form)
        spec["algorithm"] = {"algorithmName": "tpe", "algorithmSettings": [{"name": "kubetune.conditions",
                                                                             "value": rule}]}
    state_with_trials(tmp_path, "cond", 3, spec=spec, annotations=conditions,
                      assignments=lambda i: {"optimizer": "adam" if i == 2 else "sgd", "momentum": "0.5"})
    trials = kubetune("trials", "cond", "--workdir", str(tmp_path))
    rows = {ln.split()[1]: ln for ln in trials.stdout.splitlines() if re.match(r"\s*\d+\s+cond-", ln)}
    assert "(inactive)" in rows["cond-t002"] and "(inactive)" not in rows["cond-t000"]
    best = kubetune("best", "cond", "--workdir", str(tmp_path))  # t002 is the best (highest value)
    assert re.search(r"momentum\s+= \(inactive\)", best.stdout), best.stdout
    status = kubetune("status", "cond", "--workdir", str(tmp_path))
    assert "momentum=(inactive)" in status.stdout
