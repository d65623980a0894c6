"""manifests/: `kubectl kustomize` output (real kubectl) against strict Kubernetes schemas, and what
it promises: Katib's namespace label, namespace-scoped RBAC only, a non-root MinIO with probes and
limits, NetworkPolicies; the one-shot jobs/ too."""
from __future__ import annotations

import os

import pytest
import yaml

from deploy_helpers import KUBERNETES_VERSION, ROOT, load_docs, pod_specs, run

MANIFESTS = ROOT / "manifests"
JOBS = sorted((MANIFESTS / "jobs").glob("*.yaml"))


@pytest.fixture(scope="module")
def kustomized(tool) -> list[dict]:
    result = run([tool("kubectl"), "kustomize", str(MANIFESTS)], timeout=60)
    assert result.returncode == 0, result.stderr
    return load_docs(result.stdout)


def _by_kind(docs: list[dict], kind: str) -> list[dict]:
    return [d for d in docs if d["kind"] == kind]


def test_kustomization_renders_the_setup(kustomized):
    kinds = sorted(d["kind"] for d in kustomized)
    assert kinds == sorted(["Namespace", "ServiceAccount", "Role", "RoleBinding", "Secret", "Service",
                            "PersistentVolumeClaim", "PersistentVolumeClaim", "PersistentVolumeClaim",
                            "Deployment", "Job", "NetworkPolicy", "NetworkPolicy"])
    for doc in kustomized:
        if doc["kind"] != "Namespace":
            assert doc["metadata"]["namespace"] == "kubetune", doc["metadata"]
        assert doc["metadata"]["labels"]["app.kubernetes.io/part-of"] == "kubetune"


@pytest.mark.parametrize("version", [KUBERNETES_VERSION, "1.37.0"])
def test_kustomize_output_passes_strict_schemas(tool, kustomized, tmp_path, version):
    path = tmp_path / "kustomized.yaml"
    path.write_text(yaml.safe_dump_all(kustomized))
    result = run([tool("kubernetes-validate"), "--strict", "-k", version, str(path)], timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("passed for resource") == len(kustomized), result.stdout


@pytest.mark.parametrize("job", JOBS, ids=lambda p: p.name)
def test_one_shot_jobs_pass_strict_schemas(tool, job):
    result = run([tool("kubernetes-validate"), "--strict", "-k", KUBERNETES_VERSION, str(job)], timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "passed for resource" in result.stdout


def test_strict_schema_check_does_catch_a_typo(tool, tmp_path):
    doc = yaml.safe_load((MANIFESTS / "storage.yaml").read_text().split("---")[0])
    doc["spec"]["accessMode"] = doc["spec"].pop("accessModes")
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(doc))
    result = run([tool("kubernetes-validate"), "--strict", "-k", KUBERNETES_VERSION, str(bad)], timeout=120)
    assert result.returncode != 0 and "accessMode" in result.stdout


def test_namespace_carries_katibs_injection_label(kustomized):
    (ns,) = _by_kind(kustomized, "Namespace")
    assert ns["metadata"]["labels"]["katib.kubeflow.org/metrics-collector-injection"] == "enabled"


def test_rbac_is_namespace_scoped_and_covers_the_cli(kustomized):
    assert not [d for d in kustomized if d["kind"] in ("ClusterRole", "ClusterRoleBinding")]
    (role,) = _by_kind(kustomized, "Role")
    rules = {(group, resource): set(rule["verbs"]) for rule in role["rules"]
             for group in rule["apiGroups"] for resource in rule["resources"]}
    assert {"create", "delete", "get", "list", "watch"} <= rules[("kubeflow.org", "experiments")]
    for resource in ("trials", "suggestions"):
        assert rules[("kubeflow.org", resource)] == {"get", "list", "watch"}
    assert not any("*" in verbs for verbs in rules.values())
    (binding,) = _by_kind(kustomized, "RoleBinding")
    assert binding["roleRef"] == {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": role["metadata"]["name"]}
    (sa,) = _by_kind(kustomized, "ServiceAccount")
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": sa["metadata"]["name"], "namespace": "kubetune"}]


def test_minio_is_non_root_probed_limited_and_uses_the_secret(kustomized):
    (deployment,) = _by_kind(kustomized, "Deployment")
    (pod,) = pod_specs(deployment)
    (container,) = pod["containers"]
    assert pod["securityContext"]["runAsNonRoot"] is True and pod["securityContext"]["runAsUser"] >= 10000
    assert container["securityContext"] == {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
                                            "capabilities": {"drop": ["ALL"]}}
    assert container["livenessProbe"]["httpGet"]["path"] == "/minio/health/live"
    assert container["readinessProbe"]["httpGet"]["path"] == "/minio/health/ready"
    assert {"cpu", "memory"} <= set(container["resources"]["limits"])
    assert not container["image"].endswith(":latest")
    (secret,) = _by_kind(kustomized, "Secret")
    credentials = next(v for v in pod["volumes"] if v["name"] == "credentials")
    assert credentials["secret"]["secretName"] == secret["metadata"]["name"] == "kubetune-s3"
    assert {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "S3_ENDPOINT"} == set(secret["stringData"])
    assert len(secret["stringData"]["AWS_SECRET_ACCESS_KEY"]) >= 8  # MinIO refuses shorter passwords
    (service,) = _by_kind(kustomized, "Service")
    assert service["metadata"]["name"] == "kubetune-minio"  # the host in the Experiments' MC_HOST_src
    assert service["spec"]["selector"].items() <= deployment["spec"]["template"]["metadata"]["labels"].items()
    claims = {d["metadata"]["name"] for d in _by_kind(kustomized, "PersistentVolumeClaim")}
    assert claims == {"kubetune-minio", "kubetune-datasets", "kubetune-models"}


def test_network_policies_select_the_pods_they_mean(kustomized):
    policies = {p["metadata"]["name"]: p for p in _by_kind(kustomized, "NetworkPolicy")}
    deny, minio = policies["kubetune-deny-ingress"], policies["kubetune-minio"]
    assert deny["spec"]["policyTypes"] == ["Ingress"] and "ingress" not in deny["spec"]
    minio_labels = _by_kind(kustomized, "Deployment")[0]["spec"]["template"]["metadata"]["labels"]
    assert minio["spec"]["podSelector"]["matchLabels"].items() <= minio_labels.items()
    assert {p["port"] for p in minio["spec"]["ingress"][0]["ports"]} == {9000, 9001}
    for job in JOBS:
        (doc,) = load_docs(job.read_text())
        labels = doc["metadata"]["labels"] if doc["kind"] == "Pod" else doc["spec"]["template"]["metadata"]["labels"]
        assert deny["spec"]["podSelector"]["matchLabels"].items() <= labels.items(), job.name


def test_an_overlay_moves_everything_to_another_namespace(tool, tmp_path):
    """docs/cluster.md's two-line overlay: namespace, RoleBinding subject and all objects move."""
    overlay = tmp_path / "overlay"
    overlay.mkdir()
    (overlay / "kustomization.yaml").write_text(
        f"resources: [{os.path.relpath(MANIFESTS, overlay)}]\nnamespace: team-a\n")
    result = run([tool("kubectl"), "kustomize", str(overlay)], timeout=60)
    assert result.returncode == 0, result.stderr
    docs = load_docs(result.stdout)
    (ns,) = _by_kind(docs, "Namespace")
    assert ns["metadata"]["name"] == "team-a"
    assert all(d["metadata"].get("namespace") == "team-a" for d in docs if d["kind"] != "Namespace")
    (binding,) = _by_kind(docs, "RoleBinding")
    assert binding["subjects"][0]["namespace"] == "team-a"


def test_katib_services_overlay_is_the_charts_katib_config(tool, tmp_path):
    """manifests/katib-services renders one ConfigMap katib-config in kubeflow, schema-valid, whose
    KatibConfig is exactly what the chart renders with katibServices.enabled and default values."""
    result = run([tool("kubectl"), "kustomize", str(MANIFESTS / "katib-services")], timeout=60)
    assert result.returncode == 0, result.stderr
    (cm,) = load_docs(result.stdout)
    assert (cm["kind"], cm["metadata"]["name"], cm["metadata"]["namespace"]) == ("ConfigMap", "katib-config", "kubeflow")
    path = tmp_path / "katib-services.yaml"
    path.write_text(result.stdout)
    checked = run([tool("kubernetes-validate"), "--strict", "-k", KUBERNETES_VERSION, str(path)], timeout=120)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    chart = run([tool("helm"), "template", "kt", str(ROOT / "charts" / "kubetune"), "-n", "team-a",
                 "--set", "katibServices.enabled=true"], timeout=120)
    (rendered,) = [d for d in load_docs(chart.stdout) if d["metadata"]["name"] == "katib-config"]
    assert yaml.safe_load(cm["data"]["katib-config.yaml"]) == yaml.safe_load(rendered["data"]["katib-config.yaml"])
