"""The checked-in gRPC stubs are what grpcio-tools compiles from the vendored api.proto
(`make proto`), and the vendored file is Katib's, with its source commit."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
API = ROOT / "kubetune" / "serve" / "katib_api"


def test_stubs_are_current(tmp_path):
    target = tmp_path / "kubetune" / "serve" / "katib_api"
    target.mkdir(parents=True)
    shutil.copy(API / "api.proto", target / "api.proto")
    result = subprocess.run([sys.executable, "-m", "grpc_tools.protoc", "-I", ".", "--python_out=.",
                             "--grpc_python_out=.", "kubetune/serve/katib_api/api.proto"],
                            cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    for name in ("api_pb2.py", "api_pb2_grpc.py"):
        assert (target / name).read_text() == (API / name).read_text(), f"{name} is stale: run `make proto`"


def test_vendored_proto_names_its_source_and_licence():
    text = (API / "api.proto").read_text()
    assert "kubeflow/katib, pkg/apis/manager/v1beta1/api.proto at commit" in text
    assert "Apache License, Version 2.0" in text
    assert "package api.v1.beta1;" in text  # Katib's package: the method paths Katib calls


def test_the_stubs_serve_katibs_method_paths():
    from kubetune.serve.katib_api import api_pb2

    services = api_pb2.DESCRIPTOR.services_by_name
    assert [m.name for m in services["Suggestion"].methods] == ["GetSuggestions", "ValidateAlgorithmSettings"]
    assert [m.name for m in services["EarlyStopping"].methods] == [
        "GetEarlyStoppingRules", "SetTrialStatus", "ValidateEarlyStoppingSettings"]
    assert services["Suggestion"].full_name == "api.v1.beta1.Suggestion"
