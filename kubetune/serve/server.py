"""The gRPC server that hosts one of the services, with the health service Katib probes.

Katib's suggestion Deployment has gRPC readiness and liveness probes on port 6789 for the service
name `manager.v1beta1.Suggestion` (composer.go, DefaultGRPCService); the standard
grpc.health.v1 service answers them. The early-stopping container gets no probe; it is served
under `manager.v1beta1.EarlyStopping` all the same.
"""
from __future__ import annotations

import logging
import signal
import threading
from concurrent import futures
from typing import Any

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

from kubetune.serve.katib_api import api_pb2_grpc
from kubetune.serve.ports import EARLY_STOPPING, HEALTH_NAMES, SUGGESTION
_log = logging.getLogger("kubetune.serve")


def make_service(kind: str, **options: Any) -> Any:
    if kind == SUGGESTION:
        from kubetune.serve.suggestion import SuggestionService

        return SuggestionService(**options)
    if kind == EARLY_STOPPING:
        from kubetune.serve.earlystopping import EarlyStoppingService

        return EarlyStoppingService(**options)
    raise ValueError(f"unknown service {kind!r}; allowed: {SUGGESTION}, {EARLY_STOPPING}")


def start_server(kind: str, port: int, host: str = "0.0.0.0", workers: int = 8,
                 service: Any = None, **options: Any) -> tuple[grpc.Server, int]:
    """(started server, bound port): port 0 picks a free one. OSError when the port is taken."""
    service = service if service is not None else make_service(kind, **options)
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=workers, thread_name_prefix=f"kubetune-{kind}"))
    if kind == SUGGESTION:
        api_pb2_grpc.add_SuggestionServicer_to_server(service, server)
    else:
        api_pb2_grpc.add_EarlyStoppingServicer_to_server(service, server)
    checker = health.HealthServicer()
    for name in ("", HEALTH_NAMES[kind]):
        checker.set(name, health_pb2.HealthCheckResponse.SERVING)
    health_pb2_grpc.add_HealthServicer_to_server(checker, server)
    address = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    try:
        bound = server.add_insecure_port(address)
    except RuntimeError as e:  # grpc raises RuntimeError for an address it cannot bind
        raise OSError(f"cannot listen on {address}: {e}") from None
    if bound == 0:
        raise OSError(f"cannot listen on {address} (port in use?)")
    server.start()
    return server, bound


def run_until_signalled(server: grpc.Server, grace_seconds: float = 5.0) -> None:
    """Serve until SIGTERM (Kubernetes stopping the pod) or SIGINT; in-flight calls get `grace_seconds`."""
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    stop.wait()
    _log.info("stopping")
    server.stop(grace_seconds).wait()
