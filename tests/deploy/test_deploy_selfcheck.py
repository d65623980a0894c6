"""charts/kubetune/files/selfcheck.py (what `helm test` runs) against stand-ins on loopback: a moto
S3 server, and FakeKubeAPI -- a minimal fake of the two Kubernetes endpoints the check calls
(list Experiments, SelfSubjectAccessReview). Not a Kubernetes API server."""
from __future__ import annotations

import json
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml

from deploy_helpers import CHART

SELFCHECK = CHART / "files" / "selfcheck.py"


class FakeKubeAPI:
    """Answers GET .../experiments (200 or `experiments_status`) and POST selfsubjectaccessreviews
    (allowed for the verbs in `allowed`)."""

    def __init__(self, experiments_status: int = 200, allowed: frozenset[str] = frozenset({"create", "delete"})):
        api = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output clean
                pass

            def _send(self, status: int, body: dict) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                api.requests.append(("GET", self.path))
                if "/apis/kubeflow.org/v1beta1/namespaces/" in self.path and "/experiments" in self.path:
                    if api.experiments_status == 200:
                        self._send(200, {"apiVersion": "kubeflow.org/v1beta1", "kind": "ExperimentList",
                                         "metadata": {}, "items": []})
                    else:
                        self._send(api.experiments_status, {"kind": "Status", "apiVersion": "v1", "status": "Failure",
                                                            "code": api.experiments_status, "reason": "NotFound"})
                else:
                    self._send(404, {"kind": "Status", "code": 404})

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                api.requests.append(("POST", self.path))
                verb = body["spec"]["resourceAttributes"]["verb"]
                body["status"] = {"allowed": verb in api.allowed}
                self._send(201, body)

        self.experiments_status, self.allowed, self.requests = experiments_status, allowed, []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> "FakeKubeAPI":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    def kubeconfig(self, path: Path) -> Path:
        host = f"http://127.0.0.1:{self.server.server_port}"
        path.write_text(yaml.safe_dump({
            "apiVersion": "v1", "kind": "Config", "current-context": "fake",
            "clusters": [{"name": "fake", "cluster": {"server": host}}],
            "users": [{"name": "fake", "user": {"token": "fake-token"}}],
            "contexts": [{"name": "fake", "context": {"cluster": "fake", "user": "fake", "namespace": "team-a"}}]}))
        return path


@pytest.fixture(scope="module")
def s3():
    """A moto S3 server on loopback with bucket `kubetune` (an S3 stand-in, not MinIO)."""
    from minio import Minio
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    endpoint = f"127.0.0.1:{server._server.server_port}"
    Minio(endpoint, access_key="test-access", secret_key="test-secret", secure=False).make_bucket("kubetune")
    yield endpoint
    server.stop()


@pytest.fixture
def credentials(tmp_path) -> Path:
    folder = tmp_path / "s3"
    folder.mkdir()
    (folder / "access-key").write_text("test-access\n")
    (folder / "secret-key").write_text("test-secret\n")
    return folder


def selfcheck(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SELFCHECK), "--namespace", "team-a", *args],
                          capture_output=True, text=True, timeout=120)


def s3_args(endpoint: str, credentials: Path, bucket: str = "kubetune") -> list[str]:
    return [f"--s3-endpoint={endpoint}", f"--s3-bucket={bucket}", f"--s3-credentials={credentials}",
            "--s3-access-key-file=access-key", "--s3-secret-key-file=secret-key"]


def test_all_good(s3, credentials, tmp_path):
    with FakeKubeAPI() as api:
        result = selfcheck("--kubeconfig", str(api.kubeconfig(tmp_path / "kubeconfig")), *s3_args(s3, credentials))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ok    Katib Experiment API is served in namespace team-a" in result.stdout
    assert "ok    may create Experiments in team-a" in result.stdout
    assert "ok    may delete Experiments in team-a" in result.stdout
    assert "ok    S3 bucket kubetune reachable" in result.stdout
    assert ("GET", "/apis/kubeflow.org/v1beta1/namespaces/team-a/experiments?limit=1") in api.requests


def test_katib_missing_and_rbac_missing_are_named(tmp_path):
    with FakeKubeAPI(experiments_status=404, allowed=frozenset({"create"})) as api:
        result = selfcheck("--kubeconfig", str(api.kubeconfig(tmp_path / "kubeconfig")))
    assert result.returncode == 1
    assert "FAIL  kubernetes: experiments.kubeflow.org/v1beta1 is not served: install Katib" in result.stdout
    assert "FAIL  kubernetes: may not delete Experiments in team-a: enable rbac.create" in result.stdout
    assert "skip  S3: no endpoint configured" in result.stdout


def test_missing_bucket_and_unreadable_keys(s3, credentials):
    missing = selfcheck("--skip-kubernetes", *s3_args(s3, credentials, bucket="nope"))
    assert missing.returncode == 1 and "bucket 'nope' does not exist" in missing.stdout
    (credentials / "access-key").unlink()
    unreadable = selfcheck("--skip-kubernetes", *s3_args(s3, credentials))
    assert unreadable.returncode == 1 and "cannot read the credentials" in unreadable.stdout


def test_unreachable_endpoints(credentials, tmp_path):
    with FakeKubeAPI() as api:
        kubeconfig = api.kubeconfig(tmp_path / "kubeconfig")
    result = selfcheck("--kubeconfig", str(kubeconfig), *s3_args("127.0.0.1:9", credentials))
    assert result.returncode == 1
    assert "FAIL  kubernetes: API server unreachable" in result.stdout
    assert "FAIL  s3: 127.0.0.1:9 unreachable" in result.stdout
