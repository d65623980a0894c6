import pytest

from data_helpers import make_class_folders, write_corrupt
from trainer.data import DataConfig, DataError, prepare_data


@pytest.fixture
def tree_with_corrupt_images(tmp_path):
    make_class_folders(tmp_path / "train", {"a": 4, "b": 4})
    make_class_folders(tmp_path / "val", {"a": 2, "b": 2}, start_seed=20)
    bad = [
        write_corrupt(tmp_path / "train" / "a" / "garbage.png", "garbage"),
        write_corrupt(tmp_path / "train" / "b" / "empty.jpg", "empty"),
        write_corrupt(tmp_path / "val" / "b" / "truncated.png", "truncated"),
    ]
    return tmp_path, bad


@pytest.mark.parametrize("cache", [True, False])
def test_corrupt_images_are_all_listed_in_one_error(tree_with_corrupt_images, cache):
    root, bad = tree_with_corrupt_images
    with pytest.raises(DataError) as info:
        prepare_data(DataConfig(str(root), image_size=16, cache=cache))
    message = str(info.value)
    assert "unreadable or corrupt images" in message and "(3)" in message
    for path in bad:
        assert str(path) in message
    assert "skip_corrupt" in message


@pytest.mark.parametrize("cache", [True, False])
def test_skip_corrupt_counts_and_drops_them(tree_with_corrupt_images, cache):
    root, _ = tree_with_corrupt_images
    bundle = prepare_data(DataConfig(str(root), image_size=16, cache=cache, skip_corrupt=True))
    assert bundle.skipped == ["train/a/garbage.png", "train/b/empty.jpg", "val/b/truncated.png"]
    assert (len(bundle.train), len(bundle.val)) == (8, 4)
    assert not {"train/a/garbage.png", "train/b/empty.jpg"} & set(bundle.train.ids)
    for index in range(len(bundle.train)):
        assert bundle.train[index][0].shape == (3, 16, 16)


def test_corrupt_verdicts_come_from_the_cache_without_decoding_again(tree_with_corrupt_images):
    root, bad = tree_with_corrupt_images
    first = prepare_data(DataConfig(str(root), image_size=16, skip_corrupt=True))
    assert first.decoded == 15
    with pytest.raises(DataError, match="corrupt"):
        prepare_data(DataConfig(str(root), image_size=16))  # still reported from the index
    again = prepare_data(DataConfig(str(root), image_size=16, skip_corrupt=True))
    assert again.decoded == 0 and again.skipped == first.skipped


def test_a_class_whose_images_are_all_corrupt_is_an_error(tmp_path):
    make_class_folders(tmp_path, {"a": 4})
    write_corrupt(tmp_path / "b" / "x.png", "garbage")
    write_corrupt(tmp_path / "b" / "y.png", "garbage")
    with pytest.raises(DataError, match=r"\['b'\] have no readable training images"):
        prepare_data(DataConfig(str(tmp_path), image_size=16, skip_corrupt=True))
