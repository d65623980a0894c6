"""Loopback STAND-INS for the Katib parts the early-stopping service talks to. Neither is Katib.

* `DBManagerStandIn`: Katib's DBManager gRPC service (api.proto `DBManager`), answering
  GetObservationLog from recorded observation logs (trial -> [(timestamp, metric, value)]),
  in recorded order as Katib's DB returns them (ordered by time); it records every request.
* `TrialAPIStandIn`: the two Kubernetes API calls SetTrialStatus makes (GET a Trial, PATCH its
  status subresource with a merge patch), over HTTP on 127.0.0.1, with a kubeconfig for it.
"""
from __future__ import annotations

import json
import threading
from concurrent import futures
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import grpc
import yaml

from kubetune.serve.katib_api import api_pb2 as api
from kubetune.serve.katib_api import api_pb2_grpc


class DBManagerStandIn(api_pb2_grpc.DBManagerServicer):
    def __init__(self, logs: dict[str, list[tuple[str, str, str]]]) -> None:
        self.logs = logs
        self.requests: list[tuple[str, str]] = []
        self.server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
        api_pb2_grpc.add_DBManagerServicer_to_server(self, self.server)
        self.port = self.server.add_insecure_port("127.0.0.1:0")
        self.server.start()

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def GetObservationLog(self, request, context):
        self.requests.append((request.trial_name, request.metric_name))
        rows = [api.MetricLog(time_stamp=ts, metric=api.Metric(name=m, value=v))
                for ts, m, v in self.logs.get(request.trial_name, []) if m == request.metric_name]
        return api.GetObservationLogReply(observation_log=api.ObservationLog(metric_logs=rows))

    def stop(self) -> None:
        self.server.stop(0).wait()


class TrialAPIStandIn:
    PREFIX = "/apis/kubeflow.org/v1beta1/namespaces/"

    def __init__(self, trials: dict[tuple[str, str], dict]) -> None:
        self.trials = trials  # (namespace, name) -> Trial object
        self.patches: list[tuple[str, dict]] = []
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def _send(self, code: int, body: dict) -> None:
                data = json.dumps(body).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _target(self):
                rest = self.path.split("?", 1)[0][len(stand_in.PREFIX):].split("/")
                if not self.path.startswith(stand_in.PREFIX) or len(rest) < 3 or rest[1] != "trials":
                    return None, None
                return (rest[0], rest[2]), rest[3:] == ["status"]

            def do_GET(self):
                key, _ = self._target()
                if key not in stand_in.trials:
                    return self._send(404, {"kind": "Status", "apiVersion": "v1", "status": "Failure", "code": 404,
                                            "reason": "NotFound", "message": f"trials.kubeflow.org \"{key and key[1]}\" "
                                                                             "not found",
                                            "details": {"name": key and key[1], "kind": "trials"}})
                self._send(200, stand_in.trials[key])

            def do_PATCH(self):
                key, status = self._target()
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                stand_in.patches.append((self.headers.get("Content-Type", ""), body))
                if key not in stand_in.trials or not status:
                    return self._send(404, {"kind": "Status", "code": 404, "reason": "NotFound", "message": "no"})
                stand_in.trials[key].setdefault("status", {}).update(body["status"])  # merge patch, one level
                self._send(200, stand_in.trials[key])

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def write_kubeconfig(self, path: Path, namespace: str) -> Path:
        host = f"http://127.0.0.1:{self.server.server_address[1]}"
        path.write_text(yaml.safe_dump({
            "apiVersion": "v1", "kind": "Config", "current-context": "standin",
            "clusters": [{"name": "standin", "cluster": {"server": host}}],
            "contexts": [{"name": "standin", "context": {"cluster": "standin", "user": "u", "namespace": namespace}}],
            "users": [{"name": "u", "user": {"token": "stand-in"}}]}))
        return path

    def stop(self) -> None:
        self.server.shutdown()
