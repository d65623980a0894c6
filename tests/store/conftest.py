"""Fixtures: a moto S3 server per test, a fresh bucket, a model directory, and `backend`, which runs
a test against LocalStore and S3Store alike."""
from __future__ import annotations

import io
import json
import os
import uuid
from pathlib import Path

import pytest

from kubetune.store import LocalStore

from store_helpers import Backend, S3Server


@pytest.fixture(scope="session")
def s3():
    """One server for the tests that do not stop it (each test has its own bucket)."""
    server = S3Server()
    yield server
    server.stop()


@pytest.fixture
def s3_own():
    """A server of this test's own, free to be stopped and restarted. moto keeps buckets in the
    process, so `bucket` is visible through it too."""
    server = S3Server()
    yield server
    server.stop()


@pytest.fixture
def bucket(s3) -> str:
    name = f"kt-{uuid.uuid4().hex[:12]}"
    s3.store(name).client.make_bucket(name)
    return name


@pytest.fixture
def model_dir(tmp_path) -> Path:
    """What an export looks like: nested files, an empty file, some binary."""
    d = tmp_path / "model"
    (d / "1").mkdir(parents=True)
    (d / "config.pbtxt").write_text('name: "digits"\nplatform: "onnxruntime_onnx"\n')
    (d / "1" / "model.onnx").write_bytes(os.urandom(200_000))
    (d / "metadata.json").write_text(json.dumps({"classes": list("0123456789")}))
    (d / "empty.txt").write_bytes(b"")
    return d


@pytest.fixture(params=["local", "s3"])
def backend(request, tmp_path) -> Backend:
    if request.param == "local":
        store = LocalStore(tmp_path / "store")

        def put(prefix, rel, data):
            (store.root / prefix / rel).write_bytes(data)
        return Backend("local", store, put)
    server = request.getfixturevalue("s3")
    name = request.getfixturevalue("bucket")
    store = server.store(name, "team-a")

    def put(prefix, rel, data):
        store.client.put_object(name, f"team-a/{prefix}/{rel}", io.BytesIO(data), len(data))
    return Backend("s3", store, put)


