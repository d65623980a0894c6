"""Fixtures: a fake Kubernetes API server per test, a kubeconfig pointing at it, and the
`kubetune` CLI run in-process (its real argument parsing, client and output)."""
from __future__ import annotations

from dataclasses import dataclass

import pytest

from fake_apiserver import FakeKubernetesAPI
from katib_objects import NS


@pytest.fixture
def fake():
    api = FakeKubernetesAPI().start()
    yield api
    api.stop()


@pytest.fixture
def kubeconfig(fake, tmp_path):
    return str(fake.write_kubeconfig(tmp_path / "kubeconfig", namespace=NS))


@dataclass
class Result:
    rc: int
    out: str
    err: str


@pytest.fixture
def kt(capsys, monkeypatch):
    """kt(*args) -> Result: `kubetune ARGS` in this process. KUBECONFIG/HOME are pointed away from
    any real cluster configuration so a test can only reach the fake."""
    from kubetune.cli import main

    monkeypatch.delenv("KUBECONFIG", raising=False)
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)

    def run(*args: str) -> Result:
        capsys.readouterr()
        rc = main([str(a) for a in args])
        captured = capsys.readouterr()
        return Result(rc, captured.out, captured.err)

    return run
