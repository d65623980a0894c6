"""`kubetune pipeline submit` against a FAKE Kubeflow Pipelines API on loopback (the few v2beta1
endpoints the KFP SDK client calls to start a run): the checked-in pipeline is sent with the
arguments converted to the parameters' types; bad arguments fail before anything is sent."""
from __future__ import annotations

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import pytest
import yaml

from kubetune.cli import main
from pipelines.compile import COMPILED


class FakeKFP:
    def __init__(self) -> None:
        self.requests: list[tuple[str, str, dict | None]] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def _answer(self, method: str) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length)) if length else None
                path = urlsplit(self.path).path
                fake.requests.append((method, path, body))
                if method == "GET" and path == "/apis/v2beta1/healthz":
                    answer = {"multi_user": False}
                elif method == "GET" and path == "/apis/v2beta1/experiments":
                    answer = {"experiments": [], "total_size": 0}
                elif method == "POST" and path == "/apis/v2beta1/experiments":
                    answer = {"experiment_id": "exp-1", "display_name": body["display_name"]}
                elif method == "POST" and path == "/apis/v2beta1/runs":
                    answer = {"run_id": "run-123", "display_name": body["display_name"], "experiment_id": "exp-1",
                              "state": "PENDING"}
                else:
                    self.send_response(404)
                    self.end_headers()
                    return
                data = json.dumps(answer).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                self._answer("GET")

            def do_POST(self) -> None:
                self._answer("POST")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def kfp_server(monkeypatch, tmp_path):
    monkeypatch.setenv("HOME", str(tmp_path))  # no ~/.config/kfp/context.json of the developer's
    server = FakeKFP()
    yield server
    server.stop()


def test_submit_sends_the_checked_in_pipeline_with_typed_arguments(kfp_server, capsys):
    rc = main(["pipeline", "submit", "--host", kfp_server.url, "--data", "/datasets/chest-xray", "--model", "vit",
               "--trials", "20", "--parallel", "4", "--gpus-per-trial", "2", "--backend", "katib",
               "--store", "s3://models/chest-xray", "--param", "ensemble_size=5", "--param", "val_ratio=0.1",
               "--param", "skip_corrupt=true", "--run-name", "nightly"])
    out = capsys.readouterr().out
    assert rc == 0, out
    assert f"{kfp_server.url}/#/runs/details/run-123" in out
    runs = [body for method, path, body in kfp_server.requests if (method, path) == ("POST", "/apis/v2beta1/runs")]
    assert len(runs) == 1
    run = runs[0]
    assert run["display_name"] == "nightly" and run["experiment_id"] == "exp-1"
    assert run["runtime_config"]["parameters"] == {
        "dataset": "/datasets/chest-xray", "model": "vit", "max_trials": 20, "parallel_trials": 4,
        "gpus_per_trial": 2, "backend": "katib", "store": "s3://models/chest-xray", "ensemble_size": 5,
        "val_ratio": 0.1, "skip_corrupt": True}
    checked_in = list(yaml.safe_load_all(COMPILED.read_text()))[0]
    # with kfp-kubernetes the package has a platform spec too, and KFP nests both
    sent = run["pipeline_spec"].get("pipeline_spec", run["pipeline_spec"])
    assert sent["root"] == checked_in["root"]


@pytest.mark.parametrize("extra, message", [
    (["--param", "max_trial=3"], "pipeline parameter 'max_trial' does not exist (did you mean max_trials"),
    (["--param", "epochs=many"], "pipeline parameter epochs: 'many' is not int"),
    (["--param", "nonsense"], "expected NAME=VALUE"),
    (["--algorithm", "annealing"], 'unable to get Suggestion config data for algorithm "annealing"'),
    (["--search-space", "- {name: lr, parameterType: double}"], "spec.parameters[0]"),
])
def test_bad_arguments_fail_before_anything_is_sent(kfp_server, capsys, extra, message):
    rc = main(["pipeline", "submit", "--host", kfp_server.url, "--data", "/datasets/d", *extra])
    assert rc == 2
    assert message in capsys.readouterr().err
    assert kfp_server.requests == []


def test_unreachable_server_is_a_clear_error(capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("HOME", str(tmp_path))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed once the block ends
    rc = main(["pipeline", "submit", "--host", f"http://127.0.0.1:{port}", "--data", "/datasets/d",
               "--param", "namespace=team-a", "--kfp-namespace", "team-a"])
    err = capsys.readouterr().err
    assert rc == 1
    assert f"cannot reach Kubeflow Pipelines at http://127.0.0.1:{port}" in err


def test_submit_needs_a_host(capsys, monkeypatch):
    monkeypatch.delenv("KF_PIPELINES_ENDPOINT", raising=False)
    assert main(["pipeline", "submit", "--data", "/datasets/d"]) == 2
    assert "--host is required" in capsys.readouterr().err
