import torch
import pytest

from data_helpers import make_class_folders, save_image
from trainer.data import DataConfig, DataError, list_images, prepare_data


def _config(path, **kw):
    kw.setdefault("image_size", 16)
    kw.setdefault("augment", "none")
    return DataConfig(path=str(path), **kw)


def test_imagefolder_with_train_val_test_folders(tmp_path):
    make_class_folders(tmp_path / "train", {"cat": 4, "dog": 5})
    make_class_folders(tmp_path / "val", {"cat": 2, "dog": 1}, start_seed=100)
    make_class_folders(tmp_path / "test", {"dog": 2}, start_seed=200)
    bundle = prepare_data(_config(tmp_path))
    assert bundle.classes == ["cat", "dog"]
    assert (len(bundle.train), len(bundle.val), len(bundle.test)) == (9, 3, 2)
    assert bundle.train_targets == [0] * 4 + [1] * 5
    assert bundle.val.targets == [0, 0, 1] and bundle.test.targets == [1, 1]
    image, label = bundle.val[2]
    assert image.dtype == torch.uint8 and image.shape == (3, 16, 16) and label == 1
    assert bundle.val.ids[2] == "val/dog/img000.png"
    assert bundle.skipped == []


def test_imagefolder_single_root_is_split_by_val_ratio(tmp_path):
    make_class_folders(tmp_path, {"a": 10, "b": 10, "c": 5})
    bundle = prepare_data(_config(tmp_path, val_ratio=0.2, seed=1))
    assert bundle.test is None
    assert (len(bundle.train), len(bundle.val)) == (20, 5)
    assert not set(bundle.train.ids) & set(bundle.val.ids)
    assert sorted(bundle.train.ids + bundle.val.ids) == sorted(
        f"{c}/img{i:03d}.png" for c, n in {"a": 10, "b": 10, "c": 5}.items() for i in range(n))
    assert sorted(bundle.val.targets) == [0, 0, 1, 1, 2]


def test_train_only_layout_splits_val_off_train_and_accepts_valid_alias(tmp_path):
    make_class_folders(tmp_path / "one" / "train", {"x": 6, "y": 6})
    make_class_folders(tmp_path / "one" / "test", {"x": 1, "y": 1}, start_seed=50)
    bundle = prepare_data(_config(tmp_path / "one", val_ratio=0.5))
    assert (len(bundle.train), len(bundle.val), len(bundle.test)) == (6, 6, 2)

    make_class_folders(tmp_path / "two" / "train", {"x": 2, "y": 2})
    make_class_folders(tmp_path / "two" / "valid", {"x": 1, "y": 1}, start_seed=60)
    assert len(prepare_data(_config(tmp_path / "two")).val) == 2


def test_integer_class_names_sort_numerically_and_grayscale_channels(tmp_path):
    make_class_folders(tmp_path, {"2": 3, "10": 3, "1": 3})
    bundle = prepare_data(_config(tmp_path, channels=1))
    assert bundle.classes == ["1", "2", "10"]
    assert bundle.train[0][0].shape == (1, 16, 16) and len(bundle.mean) == 1


def test_csv_manifest_with_relative_and_absolute_paths_and_groups(tmp_path):
    images = tmp_path / "imgs"
    rows = ["path,label,group"]
    for i in range(12):
        save_image(images / f"{i}.jpg", i)
        rows.append(f"imgs/{i}.jpg,{'mask' if i % 2 else 'nomask'},person{i // 3}")
    outside = save_image(tmp_path / "elsewhere" / "far.png", 77)
    rows.append(f"{outside},mask,person9")
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "imgs").symlink_to(images)
    (tmp_path / "data" / "labels.csv").write_text("\n".join(rows) + "\n")

    bundle = prepare_data(_config(tmp_path / "data" / "labels.csv", split="group", val_ratio=0.25))
    assert bundle.classes == ["mask", "nomask"]
    assert len(bundle.train) + len(bundle.val) == 13
    train_people = {i // 3 for i in range(12) if f"imgs/{i}.jpg" in bundle.train.ids}
    val_people = {i // 3 for i in range(12) if f"imgs/{i}.jpg" in bundle.val.ids}
    assert train_people and val_people and not train_people & val_people
    assert str(outside) in bundle.train.ids + bundle.val.ids
    assert (tmp_path / "data" / ".kubetune-cache" / "csv-labels-16-3.json").is_file()


def test_list_images_is_recursive_sorted_and_skips_hidden_and_other_files(tmp_path):
    save_image(tmp_path / "b" / "deep" / "x.PNG", 1)
    save_image(tmp_path / "a.jpeg", 2)
    save_image(tmp_path / ".hidden" / "y.png", 3)
    (tmp_path / "notes.txt").write_text("no")
    found = list_images(tmp_path)
    assert [p[len(str(tmp_path)) + 1:] for p in found] == ["a.jpeg", "b/deep/x.PNG"]
    with pytest.raises(DataError, match="does not exist"):
        list_images(tmp_path / "nope")


# --- bad inputs: each gives a DataError naming the file/row and what is wrong -----------------

def test_missing_path(tmp_path):
    with pytest.raises(DataError, match=r"nope.*does not exist"):
        prepare_data(_config(tmp_path / "nope"))


def test_empty_class_folder_is_named(tmp_path):
    make_class_folders(tmp_path, {"a": 2, "b": 2})
    (tmp_path / "empty_one").mkdir()
    (tmp_path / "empty_one" / "readme.txt").write_text("not an image")
    with pytest.raises(DataError, match=r"(?s)empty class folders.*empty_one"):
        prepare_data(_config(tmp_path))


def test_class_in_val_but_not_in_train(tmp_path):
    make_class_folders(tmp_path / "train", {"a": 2, "b": 2})
    make_class_folders(tmp_path / "val", {"a": 1, "zebra": 1}, start_seed=10)
    with pytest.raises(DataError, match=r"(?s)\['zebra'\].*val.*not in.*train"):
        prepare_data(_config(tmp_path))


def test_val_folder_without_train_folder(tmp_path):
    make_class_folders(tmp_path / "val", {"a": 1, "b": 1})
    with pytest.raises(DataError, match="has val/ but no train/"):
        prepare_data(_config(tmp_path))


def test_fewer_than_two_classes(tmp_path):
    make_class_folders(tmp_path, {"only": 4})
    with pytest.raises(DataError, match="at least 2"):
        prepare_data(_config(tmp_path))


def test_folder_without_class_folders(tmp_path):
    save_image(tmp_path / "loose.png", 1)
    with pytest.raises(DataError, match=r"no class folders \(found 1 image"):
        prepare_data(_config(tmp_path))


def test_csv_with_missing_columns_names_the_file_and_header(tmp_path):
    manifest = tmp_path / "m.csv"
    manifest.write_text("file,class\na.png,x\n")
    with pytest.raises(DataError, match=r"m\.csv lacks column\(s\) \['path', 'label'\].*\['file', 'class'\]"):
        prepare_data(_config(manifest))


def test_csv_rows_with_missing_files_or_empty_labels_are_all_listed(tmp_path):
    save_image(tmp_path / "ok.png", 1)
    manifest = tmp_path / "m.csv"
    manifest.write_text("path,label\nok.png,x\nghost.png,y\nok.png,\nghost2.png,y\n")
    with pytest.raises(DataError) as info:
        prepare_data(_config(manifest))
    message = str(info.value)
    assert "m.csv has bad rows (3)" in message
    assert "row 3: ghost.png does not exist" in message
    assert "row 4: empty label" in message
    assert "row 5: ghost2.png does not exist" in message


def test_group_split_without_groups_and_other_bad_config(tmp_path):
    make_class_folders(tmp_path, {"a": 3, "b": 3})
    with pytest.raises(DataError, match="group"):
        prepare_data(_config(tmp_path, split="group"))
    with pytest.raises(DataError, match="not a .csv"):
        prepare_data(_config(tmp_path / "a" / "img000.png"))
    with pytest.raises(DataError, match="URI"):
        prepare_data(_config("s3://bucket/data"))
    with pytest.raises(ValueError, match="val_ratio"):
        _config(tmp_path, val_ratio=1.0)
    with pytest.raises(ValueError, match="split must be one of stratified, group, random"):
        _config(tmp_path, split="kfold")
    with pytest.raises(ValueError, match="channels"):
        _config(tmp_path, channels=4)
