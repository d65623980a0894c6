"""Fixtures for the pipeline tests: a tiny digits dataset, a KFP local runner rooted in tmp, and the
cluster-backend tests' fake Kubernetes API server (tests/cluster/fake_apiserver.py)."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "cluster"))  # fake_apiserver, katib_objects
sys.path.insert(0, str(ROOT))  # pipelines/


@pytest.fixture(scope="session")
def digits16(tmp_path_factory) -> Path:
    """scikit-learn's digits as 16x16 PNGs in train/ val/ test/ class folders (+ test.csv)."""
    from trainer.data import write_digits

    out = tmp_path_factory.mktemp("data") / "digits"
    write_digits(str(out), image_size=16, seed=0)
    return out


@pytest.fixture
def fake_api():
    from fake_apiserver import FakeKubernetesAPI

    api = FakeKubernetesAPI().start()
    yield api
    api.stop()


@pytest.fixture
def kubeconfig(fake_api, tmp_path, monkeypatch) -> str:
    """KUBECONFIG pointing at the fake API server (namespace team-a), inherited by kfp.local's
    component subprocesses; nothing else that could reach a real cluster."""
    path = fake_api.write_kubeconfig(tmp_path / "kubeconfig", namespace="team-a")
    monkeypatch.setenv("KUBECONFIG", str(path))
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    return str(path)


@pytest.fixture
def kfp_local(tmp_path):
    """kfp.local with the SubprocessRunner in this interpreter's environment; returns the pipeline root."""
    from kfp import local

    root = tmp_path / "kfp"
    local.init(runner=local.SubprocessRunner(use_venv=False), pipeline_root=str(root), raise_on_error=True)
    return root
