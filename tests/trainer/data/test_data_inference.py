import pytest
import torch

from data_helpers import save_image, write_corrupt
from trainer.data import DataConfig, DataError, InferenceDataset, decode_image, prepare_data


def test_inference_over_a_folder_matches_training_pixels(digits_dir):
    dataset = InferenceDataset(digits_dir / "test", image_size=16, channels=3)
    assert len(dataset) == 272
    image, image_id = dataset[0]
    assert image.dtype == torch.uint8 and image.shape == (3, 16, 16)
    assert image_id == "0/" + sorted(p.name for p in (digits_dir / "test" / "0").iterdir())[0]

    bundle = prepare_data(DataConfig(str(digits_dir), image_size=16, augment="none"))
    index = bundle.test.ids.index("test/" + image_id)
    assert torch.equal(bundle.test[index][0], image)


def test_inference_over_a_csv_uses_its_paths_as_ids_and_keeps_labels(digits_dir):
    dataset = InferenceDataset(digits_dir / "test.csv", image_size=16, channels=1)
    assert len(dataset) == 272 and dataset.labels is not None
    image, image_id = dataset[5]
    assert image.shape == (1, 16, 16) and image_id.startswith("test/")
    assert dataset.labels[5] == image_id.split("/")[1]


def test_inference_over_one_file_and_bad_inputs(tmp_path):
    path = save_image(tmp_path / "one.png", 3, size=40)
    dataset = InferenceDataset(path, image_size=20, channels=3)
    assert len(dataset) == 1 and dataset[0][1] == "one.png"
    assert torch.equal(dataset[0][0], torch.from_numpy(decode_image(str(path), 20, 3)))

    with pytest.raises(DataError, match="does not exist"):
        InferenceDataset(tmp_path / "missing", 20)
    (tmp_path / "m.csv").write_text("path\nnope.png\n")
    with pytest.raises(DataError, match="row 2: nope.png does not exist"):
        InferenceDataset(tmp_path / "m.csv", 20)
    broken = write_corrupt(tmp_path / "dir" / "broken.png", "garbage")
    with pytest.raises(DataError, match=str(broken)):
        InferenceDataset(tmp_path / "dir", 20)[0]
