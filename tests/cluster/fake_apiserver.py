"""A FAKE Kubernetes API server for the cluster-backend tests: an http.server on 127.0.0.1:0 in a
thread that answers just what kubetune's Katib client calls, the way kube-apiserver would.

It is not Kubernetes and not Katib: no controllers run. A test scripts what Katib would do
(`timeline`: one step applied before each GET of an Experiment) and which failures the server
or an admission webhook would answer (`fail`, `forbid`, `reject_admission`, `katib_installed`).

Served:
  GET    /api, /apis                                   discovery (versions, groups)
  GET    /apis/kubeflow.org/v1beta1                    APIResourceList (404 page when Katib is "not installed")
  POST   /apis/kubeflow.org/v1beta1/namespaces/NS/P    create (409, dryRun=All, 404 missing namespace)
  GET    /apis/kubeflow.org/v1beta1/namespaces/NS/P    list (labelSelector k=v[,k=v]; limit/continue pages)
  GET    /apis/kubeflow.org/v1beta1/namespaces/NS/P/N  get (404 Status naming the object)
  DELETE /apis/kubeflow.org/v1beta1/namespaces/NS/P/N  delete (optionally lingering with a deletionTimestamp)
for P in experiments, trials, suggestions, and of the core API (what a trial's pods say, `pods`
and `pod_logs` set by the test as the kubelet would leave them):
  GET    /api/v1/namespaces/NS/pods                    list (labelSelector k=v and `k in (a,b)`)
  GET    /api/v1/namespaces/NS/pods/N/log              container, tailLines, limitBytes (text/plain;
                                                       404 for a pod that is gone, 400 for a container
                                                       the pod does not have)
Error bodies are Kubernetes Status objects, except the plain-text "404 page not found"
kube-apiserver answers for a resource type it does not serve. `forbid("GET", "pods/log", ...)`
answers RBAC's 403 for the pods/log subresource.
"""
from __future__ import annotations

import copy
import datetime as dt
import json
import re
import threading
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Callable
from urllib.parse import parse_qs, urlsplit

GROUP, VERSION = "kubeflow.org", "v1beta1"
PLURALS = {"experiments": "Experiment", "trials": "Trial", "suggestions": "Suggestion"}
TOKEN = "fake-token-for-tests"
_PATH = re.compile(rf"^/apis/{GROUP}/{VERSION}/namespaces/(?P<ns>[^/]+)/(?P<plural>[^/]+)(?:/(?P<name>[^/]+))?$")
_CORE_PODS = re.compile(r"^/api/v1/namespaces/(?P<ns>[^/]+)/pods(?:/(?P<name>[^/]+)(?P<log>/log)?)?$")
_SELECTOR = re.compile(r"\s*([\w./-]+)\s*(?:=\s*([\w.-]*)|\s+in\s+\(([^)]*)\))\s*(?:,|$)")


def selects(selector: str, labels: dict) -> bool:
    """Whether a label selector (`k=v`, `k in (a,b)`, joined by commas) matches the labels."""
    pos = 0
    while pos < len(selector):
        m = _SELECTOR.match(selector, pos)
        assert m, f"the fake does not parse the selector {selector!r}"
        key, value, values = m.groups()
        allowed = {value} if value is not None else {v.strip() for v in values.split(",")}
        if labels.get(key) not in allowed:
            return False
        pos = m.end()
    return True


def now() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def status_body(code: int, reason: str, message: str, details: dict | None = None) -> dict:
    return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure", "message": message,
            "reason": reason, "details": details or {}, "code": code}


@dataclass
class Seen:
    method: str
    path: str
    query: dict[str, list[str]]
    body: dict | None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Failure:
    method: str
    plural: str
    code: int
    body: dict | str
    times: int | None  # None: every time


class FakeKubernetesAPI:
    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.objects: dict[tuple[str, str, str], dict] = {}  # (plural, namespace, name) -> object
        self.requests: list[Seen] = []
        self.katib_installed = True
        self.namespaces: set[str] | None = None  # None: every namespace exists
        self.failures: list[Failure] = []
        self.timeline: list[Callable[["FakeKubernetesAPI"], None]] = []
        self.linger_gets = 0  # a deleted object stays (with deletionTimestamp) for this many GETs
        self.page_size = 0  # >0: list pages hold at most this many items (with a continue token)
        self._lingering: dict[tuple[str, str, str], int] = {}
        self.pods: dict[tuple[str, str], dict] = {}  # (namespace, name) -> Pod
        self.pod_logs: dict[tuple[str, str, str], str] = {}  # (namespace, pod, container) -> its output
        self._rv = 0
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05},
                                       daemon=True)

    # -- lifecycle -----------------------------------------------------------------------------
    def start(self) -> "FakeKubernetesAPI":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def write_kubeconfig(self, path: Path, namespace: str = "default", server: str | None = None) -> Path:
        path.write_text(json.dumps({
            "apiVersion": "v1", "kind": "Config", "current-context": "fake",
            "clusters": [{"name": "fake", "cluster": {"server": server or self.url}}],
            "users": [{"name": "tester", "user": {"token": TOKEN}}],
            "contexts": [{"name": "fake", "context": {"cluster": "fake", "user": "tester", "namespace": namespace}}],
        }))
        return path

    # -- scripting -----------------------------------------------------------------------------
    def fail(self, method: str, plural: str, code: int, body: dict | str, times: int | None = 1) -> None:
        with self.lock:
            self.failures.append(Failure(method, plural, code, body, times))

    def forbid(self, method: str, plural: str, verb: str, namespace: str,
               user: str = "system:serviceaccount:team-a:default") -> None:
        """The Status kube-apiserver's RBAC authorizer answers (pods, pods/log: the core group)."""
        if plural.startswith("pods"):
            resource, _, sub = plural.partition("/")
            self.fail(method, plural, 403, status_body(
                403, "Forbidden", f'pods "x" is forbidden: User "{user}" cannot {verb} resource "{resource}"'
                                  + (f' subresource "{sub}"' if sub else "") + f' in API group "" in the '
                                  f'namespace "{namespace}"', {"kind": resource}), times=None)
            return
        self.fail(method, plural, 403, status_body(
            403, "Forbidden",
            f'{plural}.{GROUP} is forbidden: User "{user}" cannot {verb} resource "{plural}" in API group '
            f'"{GROUP}" in the namespace "{namespace}"', {"group": GROUP, "kind": plural}), times=None)

    def reject_admission(self, message: str, code: int = 403,
                         webhook: str = "validator.experiment.katib.kubeflow.org") -> None:
        """What kube-apiserver answers when a validating webhook denies a create (code 403 for
        controller-runtime's Denied, 400 for its Errored)."""
        self.fail("POST", "experiments", code, status_body(
            code, "Forbidden" if code == 403 else "BadRequest",
            f'admission webhook "{webhook}" denied the request: {message}'), times=None)

    def put(self, plural: str, obj: dict) -> dict:
        """Store an object as a controller would (Katib creating Trials, updating status)."""
        with self.lock:
            meta = obj.setdefault("metadata", {})
            key = (plural, meta["namespace"], meta["name"])
            self._stamp(obj, plural)
            self.objects[key] = obj
            return obj

    def get(self, plural: str, namespace: str, name: str) -> dict | None:
        with self.lock:
            return self.objects.get((plural, namespace, name))

    def set_status(self, plural: str, namespace: str, name: str, status: dict) -> None:
        with self.lock:
            self.objects[(plural, namespace, name)]["status"] = status

    def seen(self, method: str | None = None, plural: str | None = None) -> list[Seen]:
        with self.lock:
            return [r for r in self.requests if (method is None or r.method == method)
                    and (plural is None or f"/{plural}" in r.path)]

    # -- internals -----------------------------------------------------------------------------
    def _stamp(self, obj: dict, plural: str) -> None:
        self._rv += 1
        meta = obj["metadata"]
        meta.setdefault("uid", str(uuid.uuid4()))
        meta.setdefault("creationTimestamp", now())
        meta.setdefault("generation", 1)
        meta["resourceVersion"] = str(self._rv)
        obj.setdefault("apiVersion", f"{GROUP}/{VERSION}")
        obj.setdefault("kind", PLURALS.get(plural, "Object"))

    def _scripted_failure(self, method: str, plural: str) -> Failure | None:
        for f in self.failures:
            if f.method == method and f.plural == plural and (f.times is None or f.times > 0):
                if f.times is not None:
                    f.times -= 1
                return f
        return None

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:  # keep pytest output clean
                pass

            def _send(self, code: int, body: dict | str) -> None:
                data = (json.dumps(body) if isinstance(body, dict) else body).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json" if isinstance(body, dict) else "text/plain")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _serve(self, method: str) -> None:
                url = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                body = json.loads(raw) if raw else None
                with fake.lock:
                    fake.requests.append(Seen(method, url.path, parse_qs(url.query), body, dict(self.headers)))
                    code, answer = fake._answer(method, url.path, parse_qs(url.query), body,
                                                self.headers.get("Authorization", ""))
                self._send(code, answer)

            def do_GET(self) -> None:
                self._serve("GET")

            def do_POST(self) -> None:
                self._serve("POST")

            def do_DELETE(self) -> None:
                self._serve("DELETE")

        return Handler

    def _answer(self, method: str, path: str, query: dict, body: dict | None, auth: str) -> tuple[int, dict | str]:
        if auth != f"Bearer {TOKEN}":
            return 401, status_body(401, "Unauthorized", "Unauthorized")
        if path == "/api":
            return 200, {"kind": "APIVersions", "versions": ["v1"]}
        if path == "/apis":
            groups = [{"name": GROUP, "versions": [{"groupVersion": f"{GROUP}/{VERSION}", "version": VERSION}],
                       "preferredVersion": {"groupVersion": f"{GROUP}/{VERSION}", "version": VERSION}}]
            return 200, {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups if self.katib_installed else []}
        core = _CORE_PODS.match(path)
        if core:
            return self._pods(method, core["ns"], core["name"], bool(core["log"]), query)
        if path == f"/apis/{GROUP}/{VERSION}":
            if not self.katib_installed:
                return 404, "404 page not found\n"
            return 200, {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": f"{GROUP}/{VERSION}",
                         "resources": [{"name": p, "singularName": p[:-1], "namespaced": True, "kind": k,
                                        "verbs": ["create", "delete", "get", "list", "patch", "update", "watch"]}
                                       for p, k in PLURALS.items()]}
        m = _PATH.match(path)
        if not m or not self.katib_installed or m["plural"] not in PLURALS:
            return 404, "404 page not found\n"
        ns, plural, name = m["ns"], m["plural"], m["name"]
        failure = self._scripted_failure(method, plural)
        if failure is not None:
            return failure.code, failure.body
        if method == "POST" and name is None:
            return self._create(ns, plural, body or {}, query)
        if method == "GET" and name is None:
            return 200, self._list(ns, plural, query)
        if method == "GET":
            return self._get(ns, plural, name)
        if method == "DELETE" and name is not None:
            return self._delete(ns, plural, name, query)
        return 405, status_body(405, "MethodNotAllowed", f"{method} is not supported by the fake")

    def _pods(self, method: str, ns: str, name: str | None, log: bool, query: dict) -> tuple[int, dict | str]:
        failure = self._scripted_failure(method, "pods/log" if log else "pods")
        if failure is not None:
            return failure.code, failure.body
        if method != "GET":
            return 405, status_body(405, "MethodNotAllowed", f"{method} is not supported by the fake")
        if name is None:
            items = [copy.deepcopy(p) for (n, _), p in sorted(self.pods.items()) if n == ns
                     and all(selects(q, p["metadata"].get("labels") or {}) for q in query.get("labelSelector", []))]
            return 200, {"apiVersion": "v1", "kind": "PodList", "items": items,
                         "metadata": {"resourceVersion": str(self._rv)}}
        pod = self.pods.get((ns, name))
        if pod is None:
            return 404, status_body(404, "NotFound", f'pods "{name}" not found', {"name": name, "kind": "pods"})
        container = (query.get("container") or [""])[0]
        if container not in {c["name"] for c in pod["spec"]["containers"] + pod["spec"].get("initContainers", [])}:
            return 400, status_body(400, "BadRequest", f"container {container} is not valid for pod {name}")
        text = self.pod_logs.get((ns, name, container), "")
        if "tailLines" in query:
            lines = text.splitlines(keepends=True)
            text = "".join(lines[-int(query["tailLines"][0]):])
        if "limitBytes" in query:
            text = text.encode()[: int(query["limitBytes"][0])].decode(errors="ignore")
        return 200, text

    def _not_found(self, plural: str, name: str) -> tuple[int, dict]:
        return 404, status_body(404, "NotFound", f'{plural}.{GROUP} "{name}" not found',
                                {"name": name, "group": GROUP, "kind": plural})

    def _create(self, ns: str, plural: str, body: dict, query: dict) -> tuple[int, dict]:
        if self.namespaces is not None and ns not in self.namespaces:
            return 404, status_body(404, "NotFound", f'namespaces "{ns}" not found', {"name": ns, "kind": "namespaces"})
        meta = body.get("metadata") or {}
        name = meta.get("name")
        if meta.get("namespace") not in (None, ns):
            return 400, status_body(400, "BadRequest", "the namespace of the provided object does not match "
                                                       "the namespace sent on the request")
        if (plural, ns, name) in self.objects:
            return 409, status_body(409, "AlreadyExists", f'{plural}.{GROUP} "{name}" already exists',
                                    {"name": name, "group": GROUP, "kind": plural})
        obj = copy.deepcopy(body)
        obj["metadata"]["namespace"] = ns
        if query.get("dryRun") == ["All"]:
            self._stamp(obj, plural)
            self._rv -= 1
            return 201, obj
        self._stamp(obj, plural)
        self.objects[(plural, ns, name)] = obj
        return 201, copy.deepcopy(obj)

    def _list(self, ns: str, plural: str, query: dict) -> dict:
        items = [copy.deepcopy(o) for (p, n, _), o in sorted(self.objects.items())
                 if p == plural and n == ns
                 and all(selects(q, o["metadata"].get("labels") or {}) for q in query.get("labelSelector", []))]
        # pages: `limit` items at most (fewer when page_size is set, as the API allows), `continue` = offset
        start = int((query.get("continue") or ["0"])[0])
        size = min(int((query.get("limit") or [len(items) or 1])[0]), self.page_size or len(items) or 1)
        meta = {"resourceVersion": str(self._rv)}
        if start + size < len(items):
            meta["continue"] = str(start + size)
        return {"apiVersion": f"{GROUP}/{VERSION}", "kind": PLURALS[plural] + "List",
                "items": items[start:start + size], "metadata": meta}

    def _get(self, ns: str, plural: str, name: str) -> tuple[int, dict]:
        if plural == "experiments" and self.timeline:
            self.timeline.pop(0)(self)
        key = (plural, ns, name)
        if key in self._lingering:
            self._lingering[key] -= 1
            if self._lingering[key] < 0:
                del self._lingering[key]
                self.objects.pop(key, None)
        if key not in self.objects:
            return self._not_found(plural, name)
        return 200, copy.deepcopy(self.objects[key])

    def _delete(self, ns: str, plural: str, name: str, query: dict) -> tuple[int, dict]:
        key = (plural, ns, name)
        if key not in self.objects:
            return self._not_found(plural, name)
        obj = self.objects[key]
        if plural == "experiments":  # what the garbage collector does with the owned Trials (foreground)
            for k in [k for k, o in self.objects.items() if k[0] == "trials" and k[1] == ns
                      and (o["metadata"].get("labels") or {}).get("katib.kubeflow.org/experiment") == name]:
                del self.objects[k]
        if self.linger_gets:
            obj["metadata"]["deletionTimestamp"] = now()
            self._lingering[key] = self.linger_gets
        else:
            del self.objects[key]
        return 200, copy.deepcopy(obj)
