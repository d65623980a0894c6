"""charts/kubetune with the real helm: lint, templates over several value sets piped to
kubernetes-validate (strict) and to `kubetune validate --strict` (the Experiment templates), labels,
values.schema.json rejections, NOTES.txt, and the `helm test` pod."""
from __future__ import annotations

import re

import pytest
import yaml

from deploy_helpers import CHART, KUBERNETES_VERSION, KUBETUNE, load_docs, pod_specs, primary_container, run

RELEASE, NAMESPACE = "kt", "team-a"

VALUE_SETS = {
    "defaults": [],
    "bundled-minio": [
        "--set", "minio.enabled=true", "--set", "namespace.create=true",
        "--set", "images.registry=registry.example.com/ml", "--set", "images.trainer.tag=1.2.3",
        "--set", "images.pullSecrets[0]=regcred", "--set", "gpu.count=2", "--set", "gpu.ddpCount=4",
        "--set", "gpu.nodeSelector.nvidia\\.com/gpu\\.product=NVIDIA-H100-80GB-HBM3",
        "--set", "experimentTemplates.dataset=chest-xray", "--set", "storage.storageClassName=fast-rwx",
        "--set", "trial.shmSize=16Gi"],
    "kfp-store": [
        "--set", "storage.endpoint=seaweedfs.kubeflow:9000", "--set", "storage.existingSecret=mlpipeline-minio-artifact",
        "--set", "storage.accessKeyKey=accesskey", "--set", "storage.secretKeyKey=secretkey",
        "--set", "storage.secure=true", "--set", "storage.bucket=mlpipeline",
        "--set", "storage.datasets.existingClaim=shared-datasets", "--set", "storage.models.accessMode=ReadWriteOnce",
        "--set", "serviceAccount.create=false", "--set", "serviceAccount.name=default-editor",
        "--set", "rbac.create=false", "--set", "networkPolicy.enabled=false",
        "--set", "experimentTemplates.include={vit,ddp-pytorchjob}", "--set", "experimentTemplates.katibUi=false"],
    "own-credentials-no-templates": [
        "--set", "storage.endpoint=minio.storage:9000", "--set", "storage.accessKey=team-a",
        "--set", "storage.secretKey=a-long-secret-key", "--set", "experimentTemplates.enabled=false",
        "--set", "gpu.count=0", "--set", "tests.enabled=false", "--set", "fullnameOverride=kubetune"],
    "katib-services": [
        "--set", "katibServices.enabled=true", "--set", "images.registry=registry.example.com/ml",
        "--set", "katibServices.image.tag=1.2.3", "--set", "katibServices.earlyStopping={medianstop}"],
}


def template(helm: str, *args: str) -> list[dict]:
    result = run([helm, "template", RELEASE, str(CHART), "-n", NAMESPACE, *args], timeout=120)
    assert result.returncode == 0, result.stderr
    return load_docs(result.stdout)


def experiments(docs: list[dict]) -> dict[str, dict]:
    (cm,) = [d for d in docs if d["kind"] == "ConfigMap" and d["metadata"]["name"].endswith("-experiments")]
    return {key: yaml.safe_load(text) for key, text in cm["data"].items()}


@pytest.fixture(scope="module")
def rendered(tool) -> dict[str, list[dict]]:
    helm = tool("helm")
    return {name: template(helm, *args) for name, args in VALUE_SETS.items()}


def test_helm_lint_strict(tool):
    for args in VALUE_SETS.values():
        result = run([tool("helm"), "lint", "--strict", str(CHART), "-n", NAMESPACE, *args], timeout=120)
        assert result.returncode == 0 and "0 chart(s) failed" in result.stdout, result.stdout + result.stderr


@pytest.mark.parametrize("values", VALUE_SETS)
def test_rendered_objects_pass_strict_kubernetes_schemas(tool, rendered, values, tmp_path):
    docs = rendered[values]
    path = tmp_path / "chart.yaml"
    path.write_text(yaml.safe_dump_all(docs))
    result = run([tool("kubernetes-validate"), "--strict", "-k", KUBERNETES_VERSION, str(path)], timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("passed for resource") == len(docs), result.stdout


@pytest.mark.parametrize("values", [v for v in VALUE_SETS if "no-templates" not in v])
def test_rendered_experiments_pass_kubetune_validate(rendered, values, tmp_path):
    exps = experiments(rendered[values])
    assert exps
    paths = []
    for key, doc in exps.items():
        assert doc["metadata"]["namespace"] == NAMESPACE
        paths.append(tmp_path / key)
        paths[-1].write_text(yaml.safe_dump(doc))
    result = run([*KUBETUNE, "validate", "--strict", *map(str, paths)], timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count(": valid (") == len(paths)


def test_every_object_carries_the_recommended_labels(rendered):
    for values, docs in rendered.items():
        for doc in docs:
            labels = doc["metadata"]["labels"]
            where = f"{values}: {doc['kind']}/{doc['metadata']['name']}"
            assert labels["app.kubernetes.io/name"] == "kubetune", where
            assert labels["app.kubernetes.io/instance"] == RELEASE, where
            assert labels["app.kubernetes.io/managed-by"] == "Helm", where
            assert labels["app.kubernetes.io/part-of"] == "kubetune", where
            assert labels["helm.sh/chart"] == "kubetune-0.1.0", where
            if doc["kind"] != "Namespace" and doc["metadata"]["name"] != "katib-config":  # that is in Katib's
                assert doc["metadata"]["namespace"] == NAMESPACE, where


def test_defaults(rendered):
    docs = rendered["defaults"]
    kinds = sorted(f"{d['kind']}/{d['metadata']['name']}" for d in docs)
    assert kinds == sorted([
        "ServiceAccount/kt-kubetune", "Role/kt-kubetune-experiments", "RoleBinding/kt-kubetune-experiments",
        "PersistentVolumeClaim/kt-kubetune-datasets", "PersistentVolumeClaim/kt-kubetune-models",
        "ConfigMap/kt-kubetune-experiments", "ConfigMap/kt-kubetune-trial-templates",
        "ConfigMap/kt-kubetune-selfcheck", "Pod/kt-kubetune-test", "NetworkPolicy/kt-kubetune-deny-ingress"])
    assert not [d for d in docs if d["kind"].startswith("Cluster")]
    exps = experiments(docs)
    assert sorted(exps) == sorted(f"{n}.yaml" for n in ("efficientnet-b0", "vit", "mask-classifier",
                                                          "compound-scaling", "blocks-nas", "ddp-pytorchjob"))
    c = primary_container(exps["efficientnet-b0.yaml"])
    assert c["image"] == "ghcr.io/kubetune/kubetune-trainer:0.1.0"
    assert c["resources"]["limits"]["nvidia.com/gpu"] == 1
    (ui,) = [d for d in docs if d["metadata"]["name"] == "kt-kubetune-trial-templates"]
    assert ui["metadata"]["labels"]["katib.kubeflow.org/component"] == "trial-templates"
    assert yaml.safe_load(ui["data"]["vit-trial.yaml"])["kind"] == "Job"
    for pvc in (d for d in docs if d["kind"] == "PersistentVolumeClaim"):
        assert pvc["metadata"]["annotations"]["helm.sh/resource-policy"] == "keep"
        assert pvc["spec"]["accessModes"] == ["ReadWriteMany"]


def test_values_reach_the_experiment_templates(rendered):
    docs = rendered["bundled-minio"]
    exps = experiments(docs)
    for key, doc in exps.items():
        c = primary_container(doc)
        gpus = 4 if key == "ddp-pytorchjob.yaml" else 2
        assert c["image"] == "registry.example.com/ml/kubetune-trainer:1.2.3", key
        assert c["resources"]["limits"]["nvidia.com/gpu"] == gpus and c["resources"]["requests"]["nvidia.com/gpu"] == gpus
        assert "--data=/datasets/chest-xray" in c["args"], key
        for pod in pod_specs(doc["spec"]["trialTemplate"]["trialSpec"]):
            assert pod["nodeSelector"] == {"nvidia.com/gpu.product": "NVIDIA-H100-80GB-HBM3"}
            assert pod["imagePullSecrets"] == [{"name": "regcred"}]
            claims = {v["persistentVolumeClaim"]["claimName"] for v in pod["volumes"] if "persistentVolumeClaim" in v}
            assert claims <= {"kt-kubetune-datasets", "kt-kubetune-models"} and "kt-kubetune-models" in claims
            shm = next(v for v in pod["volumes"] if v["name"] == "dshm")
            assert shm["emptyDir"]["sizeLimit"] == "16Gi"
    ddp = exps["ddp-pytorchjob.yaml"]["spec"]["trialTemplate"]["trialSpec"]
    assert ddp["spec"]["nprocPerNode"] == "4" and "--nproc-per-node=4" in primary_container(exps["ddp-pytorchjob.yaml"])["args"]
    (fetch,) = pod_specs(exps["vit.yaml"]["spec"]["trialTemplate"]["trialSpec"])[0]["initContainers"]
    env = {e["name"]: e for e in fetch["env"]}
    assert env["MC_HOST_src"]["value"] == \
        "http://$(AWS_ACCESS_KEY_ID):$(AWS_SECRET_ACCESS_KEY)@kt-kubetune-minio.team-a.svc:9000"
    assert env["AWS_ACCESS_KEY_ID"]["valueFrom"]["secretKeyRef"] == {"name": "kt-kubetune-s3", "key": "AWS_ACCESS_KEY_ID"}
    assert fetch["command"][-2:] == ["src/kubetune/datasets/chest-xray", "/datasets/chest-xray"]
    # the bundled store itself
    (secret,) = [d for d in docs if d["kind"] == "Secret"]
    assert secret["stringData"]["AWS_ACCESS_KEY_ID"] == "kubetune" and len(secret["stringData"]["AWS_SECRET_ACCESS_KEY"]) == 32
    (deployment,) = [d for d in docs if d["kind"] == "Deployment"]
    (job,) = [d for d in docs if d["kind"] == "Job"]
    assert job["metadata"]["annotations"]["helm.sh/hook"] == "post-install,post-upgrade"
    assert "s3/kubetune" in pod_specs(job)[0]["containers"][0]["command"]
    (ns,) = [d for d in docs if d["kind"] == "Namespace"]
    assert ns["metadata"]["name"] == NAMESPACE
    assert ns["metadata"]["labels"]["katib.kubeflow.org/metrics-collector-injection"] == "enabled"
    assert {d["spec"].get("storageClassName") for d in docs if d["kind"] == "PersistentVolumeClaim"} == {"fast-rwx"}
    minio_pod = pod_specs(deployment)[0]
    assert minio_pod["containers"][0]["securityContext"]["readOnlyRootFilesystem"] is True
    policies = {d["metadata"]["name"] for d in docs if d["kind"] == "NetworkPolicy"}
    assert policies == {"kt-kubetune-deny-ingress", "kt-kubetune-minio"}


def test_an_existing_kfp_store_and_no_rbac(rendered):
    docs = rendered["kfp-store"]
    kinds = {d["kind"] for d in docs}
    assert not kinds & {"Role", "RoleBinding", "ServiceAccount", "Secret", "Deployment", "NetworkPolicy"}
    claims = {d["metadata"]["name"]: d for d in docs if d["kind"] == "PersistentVolumeClaim"}
    assert list(claims) == ["kt-kubetune-models"] and claims["kt-kubetune-models"]["spec"]["accessModes"] == ["ReadWriteOnce"]
    exps = experiments(docs)
    assert sorted(exps) == ["ddp-pytorchjob.yaml", "vit.yaml"]
    assert not [d for d in docs if d["metadata"]["name"].endswith("trial-templates")]
    (fetch,) = pod_specs(exps["vit.yaml"]["spec"]["trialTemplate"]["trialSpec"])[0]["initContainers"]
    env = {e["name"]: e for e in fetch["env"]}
    assert env["MC_HOST_src"]["value"].startswith("https://") and env["MC_HOST_src"]["value"].endswith("@seaweedfs.kubeflow:9000")
    assert env["AWS_ACCESS_KEY_ID"]["valueFrom"]["secretKeyRef"] == {"name": "mlpipeline-minio-artifact", "key": "accesskey"}
    assert env["AWS_SECRET_ACCESS_KEY"]["valueFrom"]["secretKeyRef"] == {"name": "mlpipeline-minio-artifact", "key": "secretkey"}
    assert "src/mlpipeline/datasets/digits" in fetch["command"]
    ddp = pod_specs(exps["ddp-pytorchjob.yaml"]["spec"]["trialTemplate"]["trialSpec"])[0]
    assert {v["persistentVolumeClaim"]["claimName"] for v in ddp["volumes"] if "persistentVolumeClaim" in v} == {
        "shared-datasets", "kt-kubetune-models"}
    (test_pod,) = [d for d in docs if d["kind"] == "Pod"]
    assert test_pod["spec"]["serviceAccountName"] == "default-editor"
    args = test_pod["spec"]["containers"][0]["args"]
    assert "--s3-endpoint=seaweedfs.kubeflow:9000" in args and "--s3-secure=true" in args
    s3_volume = next(v for v in test_pod["spec"]["volumes"] if v["name"] == "s3")
    assert [i["key"] for i in s3_volume["secret"]["items"]] == ["accesskey", "secretkey"]


def test_own_credentials_make_a_secret(rendered):
    docs = rendered["own-credentials-no-templates"]
    (secret,) = [d for d in docs if d["kind"] == "Secret"]
    assert secret["metadata"]["name"] == "kubetune-s3"
    assert secret["stringData"] == {"AWS_ACCESS_KEY_ID": "team-a", "AWS_SECRET_ACCESS_KEY": "a-long-secret-key",
                                    "S3_ENDPOINT": "http://minio.storage:9000"}
    assert not [d for d in docs if d["kind"] in ("ConfigMap", "Pod")]


def test_helm_test_pod(rendered):
    docs = rendered["defaults"]
    (pod,) = [d for d in docs if d["kind"] == "Pod"]
    assert pod["metadata"]["annotations"]["helm.sh/hook"] == "test"
    assert pod["spec"]["restartPolicy"] == "Never" and pod["spec"]["automountServiceAccountToken"] is True
    assert pod["spec"]["serviceAccountName"] == "kt-kubetune"
    (container,) = pod["spec"]["containers"]
    assert container["image"] == "ghcr.io/kubetune/kubetune-pipeline:0.1.0"
    assert container["command"] == ["python", "/checks/selfcheck.py"]
    assert "--namespace=team-a" in container["args"] and not any(a.startswith("--s3") for a in container["args"])
    (cm,) = [d for d in docs if d["metadata"]["name"] == "kt-kubetune-selfcheck"]
    assert cm["data"]["selfcheck.py"] == (CHART / "files" / "selfcheck.py").read_text()


@pytest.mark.parametrize("args, message", [
    (["--set", "gpu.count=two"], "at '/gpu/count': got string, want integer"),
    (["--set", "storage.datasets.accessMode=Sometimes"], "at '/storage/datasets/accessMode': value must be one of"),
    (["--set", "experimentTemplates.include[0]=resnet"], "at '/experimentTemplates/include/0': value must be one of"),
    (["--set", "gpuu.count=1"], "additional properties 'gpuu' not allowed"),
    (["--set", "minio.enabled=yes"], "at '/minio/enabled': got string, want boolean"),
    (["--set", "storage.endpoint=http://minio:9000"], "at '/storage/endpoint'"),
    (["--set", "trial.shmSize=lots"], "at '/trial/shmSize'"),
    (["--set", "minio.rootPassword=short"], "at '/minio/rootPassword'"),
    (["--set", "storage.accessKey=only-the-access-key"], "storage.secretKey: empty"),
])
def test_bad_values_fail_at_template_time_naming_the_key(tool, args, message):
    result = run([tool("helm"), "template", RELEASE, str(CHART), "-n", NAMESPACE, *args], timeout=120)
    assert result.returncode != 0
    assert message in result.stderr, result.stderr


def test_notes_tell_the_next_steps(tool):
    result = run([tool("helm"), "install", RELEASE, str(CHART), "-n", NAMESPACE, "--dry-run=client"], timeout=120)
    assert result.returncode == 0, result.stderr
    notes = result.stdout.split("NOTES:", 1)[1]
    assert "kubectl label namespace team-a katib.kubeflow.org/metrics-collector-injection=enabled" in notes
    assert "helm test kt -n team-a" in notes
    assert "go-template='{{index .data \"efficientnet-b0.yaml\"}}'" in notes
    assert "the vit template fetches its data from S3, but no S3 store is configured" in notes
    minio = run([tool("helm"), "install", RELEASE, str(CHART), "-n", NAMESPACE, "--dry-run=client",
                 "--set", "minio.enabled=true"], timeout=120)
    assert "no S3 store is configured" not in minio.stdout and "Bundled MinIO: kt-kubetune-minio.team-a.svc:9000" in minio.stdout


def test_values_are_documented_line_by_line():
    """Every key of values.yaml has a comment right above it (resource maps, list items and the copy
    of Katib's own configuration under katibServices.katib aside)."""
    lines = (CHART / "values.yaml").read_text().splitlines()
    path: list[tuple[int, str]] = []
    undocumented = []
    for i, line in enumerate(lines):
        m = re.match(r"^( *)([A-Za-z][\w.-]*):", line)
        if not m:
            continue
        indent, key = len(m.group(1)), m.group(2)
        path = [(d, k) for d, k in path if d < indent] + [(indent, key)]
        keys = [k for _, k in path]
        if any(k in ("resources", "ddpResources", "requests", "limits", "tolerations") for k in keys[:-1]) or \
                keys[:2] == ["katibServices", "katib"] and len(keys) > 3:
            continue
        if not lines[i - 1].lstrip().startswith("#"):
            undocumented.append(".".join(keys))
    assert not undocumented, undocumented


def katib_config(docs: list[dict]) -> dict:
    (cm,) = [d for d in docs if d["kind"] == "ConfigMap" and d["metadata"]["name"] == "katib-config"]
    assert cm["metadata"]["namespace"] == "kubeflow"
    return yaml.safe_load(cm["data"]["katib-config.yaml"])


def test_katib_config_registers_kubetunes_services_in_katibs_format(rendered):
    """Katib's KatibConfig (pkg/apis/config/v1beta1/types.go): suggestion entries are a Container
    plus algorithmName; early-stopping entries hold only algorithmName, image, imagePullPolicy and
    resources (Katib starts that container with no command, so the image's default runs)."""
    from kubetune.algorithms import registered_algorithms
    from kubetune.serve.earlystopping import served_early_stopping

    assert not [d for d in rendered["defaults"] if d["metadata"]["name"] == "katib-config"]  # off by default
    config = katib_config(rendered["katib-services"])
    assert (config["apiVersion"], config["kind"]) == ("config.kubeflow.org/v1beta1", "KatibConfig")
    image = "registry.example.com/ml/kubetune-services:1.2.3"
    ours = [s for s in config["runtime"]["suggestions"] if s["image"] == image]
    katibs = [s for s in config["runtime"]["suggestions"] if s["image"] != image]
    names = [s["algorithmName"] for s in config["runtime"]["suggestions"]]
    assert len(names) == len(set(names))
    assert sorted(s["algorithmName"] for s in ours) == registered_algorithms()  # every algorithm kubetune runs
    assert sorted(s["algorithmName"] for s in katibs) == ["darts", "enas", "pbt"]  # Katib's own, kept
    for entry in ours:
        assert entry["args"] == ["serve", "suggestion"] and "ports" not in entry  # Katib adds port 6789
        assert entry["securityContext"]["runAsNonRoot"] is True
    stops = config["runtime"]["earlyStoppings"]
    assert [(s["algorithmName"], s["image"]) for s in stops] == [("medianstop", image)]
    for entry in stops:
        assert set(entry) <= {"algorithmName", "image", "imagePullPolicy", "resources"}
    defaults = yaml.safe_load((CHART / "values.yaml").read_text())["katibServices"]
    assert set(defaults["earlyStopping"]) <= set(served_early_stopping())
    assert {m["kind"] for m in config["runtime"]["metricsCollectors"]} == {"StdOut", "File", "TensorFlowEvent"}
