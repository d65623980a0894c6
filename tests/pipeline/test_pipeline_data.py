"""The data step: folder splits used as they are, a test split held out when there is none (no test
image in the trials' data), corrupt images listed (or skipped), datasets published to S3 fetched
and verified, and the decoded cache built for the trials."""
from __future__ import annotations

import csv
import json
import shutil
import socket
from pathlib import Path

import pytest

from kubetune.steps.data import PrepareError, load_prepared, prepare_dataset


def quiet(_: str) -> None:
    pass


def rows(path: str | Path) -> list[dict]:
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


def small_folder(digits16: Path, dest: Path, classes=("0", "1", "2"), per_class: int = 20) -> Path:
    """A single folder of class folders (no train/val/test split), copied from the digits."""
    for c in classes:
        (dest / c).mkdir(parents=True)
        for f in sorted((digits16 / "train" / c).glob("*.png"))[:per_class]:
            shutil.copy(f, dest / c / f.name)
    return dest


def test_folder_splits_are_used_as_they_are_and_the_cache_is_built(digits16, tmp_path):
    prepared = prepare_dataset(str(digits16), str(tmp_path / "art"), work_dir=str(tmp_path / "work"), image_size=16,
                               cache_dir=str(tmp_path / "work" / "cache"), say=quiet)
    assert prepared.layout == "folders" and prepared.data_path == str(digits16)
    assert prepared.counts == {"train": 1258, "val": 267, "test": 272}
    test = rows(prepared.test_csv)
    assert len(test) == 272 and all(Path(r["path"]).is_absolute() and "/test/" in r["path"] for r in test)
    assert {r["label"] for r in test} == {str(i) for i in range(10)}
    assert prepared.cache_files and all(Path(f).is_file() and f.startswith(str(tmp_path / "work" / "cache"))
                                        for f in prepared.cache_files)
    assert f"--cache-dir={tmp_path / 'work' / 'cache'}" in prepared.trial_args
    assert load_prepared(str(tmp_path / "art")) == prepared  # dataset.json round trip


def test_a_test_split_is_held_out_when_the_data_has_none(digits16, tmp_path):
    data = small_folder(digits16, tmp_path / "flat")
    prepared = prepare_dataset(str(data), str(tmp_path / "art"), work_dir=str(tmp_path / "work"), image_size=16,
                               test_ratio=0.25, seed=3, say=quiet)
    assert prepared.layout == "held-out"
    train = {r["path"] for r in rows(prepared.data_path)}
    test = {r["path"] for r in rows(prepared.test_csv)}
    assert len(test) == 15 and len(train) == 45 and not train & test  # no trial ever sees a test image
    assert {r["label"] for r in rows(prepared.test_csv)} == {"0", "1", "2"}  # stratified
    assert prepared.counts["test"] == 15 and prepared.counts["train"] + prepared.counts["val"] == 45
    again = prepare_dataset(str(data), str(tmp_path / "art2"), work_dir=str(tmp_path / "work2"), image_size=16,
                            test_ratio=0.25, seed=3, say=quiet)
    assert {r["path"] for r in rows(again.test_csv)} == test  # seeded: the same split every time


def test_corrupt_images_are_all_listed_or_skipped(digits16, tmp_path):
    data = small_folder(digits16, tmp_path / "flat")
    for name in ("1/broken.png", "2/truncated.png"):
        (data / name).write_bytes(b"\x89PNG\r\n\x1a\n not really")
    with pytest.raises(PrepareError) as info:
        prepare_dataset(str(data), str(tmp_path / "art"), work_dir=str(tmp_path / "w"), image_size=16, say=quiet)
    assert "broken.png" in str(info.value) and "truncated.png" in str(info.value)
    prepared = prepare_dataset(str(data), str(tmp_path / "art2"), work_dir=str(tmp_path / "w2"), image_size=16,
                               skip_corrupt=True, say=quiet)
    assert {Path(p).name for p in prepared.skipped} == {"broken.png", "truncated.png"}
    assert not any("broken" in r["path"] or "truncated" in r["path"] for r in rows(prepared.test_csv))
    assert "--skip-corrupt=true" in prepared.trial_args


@pytest.mark.parametrize("dataset, message", [("/no/such/dir", "does not exist"),
                                              ("gs://bucket/data", "unsupported scheme"),
                                              ("", "empty")])
def test_bad_dataset_locations_say_what_is_allowed(dataset, message, tmp_path):
    from trainer.data import DataError

    with pytest.raises((PrepareError, DataError), match=message):
        prepare_dataset(dataset, str(tmp_path / "art"), work_dir=str(tmp_path / "w"), image_size=16, say=quiet)


@pytest.mark.slow
def test_a_dataset_published_to_s3_is_fetched_verified_once(digits16, tmp_path, monkeypatch):
    from moto.server import ThreadedMotoServer

    from kubetune.store import S3Store
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        monkeypatch.setenv("S3_ENDPOINT", f"http://127.0.0.1:{port}")
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        store = S3Store.from_env("datasets", "")
        store.client.make_bucket("datasets")
        store.publish(str(small_folder(digits16, tmp_path / "flat")), "digits-small")
        lines: list[str] = []
        prepared = prepare_dataset("s3://datasets/digits-small", str(tmp_path / "art"), work_dir=str(tmp_path / "w"),
                                   image_size=16, say=lines.append)
        local = tmp_path / "w" / "datasets" / "datasets" / "digits-small"
        assert (local / "MANIFEST.json").is_file() and prepared.source == "s3://datasets/digits-small"
        assert prepared.counts["test"] == 9 and all(r["path"].startswith(str(local)) for r in rows(prepared.test_csv))
        prepare_dataset("s3://datasets/digits-small", str(tmp_path / "art2"), work_dir=str(tmp_path / "w"),
                        image_size=16, say=lines.append)
        assert any("already fetched" in line for line in lines)
        with pytest.raises(PrepareError, match="not published|Publish the dataset"):
            prepare_dataset("s3://datasets/nothing-here", str(tmp_path / "art3"), work_dir=str(tmp_path / "w"),
                            image_size=16, say=quiet)
    finally:
        server.stop()


def test_dataset_json_is_what_the_ensemble_and_report_read(digits16, tmp_path):
    prepare_dataset(str(digits16), str(tmp_path / "art"), work_dir="", image_size=16, say=quiet)
    data = json.loads((tmp_path / "art" / "dataset.json").read_text())
    assert set(data) >= {"source", "data_path", "test_csv", "classes", "counts", "skipped", "trial_args"}
