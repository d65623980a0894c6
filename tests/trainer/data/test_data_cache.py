import copy
import json
import multiprocessing
import os
import pickle
from pathlib import Path

import numpy as np
import pytest
import torch

from data_helpers import build_in_child, make_class_folders, save_image
from trainer.data import DataConfig, decode_image, prepare_data


def _config(path, **kw):
    kw.setdefault("image_size", 16)
    kw.setdefault("augment", "none")
    return DataConfig(path=str(path), **kw)


@pytest.fixture
def tree(tmp_path):
    make_class_folders(tmp_path / "train", {"a": 6, "b": 6})
    make_class_folders(tmp_path / "val", {"a": 2, "b": 2}, start_seed=50)
    return tmp_path


def _cache_files(root: Path) -> dict[str, tuple[int, int]]:
    folder = root / ".kubetune-cache"
    return {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in folder.iterdir() if not p.name.endswith(".lock")}


def test_cache_is_built_once_and_reused_by_a_later_call(tree):
    first = prepare_data(_config(tree))
    assert first.decoded == 16
    assert sorted(Path(f).name for f in first.cache_files) == [
        "train-16-3.json", "train-16-3.u8", "val-16-3.json", "val-16-3.u8"]
    written = _cache_files(tree)
    index = json.loads((tree / ".kubetune-cache" / "train-16-3.json").read_text())
    assert index["image_size"] == 16 and index["channels"] == 3 and index["shape"] == [12, 3, 16, 16]
    assert index["files"][0][0] == "train/a/img000.png" and index["labels"][:7] == ["a"] * 6 + ["b"]

    second = prepare_data(_config(tree))
    assert second.decoded == 0
    assert _cache_files(tree) == written  # nothing rewritten
    for index in range(len(second.train)):
        path = tree / second.train.ids[index]
        assert torch.equal(second.train[index][0], torch.from_numpy(decode_image(str(path), 16, 3)))
    assert (second.mean, second.std) == (first.mean, first.std)


def test_another_size_or_channel_count_gets_its_own_cache(tree):
    prepare_data(_config(tree))
    assert prepare_data(_config(tree, image_size=20)).decoded == 16
    assert prepare_data(_config(tree, channels=1)).decoded == 16
    assert prepare_data(_config(tree, image_size=20)).decoded == 0


def test_cache_is_rebuilt_when_files_change_decoding_only_the_changed_ones(tree):
    prepare_data(_config(tree))
    changed = tree / "train" / "a" / "img002.png"
    save_image(changed, seed=12345, size=20)
    stat = changed.stat()
    os.utime(changed, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))

    bundle = prepare_data(_config(tree))
    assert bundle.decoded == 1
    row = bundle.train.ids.index("train/a/img002.png")
    assert torch.equal(bundle.train[row][0], torch.from_numpy(decode_image(str(changed), 16, 3)))

    save_image(tree / "train" / "b" / "new.png", seed=999)
    (tree / "train" / "a" / "img000.png").unlink()
    bundle = prepare_data(_config(tree))
    assert bundle.decoded == 1 and len(bundle.train) == 12
    assert "train/b/new.png" in bundle.train.ids and "train/a/img000.png" not in bundle.train.ids
    assert prepare_data(_config(tree)).decoded == 0


def test_single_folder_cache_is_shared_by_every_split_seed(tmp_path):
    make_class_folders(tmp_path, {"a": 6, "b": 6})
    assert prepare_data(_config(tmp_path, seed=0)).decoded == 12
    other = prepare_data(_config(tmp_path, seed=5, split="random", val_ratio=0.5))
    assert other.decoded == 0 and len(other.val) == 6


def test_cache_dir_keeps_the_data_folder_untouched(tree, tmp_path_factory):
    cache_dir = tmp_path_factory.mktemp("caches")
    bundle = prepare_data(_config(tree, cache_dir=str(cache_dir)))
    assert not (tree / ".kubetune-cache").exists()
    assert all(Path(f).is_relative_to(cache_dir) for f in bundle.cache_files)
    assert prepare_data(_config(tree, cache_dir=str(cache_dir))).decoded == 0


def test_no_cache_mode_writes_nothing_and_matches_the_cached_pixels(tree):
    uncached = prepare_data(_config(tree, cache=False))
    assert not (tree / ".kubetune-cache").exists()
    cached = prepare_data(_config(tree))
    assert uncached.mean == pytest.approx(cached.mean) and uncached.std == pytest.approx(cached.std)
    assert torch.equal(uncached.val[3][0], cached.val[3][0])


def test_a_data_file_that_does_not_match_its_index_is_never_used(tree):
    prepare_data(_config(tree))
    data = tree / ".kubetune-cache" / "train-16-3.u8"
    raw = bytearray(data.read_bytes())
    raw[8:24] = os.urandom(16)  # another build's token: as if caught between two renames
    raw[64:] = bytes(len(raw) - 64)  # and garbage pixels
    data.write_bytes(bytes(raw))
    bundle = prepare_data(_config(tree))
    assert bundle.decoded == 12
    assert bundle.train[0][0].any()


def test_datasets_pickle_small_for_dataloader_workers(tree):
    bundle = prepare_data(_config(tree, augment="base"))
    bundle.train[0]  # opens the memmap in this process
    blob = pickle.dumps(bundle.train)
    assert len(blob) < 20_000
    clone = copy.deepcopy(bundle.train)  # rebuilt through the same __reduce__ path as the pickle
    assert clone.store._array is None  # reopened lazily in the worker, not copied
    assert np.array_equal(clone.store.get(3), bundle.train.store.get(3))
    assert clone[3][0].shape == (3, 16, 16)


def _run_two_children(path: str, cache_dir: str | None, use_lock: bool) -> list[tuple[int, str]]:
    # fork: the children reuse the loaded modules (no second torch import) and touch no torch thread pool.
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(2)
    results = context.Queue()
    children = [context.Process(target=build_in_child, args=(path, cache_dir, use_lock, barrier, results))
                for _ in range(2)]
    for child in children:
        child.start()
    for child in children:
        child.join(timeout=120)
    assert [child.exitcode for child in children] == [0, 0]
    return [results.get(timeout=10) for _ in children]


@pytest.mark.parametrize("use_lock", [True, False], ids=["locked", "lock-free"])
def test_two_processes_building_at_once_both_succeed(tmp_path, use_lock):
    # Big enough files that decoding takes a while, so the two builds overlap.
    for c in range(3):
        for i in range(40):
            save_image(tmp_path / str(c) / f"{i}.png", seed=c * 100 + i, size=160)
    outcome = _run_two_children(str(tmp_path), None, use_lock)
    (decoded_1, digest_1), (decoded_2, digest_2) = outcome
    assert digest_1 == digest_2  # both read identical, complete pixels
    if use_lock:
        assert sorted([decoded_1, decoded_2]) == [0, 120]  # one built, the other waited and reused
    else:
        assert decoded_1 > 0 or decoded_2 > 0
    assert prepare_data(_config(tmp_path, image_size=24)).decoded == 0  # a valid cache is left behind
    assert not list((tmp_path / ".kubetune-cache").glob("*.tmp-*"))


def test_unwritable_cache_folder_falls_back_to_the_user_cache(tree, tmp_path_factory, monkeypatch):
    home_cache = tmp_path_factory.mktemp("xdg")
    monkeypatch.setenv("XDG_CACHE_HOME", str(home_cache))
    (tree / ".kubetune-cache").write_text("a file where the cache folder would go")
    bundle = prepare_data(_config(tree))
    assert bundle.decoded == 16
    assert all(Path(f).is_relative_to(home_cache / "kubetune") for f in bundle.cache_files)
    assert prepare_data(_config(tree)).decoded == 0


def test_relabelled_csv_reuses_pixels_and_refreshes_the_index(tmp_path):
    rows = ["path,label"]
    for i in range(8):
        save_image(tmp_path / f"{i}.png", i)
        rows.append(f"{i}.png,{'x' if i < 4 else 'y'}")
    manifest = tmp_path / "m.csv"
    manifest.write_text("\n".join(rows) + "\n")
    assert prepare_data(_config(manifest)).decoded == 8
    manifest.write_text("\n".join(rows).replace(",x", ",z") + "\n")
    bundle = prepare_data(_config(manifest))
    assert bundle.decoded == 0 and bundle.classes == ["y", "z"]
    index = json.loads((tmp_path / ".kubetune-cache" / "csv-m-16-3.json").read_text())
    assert index["labels"][:4] == ["z"] * 4
