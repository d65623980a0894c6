"""load_pretrained: local file, file:// and s3:// URIs; mismatched head skipped and reported."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from trainer.models import create_model, load_pretrained

TINY = {"base_channels": 8, "n_stages": 2, "image_size": 16}


def _pair() -> tuple[torch.nn.Module, torch.nn.Module]:
    torch.manual_seed(0)
    source = create_model("cells", 10, **TINY)
    torch.manual_seed(1)
    target = create_model("cells", 3, **TINY)
    return source, target


def _head_keys(model: torch.nn.Module) -> list[str]:
    last = len(model.layers) - 1
    return [f"layers.{last}.bias", f"layers.{last}.weight"]  # sorted, as returned


def _assert_loaded_except_head(source: torch.nn.Module, target: torch.nn.Module, skipped: list[str]) -> None:
    assert skipped == _head_keys(target)
    src, dst = source.state_dict(), target.state_dict()
    for key in dst:
        if key not in skipped:
            assert torch.equal(src[key], dst[key]), key
    assert target.layers[-1].out_features == 3


def test_mismatched_head_is_skipped_and_the_rest_loaded(tmp_path: Path) -> None:
    source, target = _pair()
    path = tmp_path / "weights.pt"
    torch.save(source.state_dict(), path)
    assert not torch.equal(source.state_dict()["layers.0.conv.weight"], target.state_dict()["layers.0.conv.weight"])
    skipped = load_pretrained(target, path)
    _assert_loaded_except_head(source, target, skipped)


def test_file_uri_and_nested_checkpoint(tmp_path: Path) -> None:
    source, target = _pair()
    path = tmp_path / "model best.pth.tar"  # the seeds' name, with a space to exercise URI quoting
    torch.save({"epoch": 3, "arch": "cells", "best_acc1": 0.5, "state_dict": source.state_dict()}, path)
    skipped = load_pretrained(target, path.as_uri())
    _assert_loaded_except_head(source, target, skipped)


def test_data_parallel_prefix_is_stripped(tmp_path: Path) -> None:
    source, target = _pair()
    path = tmp_path / "dp.pt"
    torch.save({f"module.{k}": v for k, v in source.state_dict().items()}, path)
    _assert_loaded_except_head(source, target, load_pretrained(target, path))


def test_efficientnet_fine_tune_from_another_class_count(tmp_path: Path) -> None:
    source = create_model("efficientnet-b0", 1000, image_size=32)
    path = tmp_path / "b0.pt"
    torch.save(source.state_dict(), path)
    target = create_model("efficientnet-b0", 2, image_size=32)
    assert load_pretrained(target, path) == ["_fc.bias", "_fc.weight"]
    assert torch.equal(target._conv_stem.weight, source._conv_stem.weight)


def test_errors(tmp_path: Path) -> None:
    _, target = _pair()
    with pytest.raises(ValueError, match="not found"):
        load_pretrained(target, tmp_path / "missing.pt")
    other = tmp_path / "other.pt"
    torch.save({"foo.weight": torch.zeros(2)}, other)
    with pytest.raises(ValueError, match="no tensor matches the model"):
        load_pretrained(target, other)
    with pytest.raises(ValueError, match="scheme 'http' is not supported"):
        load_pretrained(target, "http://example.invalid/w.pt")
    garbage = tmp_path / "garbage.pt"
    garbage.write_bytes(b"not a checkpoint")
    with pytest.raises(ValueError, match="cannot be read"):
        load_pretrained(target, garbage)


class _Custom:
    pass


def test_pickled_objects_are_refused(tmp_path: Path) -> None:
    _, target = _pair()
    path = tmp_path / "evil.pt"
    torch.save({"state_dict": target.state_dict(), "extra": _Custom()}, path)
    with pytest.raises(ValueError, match="cannot be read"):
        load_pretrained(target, path)


def test_s3_uri_via_minio(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    moto_server = pytest.importorskip("moto.server")
    from minio import Minio

    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        monkeypatch.setenv("S3_ENDPOINT", f"http://{host}:{port}")
        monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        source, target = _pair()
        path = tmp_path / "weights.pt"
        torch.save(source.state_dict(), path)
        client = Minio(f"{host}:{port}", access_key="testing", secret_key="testing", secure=False)
        client.make_bucket("models")
        client.fput_object("models", "runs/best/weights.pt", str(path))
        skipped = load_pretrained(target, "s3://models/runs/best/weights.pt")
        _assert_loaded_except_head(source, target, skipped)
        with pytest.raises(ValueError, match="NoSuchKey"):
            load_pretrained(target, "s3://models/missing.pt")
    finally:
        server.stop()


def test_s3_needs_an_endpoint(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("S3_ENDPOINT", raising=False)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    _, target = _pair()
    with pytest.raises(ValueError, match="set S3_ENDPOINT"):
        load_pretrained(target, "s3://models/w.pt")
