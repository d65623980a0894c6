"""manifests/experiments/: Katib validity (kubetune validate --strict), what each one promises
(GPUs, dataset source, metrics collection, algorithm), strict Kubernetes schemas for the trial
workloads, and real local runs on digits with a tiny budget."""
from __future__ import annotations

import json
import os
import re

import pytest
import yaml

from deploy_helpers import (CHART, EXPERIMENT_FILES, EXPERIMENTS, KUBERNETES_VERSION, KUBETUNE,
                             primary_container, run, shrink_experiment, trial_pod_specs)

EXPECTED = ["blocks-nas.yaml", "compound-scaling.yaml", "ddp-pytorchjob.yaml", "efficientnet-b0.yaml",
            "mask-classifier.yaml", "vit.yaml"]


def _load(name: str) -> dict:
    return yaml.safe_load((EXPERIMENTS / name).read_text())


def _params(doc: dict) -> dict[str, dict]:
    return {p["name"]: p for p in doc["spec"]["parameters"]}


def test_the_six_experiments_exist():
    assert EXPERIMENT_FILES == EXPECTED


def test_all_pass_kubetune_validate_strict():
    result = run([*KUBETUNE, "validate", "--strict", *(str(EXPERIMENTS / f) for f in EXPERIMENT_FILES)], timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count(": valid (") == len(EXPERIMENT_FILES), result.stdout


def test_validate_strict_does_reject_a_broken_copy(tmp_path):
    """The check above can fail: a File collector whose path is relative is rejected by Katib."""
    doc = _load("efficientnet-b0.yaml")
    doc["spec"]["metricsCollectorSpec"]["source"]["fileSystemPath"]["path"] = "metrics.log"
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(doc))
    result = run([*KUBETUNE, "validate", "--strict", str(bad)], timeout=60)
    assert result.returncode != 0 and "fileSystemPath" in result.stdout + result.stderr


@pytest.mark.parametrize("name", EXPECTED)
def test_requests_gpus_runs_the_trainer_image_non_root(name):
    doc = _load(name)
    container = primary_container(doc)
    gpus = 2 if name == "ddp-pytorchjob.yaml" else 1
    assert container["resources"]["limits"]["nvidia.com/gpu"] == gpus
    assert container["resources"]["requests"]["nvidia.com/gpu"] == gpus
    assert {"cpu", "memory"} <= set(container["resources"]["limits"])
    assert "kubetune-trainer" in container["image"] and not container["image"].endswith(":latest")
    command = container["command"] + container["args"]
    assert ["-m", "trainer", "train"] == [a for a in command if a in ("-m", "trainer", "train")][-3:] or \
        command[:4] == ["python", "-m", "trainer", "train"]
    security = container["securityContext"]
    assert security["runAsNonRoot"] and security["runAsUser"] >= 10000
    assert security["allowPrivilegeEscalation"] is False and security["readOnlyRootFilesystem"] is True
    assert security["capabilities"]["drop"] == ["ALL"]
    for pod in trial_pod_specs(doc):
        assert {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"} in pod["tolerations"]
        assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}


@pytest.mark.parametrize("name", EXPECTED)
def test_reads_data_from_a_pvc_or_from_s3_with_a_secret(name):
    doc = _load(name)
    container = primary_container(doc)
    assert "--data=/datasets/digits" in container["args"]
    (pod,) = trial_pod_specs(doc)
    volumes = {v["name"]: v for v in pod["volumes"]}
    mounts = {m["mountPath"]: m for m in container["volumeMounts"]}
    datasets = volumes[mounts["/datasets"]["name"]]
    assert volumes[mounts["/models"]["name"]]["persistentVolumeClaim"]["claimName"] == "kubetune-models"
    if name == "vit.yaml":  # the S3 variant: an initContainer mirrors the bucket into an emptyDir
        assert "emptyDir" in datasets
        (fetch,) = pod["initContainers"]
        assert fetch["command"][:2] == ["mc", "mirror"] and fetch["command"][-1] == "/datasets/digits"
        secret_refs = {e["name"]: e["valueFrom"]["secretKeyRef"] for e in fetch["env"] if "valueFrom" in e}
        assert secret_refs == {
            "AWS_ACCESS_KEY_ID": {"name": "kubetune-s3", "key": "AWS_ACCESS_KEY_ID"},
            "AWS_SECRET_ACCESS_KEY": {"name": "kubetune-s3", "key": "AWS_SECRET_ACCESS_KEY"}}
        host = next(e["value"] for e in fetch["env"] if e["name"] == "MC_HOST_src")
        assert host.startswith("http://$(AWS_ACCESS_KEY_ID):$(AWS_SECRET_ACCESS_KEY)@")
        assert fetch["securityContext"]["runAsNonRoot"]
    else:
        assert datasets["persistentVolumeClaim"] == {"claimName": "kubetune-datasets", "readOnly": True}
        assert mounts["/datasets"]["readOnly"] is True


@pytest.mark.parametrize("name", EXPECTED)
def test_metrics_collection_ignores_the_chatty_log(name):
    doc = _load(name)
    spec = doc["spec"]["metricsCollectorSpec"]
    args = primary_container(doc)["args"]
    if spec["collector"]["kind"] == "File":
        path = spec["source"]["fileSystemPath"]["path"]
        assert f"--metrics-file={path}" in args and path.startswith("/")
    else:
        assert spec["collector"]["kind"] == "StdOut"
        (pattern,) = spec["source"]["filter"]["metricsFormat"]
        metrics = [doc["spec"]["objective"]["objectiveMetricName"], *doc["spec"]["objective"]["additionalMetricNames"]]
        regex = re.compile(pattern)
        line = ("2026-01-01T00:00:00Z epoch=3 accuracy=0.75 loss=0.5 val_accuracy=0.75 train_loss=0.4 "
                "val/loss=9 params=1000 macs=2e6")
        found = {}
        for m in regex.finditer(line):
            found.setdefault(m.group(1), m.group(2))
        assert found == {"accuracy": "0.75", "loss": "0.5", "params": "1000", "macs": "2e6"}
        assert set(found) == set(metrics)
        assert not any(regex.finditer("[trainer] model cells: 4,020,358 parameters; best accuracy 0.9"))


def test_each_search_matches_its_seed():
    eff = _load("efficientnet-b0.yaml")["spec"]
    assert eff["algorithm"]["algorithmName"] == "tpe" and eff["earlyStopping"]["algorithmName"] == "medianstop"
    assert eff["trialTemplate"]["retain"] is True
    vit = _params(_load("vit.yaml"))
    assert vit["patch_num"]["feasibleSpace"]["list"] == ["15", "10", "6", "5"]
    assert vit["vt_dim"]["feasibleSpace"]["list"] == ["256", "128", "64"]
    assert vit["vt_depth"]["feasibleSpace"]["list"] == ["6", "5", "4"]
    assert vit["vt_heads"]["feasibleSpace"]["list"] == ["12", "8", "6"]
    assert vit["mlp_dim"]["feasibleSpace"]["list"] == ["1000", "500", "100"]
    assert vit["gamma"]["feasibleSpace"] == {"min": "0.5", "max": "0.9"}
    mask = _params(_load("mask-classifier.yaml"))
    assert {n: p["parameterType"] for n, p in mask.items() if p["parameterType"] == "categorical"} == {
        "model": "categorical", "criterion": "categorical", "augmentation": "categorical"}
    assert mask["criterion"]["feasibleSpace"]["list"] == ["focal", "label_smoothing", "cross_entropy", "f1"]
    blocks = _load("blocks-nas.yaml")
    args = " ".join(primary_container(blocks)["args"])
    assert "--model=cells" in args and "--cells.n-repeat-3=" in args
    assert {"params", "macs"} <= set(blocks["spec"]["objective"]["additionalMetricNames"])
    ddp = _load("ddp-pytorchjob.yaml")["spec"]["trialTemplate"]
    assert ddp["trialSpec"]["kind"] == "PyTorchJob" and ddp["primaryContainerName"] == "pytorch"
    container = primary_container(_load("ddp-pytorchjob.yaml"))
    assert container["command"] == ["python", "-m", "torch.distributed.run"]  # torchrun
    assert "--nproc-per-node=2" in container["args"]


def test_compound_scaling_lists_the_fixed_product_triples():
    """The grid is exactly NNI 1.x's FixedProductTuner set for seed 000 (product 2, tolerance 0.1)."""
    from kubetune.algorithms.nni_fixed_product import allowed_triples, format_triple, product_of

    space = {"alpha": {"_type": "quniform", "_value": [1.0, 2.0, 0.05]},
             "beta": {"_type": "quniform", "_value": [1.0, 1.5, 0.05]},
             "gamma": {"_type": "quniform", "_value": [1.0, 1.5, 0.05]}}
    doc = _load("compound-scaling.yaml")
    listed = _params(doc)["scaling"]["feasibleSpace"]["list"]
    assert listed == [format_triple(t) for t in allowed_triples(space, 2)]
    assert len(listed) == 109 == doc["spec"]["maxTrialCount"]
    for value in listed:  # independent of the module: every triple really is within 0.1 of 2
        a, b, g = (float(x) for x in value.split(","))
        assert abs(product_of(a, b, g) - 2) < 0.1
    paper = [v for v in listed if [round(float(x), 2) for x in v.split(",")] == [1.2, 1.1, 1.15]]
    assert len(paper) == 1  # the paper's coefficients, in NNI's float spelling
    assert "--scaling=${trialParameters.scaling}" in primary_container(doc)["args"]


def test_chart_carries_identical_copies():
    """charts/kubetune/files/experiments/ must stay equal to manifests/experiments/ (Helm cannot
    read files outside the chart). Fix: cp manifests/experiments/*.yaml (not local.yaml) there."""
    copies = sorted(p.name for p in (CHART / "files" / "experiments").glob("*.yaml"))
    assert copies == EXPECTED
    for name in EXPECTED:
        assert (CHART / "files" / "experiments" / name).read_text() == (EXPERIMENTS / name).read_text(), name


def test_trial_workloads_pass_strict_kubernetes_schemas(tool, tmp_path):
    """Katib only schema-checks Job trials; kubernetes-validate checks every pod template strictly."""
    docs = []
    for name in EXPERIMENT_FILES:
        workload = _load(name)["spec"]["trialTemplate"]["trialSpec"]
        meta = {"name": f"trial-{len(docs)}", "namespace": "kubetune"}
        if workload["kind"] == "Job":
            docs.append({**workload, "metadata": meta})
        else:  # PyTorchJob: each replica's pod template as a Pod
            for replica in workload["spec"]["pytorchReplicaSpecs"].values():
                docs.append({"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": replica["template"]["spec"]})
    path = tmp_path / "trials.yaml"
    path.write_text(yaml.safe_dump_all(docs))
    result = run([tool("kubernetes-validate"), "--strict", "-k", KUBERNETES_VERSION, "--quiet", str(path)], timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert len(docs) == len(EXPERIMENT_FILES)


def test_local_overrides_file_maps_the_cluster_paths():
    local = yaml.safe_load((EXPERIMENTS / "local.yaml").read_text())
    assert set(local) == {"paths"} and set(local["paths"]) == {"/datasets", "/models"}
    for name in EXPERIMENT_FILES:
        mounts = {m["mountPath"] for m in primary_container(_load(name))["volumeMounts"]}
        assert {"/datasets", "/models"} <= mounts


# Per experiment: image size, and the few choices cut to cheap values (cost only: a ViT with 225
# tokens or an EfficientNet-B6 would take minutes per epoch on 2 CPU cores).
TINY = {
    "efficientnet-b0.yaml": (16, {"batch_size": ["64"]}),
    "vit.yaml": (30, {"patch_num": ["5"], "vt_dim": ["64"], "vt_depth": ["4"], "mlp_dim": ["100"]}),
    "mask-classifier.yaml": (16, {"model": ["efficientnet-b0"], "batch_size": ["64"]}),
    "compound-scaling.yaml": (16, {}),
    "blocks-nas.yaml": (16, {}),
    "ddp-pytorchjob.yaml": (16, {}),
}


@pytest.mark.slow
@pytest.mark.parametrize("name", EXPECTED)
def test_runs_locally_with_the_local_overrides(name, digits_root, tmp_path):
    """`kubetune run FILE --local-config local.yaml` on a tiny-budget copy: 1 trial, 1 epoch, 16 px
    digits. The trial must succeed and report the objective and every additional metric."""
    size, lists = TINY[name]
    doc = shrink_experiment(_load(name), image_size=size, lists=lists)
    exp = tmp_path / name
    exp.write_text(yaml.safe_dump(doc, sort_keys=False))
    local = tmp_path / "local.yaml"
    shipped = yaml.safe_load((EXPERIMENTS / "local.yaml").read_text())
    local.write_text(yaml.safe_dump({"paths": {**shipped["paths"], "/datasets": str(digits_root),
                                               "/models": str(tmp_path / "models")}}))
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    workdir = tmp_path / "runs"
    result = run([*KUBETUNE, "run", str(exp), "--local-config", str(local), "--workdir", str(workdir)],
                 timeout=600, env=env)
    log = "\n".join(p.read_text()[-3000:] for p in workdir.glob("*/trials/*/log"))
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:] + log
    best = run([*KUBETUNE, "best", doc["metadata"]["name"], "--workdir", str(workdir), "-o", "json"], timeout=60)
    assert best.returncode == 0, best.stderr
    observation = json.loads(best.stdout)["observation"]
    objective = doc["spec"]["objective"]
    for metric in [objective["objectiveMetricName"], *objective["additionalMetricNames"]]:
        assert observation[metric]["latest"] != "unavailable", (metric, observation)
    trial = json.loads(best.stdout)["name"]
    assert (tmp_path / "models" / trial / "best.pt").is_file()  # --out=/models/<trial name> was mapped
