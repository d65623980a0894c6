"""`kubetune ensemble` end to end on CSV files."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from kubetune.cli import main
from kubetune.ensemble import read_predictions

from ensemble_helpers import write_member


def run(capsys, *args):
    rc = main(["ensemble", *map(str, args)])
    out, err = capsys.readouterr()
    return rc, out, err


def test_soft_json_report_and_output_csv(tmp_path, capsys, member_files, labels_file):
    out_csv, report_json = tmp_path / "ens" / "ensemble.csv", tmp_path / "report.json"
    rc, out, err = run(capsys, "--predictions", *member_files, "--method", "soft", "--labels", labels_file,
                       "--out", out_csv, "--report", report_json, "-o", "json")
    assert rc == 0, err
    report = json.loads(out)
    assert report == json.loads(report_json.read_text())
    assert report["method"] == "soft" and report["samples"] == 4 and report["classes"] == ["a", "b", "c"]
    assert [m["metrics"]["accuracy"] for m in report["members"]] == [0.75, 0.25, 0.5]
    assert report["ensemble"]["metrics"]["accuracy"] == 1.0
    assert report["best_member"]["name"] == "A/preds"
    assert report["ensemble_gain"]["accuracy"] == pytest.approx(0.25)
    assert report["ensemble"]["metrics"]["confusion_matrix"] == [[1, 0, 0], [0, 2, 0], [0, 0, 1]]
    assert read_predictions(out_csv).label_names == ["a", "b", "c", "b"]


def test_hard_and_weighted_and_top_k(capsys, member_files, labels_file):
    rc, out, _ = run(capsys, "--predictions", *member_files, "--method", "hard", "--labels", labels_file, "-o", "json")
    assert rc == 0 and json.loads(out)["ensemble"]["metrics"]["accuracy"] == 1.0

    rc, out, _ = run(capsys, "--predictions", *member_files, "--method", "weighted", "--weights", 1, 3, 1,
                     "--labels", labels_file, "-o", "json")
    report = json.loads(out)
    assert rc == 0 and report["ensemble"]["metrics"]["accuracy"] == 0.5      # b,c,c,b vs a,b,c,b
    assert [m["weight"] for m in report["members"]] == pytest.approx([0.2, 0.6, 0.2])

    rc, out, _ = run(capsys, "--predictions", *member_files, "--scores", 0.9, 0.8, 0.5, "--top-k", 2,
                     "--labels", labels_file, "-o", "json")
    report = json.loads(out)
    assert rc == 0 and report["ensemble"]["members"] == ["A/preds", "B/preds"]
    assert [m["selected"] for m in report["members"]] == [True, True, False]
    assert report["ensemble"]["metrics"]["accuracy"] == 0.5

    # weighted from scores of a minimized objective: weights 1/score, normalised
    rc, out, _ = run(capsys, "--predictions", *member_files, "--method", "weighted", "--scores", 0.5, 0.25, 1.0,
                     "--objective-type", "minimize", "-o", "json")
    assert rc == 0
    assert [m["weight"] for m in json.loads(out)["members"]] == pytest.approx([2 / 7, 4 / 7, 1 / 7])


def test_table_output(capsys, member_files, labels_file, tmp_path):
    rc, out, _ = run(capsys, "--predictions", *member_files, "--labels", labels_file, "--out", tmp_path / "e.csv")
    assert rc == 0
    assert "A/preds" in out and "ensemble" in out and "1.0000" in out and "e.csv" in out


@pytest.mark.parametrize("extra, message", [
    (["--method", "weighted"], "needs --weights, or --scores"),
    (["--top-k", "2"], "--top-k needs member scores"),
    (["--weights", "1", "2"], "2 weights for 3 prediction files"),
    (["--method", "soft", "--weights", "1", "1", "1"], "use --method weighted"),
    (["--scores", "0.1", "0.2"], "2 scores for 3 prediction files"),
])
def test_bad_arguments_exit_2_with_a_message(capsys, member_files, extra, message):
    rc, out, err = run(capsys, "--predictions", *member_files, *extra)
    assert rc == 2 and message in err and out == ""


def test_bad_csv_exits_2_naming_the_file(tmp_path, capsys, member_files):
    bad = write_member(tmp_path / "bad.csv", [[0.5, 0.5, 0.5]] * 4)
    rc, _, err = run(capsys, "--predictions", member_files[0], bad, "--out", tmp_path / "never.csv")
    assert rc == 2 and "bad.csv" in err and "sum to 1.500000" in err
    assert not (tmp_path / "never.csv").exists()


def test_objective_from_a_local_experiment(tmp_path, capsys, labels_file):
    from kubetune.engine.state import ExperimentState
    from ensemble_helpers import MEMBERS

    workdir = tmp_path / "wd"
    state = ExperimentState(workdir / "exp" / "state.db")
    state.init_experiment("exp", "default", {"objective": {"type": "minimize", "objectiveMetricName": "val_loss"}})
    names = ["exp-aaa", "exp-bbb", "exp-ccc"]
    state.add_trials([(n, {}, {}, None) for n in names])
    for n, loss in zip(names, [0.2, 0.9, 0.4]):
        state.finish(n, "Succeeded", reason="", message="", exit_code=0, objective=loss, observation={})
    state.close()
    files = []
    for n, rows in zip(names, MEMBERS.values()):
        (tmp_path / "preds" / n).mkdir(parents=True)
        files.append(write_member(tmp_path / "preds" / n / "preds.csv", rows))
    rc, out, err = run(capsys, "--predictions", *files, "--objective-from", "exp", "--workdir", workdir,
                       "--top-k", 2, "--labels", labels_file, "-o", "json")
    assert rc == 0, err
    report = json.loads(out)
    assert report["objective_type"] == "minimize"
    assert [m["score"] for m in report["members"]] == [0.2, 0.9, 0.4]
    assert report["ensemble"]["members"] == ["exp-aaa/preds", "exp-ccc/preds"]   # lowest losses

    stray = write_member(tmp_path / "stray.csv", MEMBERS["A"])
    rc, _, err = run(capsys, "--predictions", files[0], stray, "--objective-from", "exp", "--workdir", workdir)
    assert rc == 2 and "stray.csv: no trial of experiment exp" in err
    rc, _, err = run(capsys, "--predictions", *files, "--objective-from", "nope", "--workdir", workdir)
    assert rc == 2 and "no experiment 'nope'" in err


def test_entry_point_subprocess(member_files, labels_file):
    r = subprocess.run([sys.executable, "-m", "kubetune.cli", "ensemble", "--predictions", *map(str, member_files),
                        "--method", "hard", "--labels", str(labels_file), "-o", "json"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["ensemble"]["metrics"]["accuracy"] == 1.0
