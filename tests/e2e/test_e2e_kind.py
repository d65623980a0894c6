"""End to end on a real cluster (kind or any other) with Katib: `kubetune submit --watch` of
examples/demo/experiment.yaml until Katib completes it, then status/trials/best/delete, Katib's
real webhook rejection, and the 409 path.

Skipped unless KUBETUNE_E2E_KUBECONFIG names a kubeconfig. What the cluster needs (docs/cluster.md):
  * Katib installed (v0.19), e.g. `kubectl apply -k "github.com/kubeflow/katib.git/manifests/v1beta1/installs/katib-standalone?ref=v0.19.0"`
  * the namespace (KUBETUNE_E2E_NAMESPACE, default kubetune-e2e) labelled
    `katib.kubeflow.org/metrics-collector-injection=enabled`
  * a PVC `datasets` in it holding the digits images under digits/ (as the demo expects)
  * the trainer image on the nodes: `kind load docker-image <image>`; KUBETUNE_E2E_IMAGE overrides
    the demo's image
  * GPUs: the demo asks for nvidia.com/gpu: 1; on a cluster without GPUs (kind) the limit is
    removed unless KUBETUNE_E2E_GPU=1
Other knobs: KUBETUNE_E2E_CONTEXT, KUBETUNE_E2E_MAX_TRIALS (default 2), KUBETUNE_E2E_TIMEOUT
(seconds, default 1800).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "examples" / "demo" / "experiment.yaml"
KUBECONFIG = os.environ.get("KUBETUNE_E2E_KUBECONFIG", "")
NAMESPACE = os.environ.get("KUBETUNE_E2E_NAMESPACE", "kubetune-e2e")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not KUBECONFIG, reason="needs a real cluster with Katib: set KUBETUNE_E2E_KUBECONFIG "
                                              "(see this file's docstring); there is no cluster here"),
]


def kubetune(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    connection = ["--kubeconfig", KUBECONFIG]
    if os.environ.get("KUBETUNE_E2E_CONTEXT"):
        connection += ["--context", os.environ["KUBETUNE_E2E_CONTEXT"]]
    return subprocess.run([sys.executable, "-m", "kubetune.cli", *args, *connection], capture_output=True,
                          text=True, timeout=timeout, cwd=ROOT)


def demo_for_this_cluster(name: str) -> dict:
    doc = yaml.safe_load(DEMO.read_text())
    doc["metadata"]["name"] = name
    doc["spec"]["maxTrialCount"] = int(os.environ.get("KUBETUNE_E2E_MAX_TRIALS", "2"))
    container = doc["spec"]["trialTemplate"]["trialSpec"]["spec"]["template"]["spec"]["containers"][0]
    if os.environ.get("KUBETUNE_E2E_IMAGE"):
        container["image"] = os.environ["KUBETUNE_E2E_IMAGE"]
    if os.environ.get("KUBETUNE_E2E_GPU") != "1":
        container.get("resources", {}).get("limits", {}).pop("nvidia.com/gpu", None)
    return doc


@pytest.fixture
def experiment(tmp_path):
    name = f"e2e-demo-{int(time.time()) % 100000}"
    path = tmp_path / "experiment.yaml"
    path.write_text(yaml.safe_dump(demo_for_this_cluster(name), sort_keys=False))
    yield name, path
    kubetune("delete", name, "-n", NAMESPACE, "--wait", timeout=600)


def test_submit_watch_then_read_and_delete(experiment):
    name, path = experiment
    timeout = float(os.environ.get("KUBETUNE_E2E_TIMEOUT", "1800"))
    r = kubetune("submit", str(path), "-n", NAMESPACE, "--watch", "--interval", "10", "--timeout", str(timeout),
                 "-o", "json", timeout=timeout + 120)
    assert r.returncode == 0, r.stderr
    result = json.loads(r.stdout)
    status = result["status"]
    assert any(c["type"] == "Succeeded" and c["status"] == "True" for c in status["conditions"]), status
    best = status["currentOptimalTrial"]["bestTrialName"]
    assert best and any(t["name"] == best and t["state"] == "Succeeded" for t in result["trials"])

    r = kubetune("status", name, "-n", NAMESPACE, "-o", "json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["status"]["currentOptimalTrial"]["bestTrialName"] == best
    r = kubetune("best", name, "-n", NAMESPACE, "-o", "json")
    assert r.returncode == 0 and json.loads(r.stdout)["name"] == best
    r = kubetune("trials", name, "-n", NAMESPACE, "-o", "json")
    assert r.returncode == 0 and len(json.loads(r.stdout)) >= 1

    # a second submit of the same name: the clear 409 message
    r = kubetune("submit", str(path), "-n", NAMESPACE)
    assert r.returncode == 1 and "already exists" in r.stderr and "--replace" in r.stderr

    r = kubetune("delete", name, "-n", NAMESPACE, "--wait", timeout=600)
    assert r.returncode == 0, r.stderr
    r = kubetune("status", name, "-n", NAMESPACE)
    assert r.returncode == 1 and "not found" in r.stderr


def test_katibs_webhook_rejection_is_shown_verbatim(experiment):
    """Sent with the client directly: the CLI would refuse it locally before the cluster sees it."""
    from kubetune.cluster.client import AdmissionRejected, KatibClient

    name, path = experiment
    doc = yaml.safe_load(path.read_text())
    doc["metadata"]["name"] = name + "-bad"
    doc["spec"]["objective"]["type"] = "maximise"
    client = KatibClient(kubeconfig=KUBECONFIG, context=os.environ.get("KUBETUNE_E2E_CONTEXT"))
    with pytest.raises(AdmissionRejected) as e:
        client.create_experiment(doc, NAMESPACE, dry_run=True)
    assert "denied the request" in str(e.value) and "objective" in str(e.value)
