"""What both stores promise: a verified round trip, readers trust only manifests, all-or-nothing
fetch, idempotent republish. Each test runs against LocalStore and S3Store (moto on loopback)."""
from __future__ import annotations

import hashlib
import json

import pytest

from kubetune.store import (MANIFEST_NAME, AlreadyPublished, ChecksumMismatch, ManifestError, NotPublished,
                            StoreError)


def tree(d):
    return {p.relative_to(d).as_posix(): p.read_bytes() for p in sorted(d.rglob("*")) if p.is_file()}


def test_round_trip_with_checksums(backend, model_dir, tmp_path):
    store = backend.store
    seen = []
    manifest = store.publish(model_dir, "digits/v1", metadata={"model": "tiny"}, on_progress=seen.append)
    local = tree(model_dir)
    assert set(manifest.files) == set(local)
    for rel, data in local.items():
        assert manifest.files[rel].sha256 == hashlib.sha256(data).hexdigest()
        assert manifest.files[rel].size == len(data)
    assert [p.done for p in seen] == list(range(1, len(local) + 1)) and seen[-1].total == len(local)
    assert manifest.metadata == {"model": "tiny"} and manifest.kubetune_version

    assert store.is_published("digits/v1") and not store.is_published("digits")
    assert store.list_published() == ["digits/v1"] and store.list_published("digits") == ["digits/v1"]
    back = store.read_manifest("digits/v1")
    assert back.files == manifest.files and back.created == manifest.created

    got = store.fetch("digits/v1", tmp_path / "fetched")
    fetched = tree(tmp_path / "fetched")
    assert fetched.pop(MANIFEST_NAME) and fetched == local
    assert json.loads((tmp_path / "fetched" / MANIFEST_NAME).read_text())["files"]["empty.txt"]["size"] == 0
    assert got.files == manifest.files


def test_republish_is_idempotent_and_overwrite_replaces(backend, model_dir, tmp_path):
    store = backend.store
    first = store.publish(model_dir, "m")
    calls = []
    assert store.publish(model_dir, "m", on_progress=calls.append).created == first.created  # untouched
    assert calls == []
    (model_dir / "config.pbtxt").write_text("changed\n")
    (model_dir / "empty.txt").unlink()
    with pytest.raises(AlreadyPublished, match="overwrite"):
        store.publish(model_dir, "m")
    second = store.publish(model_dir, "m", overwrite=True)
    assert "empty.txt" not in second.files
    store.fetch("m", tmp_path / "out")
    assert (tmp_path / "out" / "config.pbtxt").read_text() == "changed\n"
    assert not (tmp_path / "out" / "empty.txt").exists()
    if backend.kind == "s3":  # the stale object is gone from the bucket too
        keys = [o.object_name for o in store.client.list_objects(store.bucket, prefix="team-a/m/", recursive=True)]
        assert not any(k.endswith("empty.txt") for k in keys)


def test_nothing_published_means_nothing_fetched(backend, tmp_path):
    with pytest.raises(NotPublished, match="nothing published"):
        backend.store.fetch("absent", tmp_path / "out")
    assert not (tmp_path / "out").exists()
    assert backend.store.list_published() == []


def test_corrupted_object_fails_fetch_and_leaves_nothing_complete(backend, model_dir, tmp_path):
    store = backend.store
    store.publish(model_dir, "m")
    backend.tamper("m", "1/model.onnx", b"not the model")
    target = tmp_path / "out"
    with pytest.raises(ChecksumMismatch, match=r"1/model.onnx does not match its manifest.*size 200000.*size 13"):
        store.fetch("m", target)
    assert not target.exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no staging dir left behind

    # an earlier good copy survives a failed re-fetch with overwrite
    backend.tamper("m", "1/model.onnx", (model_dir / "1" / "model.onnx").read_bytes())
    store.fetch("m", target)
    backend.tamper("m", "config.pbtxt", b"tampered")
    with pytest.raises(ChecksumMismatch, match="config.pbtxt"):
        store.fetch("m", target, overwrite=True)
    assert tree(target)["config.pbtxt"] == (model_dir / "config.pbtxt").read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


def test_fetch_refuses_a_non_empty_directory(backend, model_dir, tmp_path):
    backend.store.publish(model_dir, "m")
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "mine.txt").write_text("keep")
    with pytest.raises(StoreError, match="not empty"):
        backend.store.fetch("m", tmp_path / "busy")
    assert (tmp_path / "busy" / "mine.txt").read_text() == "keep"


def test_unsafe_manifest_paths_are_refused(backend, model_dir, tmp_path):
    backend.store.publish(model_dir, "m")
    manifest = json.loads(backend.store.read_manifest("m").to_json())
    manifest["files"]["../../escape.txt"] = manifest["files"].pop("empty.txt")
    backend.tamper("m", MANIFEST_NAME, json.dumps(manifest).encode())
    with pytest.raises(ManifestError, match=r"unsafe .*'\.\./\.\./escape\.txt'"):
        backend.store.fetch("m", tmp_path / "deep" / "out")
    assert not (tmp_path / "escape.txt").exists()


def test_bad_inputs(backend, tmp_path):
    with pytest.raises(StoreError, match="not a directory"):
        backend.store.publish(tmp_path / "missing", "m")
    (tmp_path / "empty").mkdir()
    with pytest.raises(StoreError, match="holds no files"):
        backend.store.publish(tmp_path / "empty", "m")
    with pytest.raises(StoreError, match="invalid store prefix"):
        backend.store.read_manifest("a/../../b")
