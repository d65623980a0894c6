"""An interrupted `overwrite=True` publish on S3 (a real moto server, stopped mid-publish): after the
retry succeeds, the previous version's extra objects are gone, as docs/store.md promises."""
from __future__ import annotations

import os

import pytest

from kubetune.store import StoreUnreachable


def _keys(store, bucket: str) -> set[str]:
    return {o.object_name for o in store.client.list_objects(bucket, prefix="models/", recursive=True)}


def _version2(tmp_path, model_dir):
    """The next version: model.onnx changed, metadata.json and empty.txt gone, labels.txt new."""
    v2 = tmp_path / "v2"
    (v2 / "1").mkdir(parents=True)
    (v2 / "1" / "model.onnx").write_bytes(os.urandom(1000))
    (v2 / "config.pbtxt").write_text((model_dir / "config.pbtxt").read_text())
    (v2 / "labels.txt").write_text("a\nb\n")
    return v2


@pytest.mark.parametrize("retry_overwrite", [True, False])
def test_interrupted_overwrite_then_retry_removes_the_old_versions_extra_objects(s3_own, bucket, model_dir, tmp_path,
                                                                                retry_overwrite):
    s3 = s3_own
    store = s3.store(bucket, "models")
    store.publish(model_dir, "digits")
    v2 = _version2(tmp_path, model_dir)

    def stop_after_one(progress):
        if progress.done == 1:
            s3.stop()
    with pytest.raises(StoreUnreachable):
        store.publish(v2, "digits", overwrite=True, on_progress=stop_after_one)
    s3.start()
    assert not store.is_published("digits")  # the old manifest went first
    store.publish(v2, "digits", overwrite=retry_overwrite)  # no old manifest now: either way completes it
    assert _keys(store, bucket) == {"models/digits/MANIFEST.json", "models/digits/1/model.onnx",
                                    "models/digits/config.pbtxt", "models/digits/labels.txt"}
    store.fetch("digits", tmp_path / "out")
    assert sorted(p.name for p in (tmp_path / "out").rglob("*") if p.is_file()) == [
        "MANIFEST.json", "config.pbtxt", "labels.txt", "model.onnx"]


def test_interrupted_after_the_new_manifest_is_cleaned_by_the_next_identical_publish(s3_own, bucket, model_dir,
                                                                                     tmp_path):
    """Killed after the new manifest but before the removals: the same publish again finishes them."""
    s3 = s3_own
    store = s3.store(bucket, "models")
    store.publish(model_dir, "digits")
    v2 = _version2(tmp_path, model_dir)
    removed = []
    real_remove = store._remove

    def remove_then_die(key):
        if key.endswith("/metadata.json"):  # the first stale object (sorted): die before removing it
            s3.stop()
        real_remove(key)
        removed.append(key)
    store._remove = remove_then_die
    with pytest.raises(StoreUnreachable):
        store.publish(v2, "digits", overwrite=True)
    s3.start()
    store._remove = real_remove
    assert store.is_published("digits") and "models/digits/metadata.json" in _keys(store, bucket)
    store.publish(v2, "digits")  # identical content: "already published", and the leftovers go
    assert _keys(store, bucket) == {"models/digits/MANIFEST.json", "models/digits/1/model.onnx",
                                    "models/digits/config.pbtxt", "models/digits/labels.txt"}


def test_a_replace_record_in_the_directory_is_not_published(s3, bucket, model_dir):
    (model_dir / "MANIFEST.replacing.json").write_text('{"files": ["config.pbtxt"]}')
    manifest = s3.store(bucket, "models").publish(model_dir, "m")
    assert "MANIFEST.replacing.json" not in manifest.files
