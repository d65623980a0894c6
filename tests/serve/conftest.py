"""Fixtures: kubetune's services on loopback (real gRPC servers, port 0) and clients built from
the stubs compiled out of Katib's api.proto (kubetune/serve/katib_api)."""
from __future__ import annotations

import sys
from pathlib import Path

import grpc
import pytest

from kubetune.serve.katib_api import api_pb2_grpc
from kubetune.serve.server import start_server

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "cluster"))  # fake_apiserver, katib_objects


class Running:
    """A started service and a channel to it; `restart()` replaces it by a fresh process-state one."""

    def __init__(self, kind: str, stub_class, **options) -> None:
        self.kind, self.stub_class, self.options = kind, stub_class, options
        self._start()

    def _start(self) -> None:
        self.server, self.port = start_server(self.kind, 0, "127.0.0.1", **self.options)
        self.channel = grpc.insecure_channel(f"127.0.0.1:{self.port}")
        self.stub = self.stub_class(self.channel)

    def restart(self) -> None:
        self.stop()
        self._start()

    def stop(self) -> None:
        self.channel.close()
        self.server.stop(0).wait()


@pytest.fixture
def suggestion():
    running = Running("suggestion", api_pb2_grpc.SuggestionStub)
    yield running
    running.stop()


@pytest.fixture
def early_stopping_factory():
    started = []

    def start(**options) -> Running:
        running = Running("early-stopping", api_pb2_grpc.EarlyStoppingStub, **options)
        started.append(running)
        return running

    yield start
    for running in started:
        running.stop()
