"""A real S3 server on loopback (moto's ThreadedMotoServer) that tests can stop and restart, and a
proxy that answers 503 SlowDown (imported as `store_helpers`)."""
from __future__ import annotations

import http.client
import logging
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from kubetune.store import RetryPolicy, S3Store

logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's request log
FAST = RetryPolicy(attempts=3, base_delay=0.05, max_delay=0.2)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class S3Server:
    """moto on 127.0.0.1; stop() really closes the socket (connections are refused), start() again
    reuses the port and finds the same buckets (moto keeps state in-process)."""

    def __init__(self) -> None:
        self.port = free_port()
        self._server = None
        self.start()

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        from moto.server import ThreadedMotoServer
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.port, verbose=False)
        self._server.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server._server.server_close()  # stop() alone leaves the socket listening
            self._server = None

    def store(self, bucket: str, prefix: str = "", **kw) -> S3Store:
        kw.setdefault("access_key", "testing")
        kw.setdefault("secret_key", "testing")
        kw.setdefault("retry", FAST)
        return S3Store(self.endpoint, bucket, prefix, **kw)

    def set_auth(self, enabled: bool) -> None:
        """moto checks signatures and IAM policies only when told to (a process-wide switch)."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
        conn.request("POST", "/moto-api/reset-auth", body=b"0" if enabled else b"inf")
        assert conn.getresponse().status == 200
        conn.close()


class Backend:
    """A store plus a way to tamper with what it holds, the same for both kinds."""

    def __init__(self, kind: str, store, raw_put):
        self.kind, self.store, self._raw_put = kind, store, raw_put

    def tamper(self, prefix: str, rel: str, data: bytes) -> None:
        self._raw_put(prefix, rel, data)


class SlowDownProxy:
    """Answers the first `failures` requests with 503 SlowDown (S3's XML error), then forwards to
    `upstream` (another port on loopback). Counts requests."""

    BODY = (b'<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code>'
            b"<Message>Please reduce your request rate.</Message></Error>")

    def __init__(self, upstream_port: int | None, failures: int):
        self.upstream_port, self.failures, self.requests = upstream_port, failures, 0
        self.lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _handle(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with proxy.lock:
                    proxy.requests += 1
                    fail = proxy.requests <= proxy.failures or proxy.upstream_port is None
                if fail:
                    self.send_response(503)
                    self.send_header("Content-Type", "application/xml")
                    self.send_header("Content-Length", str(len(proxy.BODY)))
                    self.end_headers()
                    if self.command != "HEAD":
                        self.wfile.write(proxy.BODY)
                    return
                conn = http.client.HTTPConnection("127.0.0.1", proxy.upstream_port, timeout=10)
                conn.request(self.command, self.path, body=body, headers=dict(self.headers))
                resp = conn.getresponse()
                data = resp.read()
                self.send_response(resp.status)
                for k, v in resp.getheaders():
                    if k.lower() not in ("transfer-encoding", "connection", "content-length"):
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(data)
                conn.close()

            do_GET = do_PUT = do_HEAD = do_DELETE = do_POST = _handle

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
