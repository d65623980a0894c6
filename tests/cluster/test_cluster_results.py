"""status/trials/best with -n read Katib's objects and print what the local commands print:
the JSON shapes are compared with a real local run of the same Experiment (`kubetune run -o json`)."""
from __future__ import annotations

import json

import pytest
from katib_objects import NS, experiment_doc, katib_defaulted, running_status, succeeded_status, trial, write


@pytest.fixture(scope="module")
def local_run(tmp_path_factory):
    """The same tiny Experiment run by the local engine: its JSON outputs are the reference shapes."""
    from kubetune.cli import main

    tmp = tmp_path_factory.mktemp("local")
    path = write(tmp / "exp.yaml", experiment_doc())
    workdir = tmp / "runs"
    outputs = {}
    import contextlib
    import io

    for key, args in (("run", ["run", path, "--workdir", workdir, "-o", "json"]),
                      ("status", ["status", "tiny", "--workdir", workdir, "-o", "json"]),
                      ("trials", ["trials", "tiny", "--workdir", workdir, "-o", "json"]),
                      ("best", ["best", "tiny", "--workdir", workdir, "-o", "json"]),
                      ("status_table", ["status", "tiny", "--workdir", workdir]),
                      ("trials_table", ["trials", "tiny", "--workdir", workdir])):
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf), contextlib.redirect_stderr(io.StringIO()):
            rc = main([str(a) for a in args])
        assert rc == 0, key
        outputs[key] = buf.getvalue()
    return {"workdir": workdir, **{k: (json.loads(v) if not k.endswith("table") else v) for k, v in outputs.items()}}


@pytest.fixture
def finished(fake):
    """Katib's objects for the same Experiment after two succeeded trials."""
    doc = katib_defaulted(experiment_doc())
    fake.put("experiments", doc)
    fake.set_status("experiments", NS, "tiny",
                    succeeded_status("tiny-bbb", "0.35", "0.9975", "0.0025", ["tiny-aaa", "tiny-bbb"]))
    fake.put("trials", trial("tiny", "tiny-aaa", "0.6", "Succeeded", "0.91", "0.09", created="2026-11-22T10:00:01Z"))
    fake.put("trials", trial("tiny", "tiny-bbb", "0.35", "Succeeded", "0.9975", "0.0025",
                             created="2026-11-22T10:00:02Z"))
    fake.put("trials", trial("other", "other-zzz", "0.1", "Succeeded", "0.5", "0.5"))  # another experiment's trial
    return doc


def _keys(obj) -> set[str]:
    return set(obj)


def test_status_json_has_the_local_shape(fake, kubeconfig, kt, local_run, finished):
    r = kt("status", "tiny", "-n", NS, "--kubeconfig", kubeconfig, "-o", "json")
    assert r.rc == 0, r.err
    cluster, local = json.loads(r.out), local_run["status"]
    assert _keys(cluster) == _keys(local) == {"apiVersion", "kind", "metadata", "spec", "status"}
    assert cluster["metadata"] == {"name": "tiny", "namespace": NS}
    assert _keys(cluster["status"]) == _keys(local["status"])
    best_c, best_l = cluster["status"]["currentOptimalTrial"], local["status"]["currentOptimalTrial"]
    assert _keys(best_c) == _keys(best_l)
    assert [_keys(m) for m in best_c["observation"]["metrics"]] == [_keys(m) for m in best_l["observation"]["metrics"]]
    assert _keys(cluster["status"]["conditions"][-1]) == _keys(local["status"]["conditions"][-1])
    assert best_c["bestTrialName"] == "tiny-bbb"
    assert [s.method for s in fake.requests] == ["GET"]  # reading never writes


def test_trials_json_has_the_local_shape_best_first(fake, kubeconfig, kt, local_run, finished):
    r = kt("trials", "tiny", "-n", NS, "--kubeconfig", kubeconfig, "-o", "json")
    assert r.rc == 0, r.err
    cluster = json.loads(r.out)
    assert [t["name"] for t in cluster] == ["tiny-bbb", "tiny-aaa"]  # ranked by accuracy; other-zzz is not ours
    assert all(_keys(t) == _keys(local_run["trials"][0]) for t in cluster)
    top = cluster[0]
    assert top["state"] == "Succeeded" and top["objective"] == 0.9975 and top["parameters"] == {"x": "0.35"}
    assert top["observation"]["loss"] == {"min": "0.0025", "max": "0.0025", "latest": "0.0025"}
    assert top["labels"] == {}  # Katib's experiment label is bookkeeping, not a suggestion label
    assert top["durationSeconds"] == pytest.approx(58.0)  # startTime 10:00:02 -> completionTime 10:01:00
    (lst,) = [s for s in fake.requests if s.path.endswith("/trials")]
    assert lst.query["labelSelector"] == ["katib.kubeflow.org/experiment=tiny"]


def test_best_json_is_katibs_optimal_trial_in_the_local_shape(fake, kubeconfig, kt, local_run, finished):
    r = kt("best", "tiny", "-n", NS, "--kubeconfig", kubeconfig, "-o", "json")
    assert r.rc == 0, r.err
    best = json.loads(r.out)
    assert _keys(best) == _keys(local_run["best"])
    assert best["name"] == "tiny-bbb" and best["objective"] == 0.9975
    r = kt("best", "tiny", "-n", NS, "--kubeconfig", kubeconfig)
    assert "best trial: tiny-bbb" in r.out and "x = 0.35" in r.out
    assert "kubectl logs -n team-a -l katib.kubeflow.org/trial=tiny-bbb -c training" in r.out


def test_tables_have_the_local_columns(fake, kubeconfig, kt, local_run, finished):
    r = kt("trials", "tiny", "-n", NS, "--kubeconfig", kubeconfig)
    assert r.rc == 0, r.err
    header = next(line for line in r.out.splitlines() if "trial" in line and "state" in line)
    local_header = next(line for line in local_run["trials_table"].splitlines() if "trial" in line and "state" in line)
    columns = [word for word in header.split() if word != "┃"]
    assert header.split() == local_header.split()
    assert columns == ["#", "trial", "state", "accuracy", "loss", "x", "time"]
    assert r.out.index("tiny-bbb") < r.out.index("tiny-aaa")
    r = kt("status", "tiny", "-n", NS, "--kubeconfig", kubeconfig)
    assert "experiment tiny: Succeeded" in r.out and "best trial" in r.out and "tiny-bbb" in r.out
    assert "experiment tiny: Succeeded" in local_run["status_table"]


def test_watch_json_has_the_run_shape(fake, kubeconfig, kt, local_run, finished):
    r = kt("watch", "tiny", "-n", NS, "--kubeconfig", kubeconfig, "-o", "json", "--interval", "0.2")
    assert r.rc == 0, r.err
    cluster = json.loads(r.out)
    assert _keys(cluster) == _keys(local_run["run"]) - {"directory"} | {"namespace"}
    assert _keys(cluster["status"]) == _keys(local_run["run"]["status"])
    assert [t["name"] for t in cluster["trials"]] == ["tiny-aaa", "tiny-bbb"]  # creation order, as `run` prints
    assert all(_keys(t) == _keys(local_run["run"]["trials"][0]) for t in cluster["trials"])


def test_every_trial_state_maps_like_katib(fake, kubeconfig, kt):
    fake.put("experiments", katib_defaulted(experiment_doc(max_trials=6)))
    states = ["Succeeded", "Failed", "MetricsUnavailable", "EarlyStopped", "Running", "Created"]
    for i, state in enumerate(states):
        acc = {"Succeeded": "0.8", "EarlyStopped": "0.6"}.get(state)
        fake.put("trials", trial("tiny", f"tiny-{i}", f"0.{i}", state, acc, "0.2" if acc else None,
                                 created=f"2026-11-22T10:00:0{i}Z"))
    r = kt("trials", "tiny", "-n", NS, "--kubeconfig", kubeconfig, "-o", "json")
    assert r.rc == 0, r.err
    rows = {t["name"]: t for t in json.loads(r.out)}
    assert [rows[f"tiny-{i}"]["state"] for i in range(6)] == states
    assert rows["tiny-0"]["objective"] == 0.8 and rows["tiny-3"]["objective"] == 0.6
    assert all(rows[f"tiny-{i}"]["objective"] is None for i in (1, 2, 4, 5))
    assert rows["tiny-1"]["reason"].startswith("TrialFailed") and "backoff limit" in rows["tiny-1"]["message"]
    assert rows["tiny-2"]["reason"] == "MetricsUnavailable"
    assert rows["tiny-4"]["durationSeconds"] is not None and rows["tiny-5"]["reason"] == "TrialCreated"
    # Katib has not named a best trial yet (running_status): `best` says so, like the local command
    fake.set_status("experiments", NS, "tiny", running_status(["tiny-4"]))
    r = kt("best", "tiny", "-n", NS, "--kubeconfig", kubeconfig)
    assert r.rc == 2 and "has no trial with an objective value yet" in r.err


def test_a_just_created_experiment_without_status(fake, kubeconfig, kt):
    fake.put("experiments", experiment_doc())
    r = kt("status", "tiny", "-n", NS, "--kubeconfig", kubeconfig, "-o", "json")
    assert r.rc == 0, r.err
    status = json.loads(r.out)["status"]
    assert status == {"conditions": [], "trials": 0, "currentOptimalTrial": {
        "bestTrialName": "", "parameterAssignments": [], "observation": {"metrics": []}}}
    r = kt("status", "tiny", "-n", NS, "--kubeconfig", kubeconfig)
    assert r.rc == 0 and "experiment tiny: Created" in " ".join(r.out.split())  # rich wraps the title


def test_best_when_its_trial_object_is_gone(fake, kubeconfig, kt, finished):
    del fake.objects[("trials", NS, "tiny-bbb")]
    r = kt("best", "tiny", "-n", NS, "--kubeconfig", kubeconfig, "-o", "json")
    assert r.rc == 0, r.err
    best = json.loads(r.out)
    assert best["name"] == "tiny-bbb" and best["state"] == "Unknown" and best["objective"] == 0.9975
    assert best["parameters"] == {"x": "0.35"}


def test_without_namespace_the_commands_stay_local(fake, kubeconfig, kt, local_run):
    r = kt("status", "tiny", "--workdir", local_run["workdir"], "-o", "json")
    assert r.rc == 0 and json.loads(r.out) == local_run["status"]
    assert fake.requests == []


def test_trials_are_read_across_list_pages(fake, kubeconfig, kt):
    fake.put("experiments", katib_defaulted(experiment_doc(max_trials=5)))
    for i in range(5):
        fake.put("trials", trial("tiny", f"tiny-{i}", f"0.{i}", "Succeeded", f"0.{i}1", "0.1",
                                 created=f"2026-11-22T10:00:0{i}Z"))
    fake.page_size = 2
    r = kt("trials", "tiny", "-n", NS, "--kubeconfig", kubeconfig, "-o", "json")
    assert r.rc == 0, r.err
    assert [t["name"] for t in json.loads(r.out)] == [f"tiny-{i}" for i in (4, 3, 2, 1, 0)]
    pages = [s for s in fake.requests if s.path.endswith("/trials")]
    assert len(pages) == 3 and pages[1].query["continue"] == ["2"]


def test_a_text_objective_reads_as_text_as_in_local_runs():
    """A DARTS-style trial reports its objective as text: Katib keeps min/max 'unavailable' and the
    text as latest; the row carries it as objective_text, as the local engine's rows do."""
    from kubetune.cluster.results import ExperimentView, trial_rows

    view = ExperimentView.of(katib_defaulted(experiment_doc()))
    genotype = trial("tiny", "tiny-ggg", "0.5", "Succeeded", "0.1", "0.2")
    genotype["status"]["observation"]["metrics"][0] = {"name": "accuracy", "min": "unavailable",
                                                       "max": "unavailable", "latest": "Genotype(normal=[])"}
    number = trial("tiny", "tiny-nnn", "0.4", "Succeeded", "0.75", "0.2", created="2026-11-22T10:00:02Z")
    text_row, number_row = trial_rows([genotype, number], view)
    assert (text_row.objective, text_row.objective_text) == (None, "Genotype(normal=[])")
    assert (number_row.objective, number_row.objective_text) == (0.75, None)
