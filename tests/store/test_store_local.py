"""LocalStore specifics: a publish that dies half way leaves no target and no manifest."""
from __future__ import annotations

import pytest

from kubetune.store import LocalStore, NotPublished, StoreError


def test_interrupted_publish_leaves_nothing_and_a_retry_completes(tmp_path, model_dir):
    store = LocalStore(tmp_path / "store")

    def crash_after_two(progress):
        if progress.done == 2:
            raise OSError("disk went away")
    with pytest.raises(OSError, match="disk went away"):
        store.publish(model_dir, "digits/v1", on_progress=crash_after_two)
    assert not (tmp_path / "store" / "digits" / "v1").exists()
    assert [p.name for p in (tmp_path / "store" / "digits").iterdir()] == []   # staging removed
    assert not store.is_published("digits/v1") and store.list_published() == []
    with pytest.raises(NotPublished):
        store.fetch("digits/v1", tmp_path / "out")

    store.publish(model_dir, "digits/v1")
    assert store.list_published() == ["digits/v1"]


def test_a_killed_publish_leaves_only_a_hidden_staging_dir_that_readers_ignore(tmp_path, model_dir):
    store = LocalStore(tmp_path / "store")
    staging = tmp_path / "store" / "digits" / ".v1.publish-123-abcd"     # what a SIGKILL would leave
    staging.mkdir(parents=True)
    (staging / "MANIFEST.json").write_text("{}")
    assert store.list_published() == [] and not store.is_published("digits/v1")
    store.publish(model_dir, "digits/v1")
    assert store.list_published() == ["digits/v1"]


def test_refuses_to_publish_over_foreign_content(tmp_path, model_dir):
    store = LocalStore(tmp_path / "store")
    (tmp_path / "store" / "m").mkdir(parents=True)
    (tmp_path / "store" / "m" / "notes.txt").write_text("mine")
    with pytest.raises(StoreError, match="not something kubetune published"):
        store.publish(model_dir, "m")
    assert (tmp_path / "store" / "m" / "notes.txt").read_text() == "mine"
    with pytest.raises(StoreError, match="onto itself"):
        LocalStore(model_dir).publish(model_dir, "")


def test_check(tmp_path):
    LocalStore(tmp_path / "new" / "root").check()          # creatable: fine
    (tmp_path / "file").write_text("x")
    with pytest.raises(StoreError, match="not a directory"):
        LocalStore(tmp_path / "file").check()
