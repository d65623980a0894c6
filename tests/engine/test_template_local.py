"""Trial template substitution and the local launch of a cluster container (no processes started)."""
from __future__ import annotations

import sys

import pytest

from kubetune.engine.local import LocalOverrides, cpu_threads, local_launch
from kubetune.engine.template import TemplateError, primary_container, render_workload, resolve_trial_parameters


def job_template(container: dict, volumes=None, trial_parameters=None, metadata=None) -> dict:
    spec = {"template": {"spec": {"containers": [container], "volumes": volumes or []}}}
    return {
        "primaryContainerName": "training",
        "trialParameters": trial_parameters or [{"name": "lr", "reference": "lr"}],
        "trialSpec": {"apiVersion": "batch/v1", "kind": "Job", "metadata": metadata or {}, "spec": spec},
    }


def test_metadata_references_resolve():
    tmpl = job_template({"name": "training"}, metadata={"labels": {"team": "vision"}, "annotations": {"a": "b"}},
                        trial_parameters=[{"name": "lr", "reference": "lr"},
                                          {"name": "me", "reference": "${trialSpec.Name}"},
                                          {"name": "ns", "reference": "${trialSpec.Namespace}"},
                                          {"name": "kind", "reference": "${trialSpec.Kind}"},
                                          {"name": "api", "reference": "${trialSpec.APIVersion}"},
                                          {"name": "team", "reference": "${trialSpec.Labels[team]}"},
                                          {"name": "ann", "reference": "${trialSpec.Annotations[a]}"}])
    values = resolve_trial_parameters(tmpl, {"lr": "0.1"}, "exp-abcdefgh", "team-a")
    assert values == {"lr": "0.1", "me": "exp-abcdefgh", "ns": "team-a", "kind": "Job", "api": "batch/v1",
                      "team": "vision", "ann": "b"}


def test_missing_label_and_unconsumed_parameter_are_errors():
    tmpl = job_template({"name": "training"}, trial_parameters=[{"name": "x", "reference": "${trialSpec.Labels[nope]}"}])
    with pytest.raises(TemplateError, match=r"trialParameters\[0\].reference.*nope"):
        resolve_trial_parameters(tmpl, {}, "t", "ns")
    with pytest.raises(TemplateError, match="momentum"):
        resolve_trial_parameters(job_template({"name": "training"}), {"lr": "1", "momentum": "0.9"}, "t", "ns")


def test_render_sets_name_namespace_and_substitutes_everywhere():
    c = {"name": "training", "command": ["python"], "args": ["--lr=${trialParameters.lr}", "${trialParameters.lr}"],
         "env": [{"name": "LR", "value": "${trialParameters.lr}"}]}
    w = render_workload(job_template(c), {"lr": 'a"b\nc'}, "exp-x", "ns1")
    got = w["spec"]["template"]["spec"]["containers"][0]
    assert got["args"] == ['--lr=a"b\nc', 'a"b\nc'] and got["env"][0]["value"] == 'a"b\nc'
    assert w["metadata"] == {"name": "exp-x", "namespace": "ns1"}


def test_primary_container_of_each_kind():
    master = {"name": "pytorch", "command": ["torchrun"], "resources": {"limits": {"nvidia.com/gpu": 2}}}
    worker = {"name": "pytorch", "command": ["worker"]}
    ptj = {"kind": "PyTorchJob", "spec": {"runPolicy": {"activeDeadlineSeconds": 60}, "pytorchReplicaSpecs": {
        "Worker": {"template": {"spec": {"containers": [worker]}}},
        "Master": {"template": {"spec": {"containers": [master]}}}}}}
    pc = primary_container(ptj, "pytorch")
    assert pc.container["command"] == ["torchrun"] and pc.gpus == 2 and pc.active_deadline_seconds == 60
    tj = {"kind": "TrainJob", "spec": {"trainer": {"image": "img", "command": ["torchrun"], "args": ["a"],
                                                   "resourcesPerNode": {"limits": {"nvidia.com/gpu": "1"}}}}}
    pc = primary_container(tj, "node")
    assert pc.container["args"] == ["a"] and pc.gpus == 1
    with pytest.raises(TemplateError, match="no container named 'trainer'.*pytorch"):
        primary_container(ptj, "trainer")
    with pytest.raises(TemplateError, match="Workflow"):
        primary_container({"kind": "Workflow", "spec": {}}, "main")


def launch(container, tmp_path, volumes=None, over=None, **kw):
    from kubetune.engine.template import PrimaryContainer

    pc = PrimaryContainer(container, {"volumes": volumes or []}, "Job", 0, None)
    return local_launch(pc, over or LocalOverrides(), tmp_path / "trial", "exp-t", "ns", **kw)


def test_mount_paths_are_mapped_and_python_is_this_interpreter(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    c = {"name": "training", "command": ["python", "-m", "trainer"],
         "args": ["--data=/data/train", "--out", "/data", "--other=/database"],
         "volumeMounts": [{"name": "ds", "mountPath": "/data"}, {"name": "scratch", "mountPath": "/scratch"}]}
    vols = [{"name": "ds", "persistentVolumeClaim": {"claimName": "x"}}, {"name": "scratch", "emptyDir": {}}]
    spec = launch(c, tmp_path, vols, LocalOverrides(paths={"/data": str(data)}))
    assert spec.argv == [sys.executable, "-m", "trainer", f"--data={data}/train", "--out", str(data), "--other=/database"]
    assert (tmp_path / "trial" / "volumes" / "scratch").is_dir()


def test_unmapped_pvc_secret_env_and_unknown_image_are_clear_errors(tmp_path):
    c = {"name": "training", "command": ["python"], "args": ["/data/x"], "volumeMounts": [{"name": "ds", "mountPath": "/data"}]}
    with pytest.raises(TemplateError, match="--set-path /data="):
        launch(c, tmp_path, [{"name": "ds", "persistentVolumeClaim": {"claimName": "x"}}])
    c = {"name": "training", "command": ["python"],
         "env": [{"name": "KEY", "valueFrom": {"secretKeyRef": {"name": "s3", "key": "secret"}}}]}
    with pytest.raises(TemplateError, match="--set-env KEY=VALUE"):
        launch(c, tmp_path)
    spec = launch(c, tmp_path, over=LocalOverrides(env={"KEY": "v"}))
    assert spec.env["KEY"] == "v"
    with pytest.raises(TemplateError, match="images:"):
        launch({"name": "training", "image": "registry/custom:1"}, tmp_path)
    spec = launch({"name": "training", "image": "ghcr.io/kubetune/kubetune-trainer:0.1.0", "args": ["train"]}, tmp_path)
    assert spec.argv == [sys.executable, "-m", "trainer", "train"]


def test_overrides_file_and_flags(tmp_path):
    (tmp_path / "local.yaml").write_text("paths: {/data: ./d}\nenv: {A: '1'}\nimages: {reg/img: [python, x.py]}\n")
    over = LocalOverrides.load(str(tmp_path / "local.yaml"), ["/out=/tmp/o"], ["B=2"])
    assert over.paths == {"/data": str(tmp_path / "d"), "/out": "/tmp/o"}
    assert over.env == {"A": "1", "B": "2"} and over.images == {"reg/img": ["python", "x.py"]}
    (tmp_path / "bad.yaml").write_text("pathz: {}\n")
    with pytest.raises(TemplateError, match="unknown key.*pathz"):
        LocalOverrides.load(str(tmp_path / "bad.yaml"))
    with pytest.raises(TemplateError, match="KEY=VALUE"):
        LocalOverrides.load(None, [], ["novalue"])


def test_cpu_threads_follow_limit_or_fair_share(monkeypatch):
    monkeypatch.setattr("os.cpu_count", lambda: 8)
    assert cpu_threads({}, 2) == 4
    assert cpu_threads({"resources": {"limits": {"cpu": "2"}}}, 1) == 2
    assert cpu_threads({"resources": {"limits": {"cpu": "500m"}}}, 1) == 1
    assert cpu_threads({}, 16) == 1


def test_a_mount_is_only_referenced_by_paths_under_it(tmp_path):
    # /tmp/x/models/y is not under the /models mount: no mapping needed for it
    c = {"name": "training", "command": ["python"], "args": ["--out=/tmp/x/models/y", "--cache=/modelsx"],
         "volumeMounts": [{"name": "m", "mountPath": "/models"}]}
    spec = launch(c, tmp_path, [{"name": "m", "persistentVolumeClaim": {"claimName": "x"}}])
    assert spec.argv[1:] == ["--out=/tmp/x/models/y", "--cache=/modelsx"]
    c["args"].append("--export=/models/best")
    with pytest.raises(TemplateError, match="--set-path /models="):
        launch(c, tmp_path, [{"name": "m", "persistentVolumeClaim": {"claimName": "x"}}])
