"""What the user sees when the cluster cannot be used: no cluster, no Katib, RBAC, Katib's
webhook, a missing namespace or object. Each is one clear line (no traceback), exit status 1."""
from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest

from fake_apiserver import status_body
from katib_objects import NS, experiment_doc, write

KATIB_MESSAGE = ('spec.parameters[0].feasibleSpace.min: Invalid value: "": min must be specified for '
                 'parameterType double')


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # closed again when the block ends: nothing listens there


def _no_traceback(err: str) -> None:
    assert "Traceback" not in err and err.startswith("kubetune: error: ")


def test_no_cluster_reachable(fake, kt, tmp_path):
    port = _closed_port()
    kubeconfig = fake.write_kubeconfig(tmp_path / "kc", server=f"http://127.0.0.1:{port}")
    path = write(tmp_path / "exp.yaml", experiment_doc())
    for args in (("submit", path, "-n", NS), ("status", "tiny", "-n", NS), ("watch", "tiny", "-n", NS)):
        r = kt(*args, "--kubeconfig", kubeconfig)
        assert r.rc == 1, args
        _no_traceback(r.err)
        assert f"cannot reach the Kubernetes API server at http://127.0.0.1:{port}" in r.err
        assert "connection refused" in r.err
        assert "kubectl config use-context" in r.err and "--kubeconfig" in r.err
    assert fake.requests == []


def test_no_configuration_at_all(kt, tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))  # no ~/.kube/config, no KUBECONFIG, not in a pod
    r = kt("status", "tiny", "-n", NS)
    assert r.rc == 1
    _no_traceback(r.err)
    assert "no cluster configured" in r.err and "kubectl" in r.err
    r = kt("status", "tiny", "-n", NS, "--kubeconfig", tmp_path / "missing")
    assert r.rc == 1 and "--kubeconfig" in r.err and "no such file" in r.err
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "also-missing"))
    r = kt("status", "tiny", "-n", NS)
    assert r.rc == 1 and "KUBECONFIG=" in r.err


def test_unknown_context(fake, kubeconfig, kt):
    r = kt("status", "tiny", "-n", NS, "--kubeconfig", kubeconfig, "--context", "prod")
    assert r.rc == 1
    _no_traceback(r.err)
    assert "context prod" in r.err
    assert fake.requests == []


def test_katib_not_installed(fake, kubeconfig, kt, tmp_path):
    fake.katib_installed = False
    path = write(tmp_path / "exp.yaml", experiment_doc())
    for args in (("submit", path, "-n", NS), ("status", "tiny", "-n", NS), ("trials", "tiny", "-n", NS),
                 ("delete", "tiny", "-n", NS)):
        r = kt(*args, "--kubeconfig", kubeconfig)
        assert r.rc == 1, args
        _no_traceback(r.err)
        assert "Katib is not installed in this cluster" in r.err and "docs/cluster.md" in r.err
    # each 404 was told apart from "no such experiment" by asking discovery
    assert any(s.path == "/apis/kubeflow.org/v1beta1" for s in fake.requests)


def test_rbac_forbidden_names_verb_resource_namespace_and_role(fake, kubeconfig, kt, tmp_path):
    fake.forbid("POST", "experiments", "create", NS)
    r = kt("submit", write(tmp_path / "exp.yaml", experiment_doc()), "-n", NS, "--kubeconfig", kubeconfig)
    assert r.rc == 1
    _no_traceback(r.err)
    assert "RBAC forbids this: cannot create experiments.kubeflow.org in namespace team-a" in r.err
    assert 'User "system:serviceaccount:team-a:default" cannot create resource "experiments"' in r.err
    assert "manifests/rbac.yaml" in r.err and "kubectl auth can-i create experiments.kubeflow.org -n team-a" in r.err
    fake.forbid("GET", "trials", "list", NS)
    fake.put("experiments", {**experiment_doc(), "metadata": {"name": "tiny", "namespace": NS}})
    r = kt("trials", "tiny", "-n", NS, "--kubeconfig", kubeconfig)
    assert r.rc == 1 and "cannot list trials.kubeflow.org in namespace team-a" in r.err


def test_webhook_denial_shows_katibs_message_verbatim(fake, kubeconfig, kt, tmp_path):
    fake.reject_admission(KATIB_MESSAGE)  # controller-runtime's Denied: 403
    r = kt("submit", write(tmp_path / "exp.yaml", experiment_doc()), "-n", NS, "--kubeconfig", kubeconfig)
    assert r.rc == 1
    _no_traceback(r.err)
    assert ('admission webhook "validator.experiment.katib.kubeflow.org" denied the request: '
            + KATIB_MESSAGE) in r.err
    assert "RBAC" not in r.err  # a 403 from the webhook is not an RBAC problem


def test_webhook_400_shows_the_message(fake, kubeconfig, kt, tmp_path):
    fake.reject_admission("json: cannot unmarshal number into Go struct field FeasibleSpace.spec.parameters."
                          "feasibleSpace.min of type string", code=400,
                          webhook="defaulter.experiment.katib.kubeflow.org")
    r = kt("submit", write(tmp_path / "exp.yaml", experiment_doc()), "-n", NS, "--kubeconfig", kubeconfig)
    assert r.rc == 1
    assert "cannot unmarshal number into Go struct field FeasibleSpace" in r.err
    assert 'admission webhook "defaulter.experiment.katib.kubeflow.org" denied the request' in r.err


def test_webhook_unreachable(fake, kubeconfig, kt, tmp_path):
    fake.fail("POST", "experiments", 500, status_body(
        500, "InternalError", 'Internal error occurred: failed calling webhook "validator.experiment.katib.'
                              'kubeflow.org": failed to call webhook: Post "https://katib-controller.kubeflow.svc:443/'
                              'validate-experiment?timeout=10s": dial tcp 10.96.0.12:443: connect: connection refused'))
    r = kt("submit", write(tmp_path / "exp.yaml", experiment_doc()), "-n", NS, "--kubeconfig", kubeconfig)
    assert r.rc == 1
    assert "could not call Katib's admission webhook" in r.err and "katib-controller" in r.err


def test_missing_namespace(fake, kubeconfig, kt, tmp_path):
    fake.namespaces = {"default"}
    r = kt("submit", write(tmp_path / "exp.yaml", experiment_doc()), "-n", "nowhere", "--kubeconfig", kubeconfig)
    assert r.rc == 1
    assert "namespace nowhere does not exist" in r.err and "kubectl create namespace nowhere" in r.err


def test_unknown_experiment_lists_the_ones_there(fake, kubeconfig, kt):
    for name in ("alpha", "beta"):
        fake.put("experiments", {**experiment_doc(), "metadata": {"name": name, "namespace": NS}})
    for cmd in ("status", "trials", "best", "watch", "delete"):
        r = kt(cmd, "gamma", "-n", NS, "--kubeconfig", kubeconfig)
        assert r.rc == 1, cmd
        assert "experiment gamma not found in namespace team-a (experiments there: alpha, beta)" in r.err, cmd
    r = kt("status", "gamma", "-n", "empty-ns", "--kubeconfig", kubeconfig)
    assert "(it has no experiments)" in r.err


def test_bad_credentials(fake, kt, tmp_path):
    path = fake.write_kubeconfig(tmp_path / "kc")
    kc = json.loads(path.read_text())
    kc["users"][0]["user"]["token"] = "expired"
    path.write_text(json.dumps(kc))
    r = kt("status", "tiny", "-n", NS, "--kubeconfig", path)
    assert r.rc == 1 and "did not accept the credentials" in r.err


def test_kubeconfig_env_with_several_files(fake, kt, tmp_path, monkeypatch):
    """$KUBECONFIG may list several files (merged, as kubectl does); missing ones are skipped."""
    fake.put("experiments", {**experiment_doc(), "metadata": {"name": "tiny", "namespace": NS}})
    real = fake.write_kubeconfig(tmp_path / "real", namespace=NS)
    monkeypatch.setenv("KUBECONFIG", f"{tmp_path / 'missing'}:{real}")
    r = kt("status", "tiny", "--context", "fake", "-o", "json")  # --context alone selects the cluster
    assert r.rc == 0, r.err
    assert json.loads(r.out)["metadata"] == {"name": "tiny", "namespace": NS}  # the context's namespace


@pytest.mark.skipif(Path("/var/run/secrets/kubernetes.io/serviceaccount/token").exists(),
                    reason="this machine is a pod with a real service account token")
def test_in_pod_without_a_service_account_token(kt, tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", "10.96.0.1")
    monkeypatch.setenv("KUBERNETES_SERVICE_PORT", "443")
    r = kt("status", "tiny", "-n", NS)
    assert r.rc == 1
    _no_traceback(r.err)
    assert "in-cluster configuration is not usable" in r.err
