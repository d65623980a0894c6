import csv
import hashlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from sklearn.datasets import load_digits

from trainer.data import DataError, list_images, write_digits


def _tree_digest(root: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file() and ".kubetune-cache" not in p.parts):
        digest.update(str(path.relative_to(root)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def test_digits_are_real_pngs_with_the_right_counts_and_split(digits_dir):
    per_split = {name: list_images(digits_dir / name) for name in ("train", "val", "test")}
    counts = {name: len(paths) for name, paths in per_split.items()}
    assert sum(counts.values()) == 1797
    assert counts["train"] == pytest.approx(0.70 * 1797, abs=15)
    assert counts["val"] == pytest.approx(0.15 * 1797, abs=15)
    assert counts["test"] == pytest.approx(0.15 * 1797, abs=15)
    assert sorted(p.name for p in (digits_dir / "train").iterdir()) == [str(d) for d in range(10)]

    names = [Path(p).name for paths in per_split.values() for p in paths]
    assert len(set(names)) == 1797  # every image in exactly one split

    target = load_digits().target
    for split, paths in per_split.items():
        labels = [int(Path(p).parent.name) for p in paths]
        assert set(labels) == set(range(10)), split
        assert all(target[int(Path(p).stem)] == int(Path(p).parent.name) for p in paths)
        # stratified: each class's share in the split is close to its share overall
        for digit in range(10):
            share = labels.count(digit) / len(labels)
            assert share == pytest.approx(np.mean(target == digit), abs=0.02)

    sample = per_split["train"][0]
    with Image.open(sample) as image:
        assert image.format == "PNG" and image.mode == "L" and image.size == (16, 16)
        pixels = np.asarray(image)
    original = load_digits().images[int(Path(sample).stem)]
    expected = np.asarray(Image.fromarray(np.rint(original * 255 / 16).astype(np.uint8), mode="L")
                          .resize((16, 16), Image.Resampling.BILINEAR))
    assert np.array_equal(pixels, expected)


def test_digits_test_csv_lists_the_test_split_with_true_labels(digits_dir):
    with open(digits_dir / "test.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    test_files = {str(Path(p).relative_to(digits_dir)) for p in list_images(digits_dir / "test")}
    assert {row["path"] for row in rows} == test_files
    assert all(row["label"] == Path(row["path"]).parent.name for row in rows)
    assert "load_digits" in (digits_dir / "README.txt").read_text()


def test_digits_are_deterministic_per_seed_and_a_rewrite_leaves_no_stale_files(tmp_path):
    write_digits(tmp_path / "a", image_size=8, seed=3)
    write_digits(tmp_path / "b", image_size=8, seed=3)
    assert _tree_digest(tmp_path / "a") == _tree_digest(tmp_path / "b")

    write_digits(tmp_path / "a", image_size=8, seed=4)  # same folder, another split
    assert _tree_digest(tmp_path / "a") != _tree_digest(tmp_path / "b")
    assert len(list_images(tmp_path / "a")) == 1797
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no staging folders left


def test_digits_refuse_to_overwrite_a_foreign_folder(tmp_path):
    (tmp_path / "mine.txt").write_text("keep me")
    with pytest.raises(DataError, match="not empty"):
        write_digits(tmp_path, image_size=8)
    assert (tmp_path / "mine.txt").read_text() == "keep me"
    with pytest.raises(ValueError, match="image_size"):
        write_digits(tmp_path / "x", image_size=4)
