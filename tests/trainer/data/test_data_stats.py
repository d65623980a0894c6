from collections import Counter

import numpy as np
import pytest
import torch

from data_helpers import save_image
from trainer.data import DataConfig, class_weighted_sampler, decode_image, normalize_batch, prepare_data


def test_mean_std_come_from_the_train_split_and_normalise_it(tmp_path):
    for label, count in {"a": 5, "b": 3}.items():
        for i in range(count):
            save_image(tmp_path / "train" / label / f"{i}.png", seed=ord(label) * 10 + i)
    (tmp_path / "val" / "a").mkdir(parents=True)
    from PIL import Image

    Image.new("RGB", (12, 12), (255, 255, 255)).save(tmp_path / "val" / "a" / "white.png")

    bundle = prepare_data(DataConfig(str(tmp_path), image_size=12, augment="none"))
    pixels = np.stack([decode_image(str(tmp_path / i), 12, 3) for i in bundle.train.ids]).astype(np.float64) / 255
    assert bundle.mean == pytest.approx(tuple(pixels.mean(axis=(0, 2, 3))), abs=1e-5)
    assert bundle.std == pytest.approx(tuple(pixels.std(axis=(0, 2, 3))), abs=1e-5)

    batch = torch.stack([bundle.train[i][0] for i in range(len(bundle.train))])
    normalised = normalize_batch(batch, bundle.mean, bundle.std)
    assert normalised.dtype == torch.float32
    assert normalised.mean(dim=(0, 2, 3)).abs().max() < 1e-3
    assert (normalised.std(dim=(0, 2, 3), unbiased=False) - 1).abs().max() < 1e-3


def test_digits_get_their_own_normalisation(digits_dir):
    bundle = prepare_data(DataConfig(str(digits_dir), image_size=16, channels=1, augment="none"))
    assert len(bundle.mean) == 1 and 0.2 < bundle.mean[0] < 0.4  # mostly black background
    assert bundle.mean[0] != pytest.approx(0.485, abs=0.05)  # not ImageNet's


def test_normalize_batch_checks_its_input():
    x = torch.full((2, 3, 4, 4), 255, dtype=torch.uint8)
    out = normalize_batch(x, (0.5, 0.5, 0.5), (0.25, 0.25, 0.25))
    assert torch.allclose(out, torch.full_like(out, 2.0))
    assert normalize_batch(x[0], (0.0, 0.0, 1.0), (1.0, 1.0, 1.0))[2].abs().max() == 0
    with pytest.raises(TypeError, match="uint8"):
        normalize_batch(x.float(), (0.5,) * 3, (0.5,) * 3)
    with pytest.raises(ValueError, match="3 channels"):
        normalize_batch(x, (0.5,), (0.5,))



def test_normalize_batch_builds_its_scale_and_offset_once():
    from trainer.data.stats import _scale_offset
    x = torch.randint(0, 256, (4, 2, 5, 5), dtype=torch.uint8, generator=torch.Generator().manual_seed(0))
    mean, std = (0.1234, 0.5), (0.3, 0.0625)
    first = normalize_batch(x, mean, std)
    before = _scale_offset.cache_info()
    again = normalize_batch(x, list(mean), list(std))       # a checkpoint's lists find the same entry
    after = _scale_offset.cache_info()
    assert (after.hits, after.misses) == (before.hits + 1, before.misses)
    # bit-identical to building the tensors for every batch, as before
    scale = torch.tensor([255.0 * s for s in std], dtype=torch.float32).view(-1, 1, 1)
    offset = torch.tensor([255.0 * m for m in mean], dtype=torch.float32).view(-1, 1, 1)
    expected = (x.to(torch.float32) - offset).div_(scale)
    assert torch.equal(first, expected) and torch.equal(again, expected)
    cached_scale, cached_offset = _scale_offset(mean, std, torch.device("cpu"))
    assert torch.equal(cached_scale, scale) and torch.equal(cached_offset, offset)   # not changed by the calls

def test_class_weighted_sampler_balances_classes():
    targets = [0] * 90 + [1] * 10
    sampler = class_weighted_sampler(targets, num_samples=4000, generator=torch.Generator().manual_seed(0))
    drawn = Counter(targets[i] for i in sampler)
    assert len(sampler) == 4000
    assert drawn[1] / 4000 == pytest.approx(0.5, abs=0.05)
    assert len(class_weighted_sampler(targets)) == 100
    with pytest.raises(ValueError):
        class_weighted_sampler([])


def test_dataloader_workers_batch_the_cached_train_set_with_the_sampler(digits_dir):
    bundle = prepare_data(DataConfig(str(digits_dir), image_size=16, augment="base"))
    loader = torch.utils.data.DataLoader(bundle.train, batch_size=64, num_workers=1,
                                         sampler=class_weighted_sampler(bundle.train_targets))
    images, labels = next(iter(loader))
    assert images.dtype == torch.uint8 and images.shape == (64, 3, 16, 16)
    assert labels.dtype == torch.int64 and labels.max() < len(bundle.classes)
    assert normalize_batch(images, bundle.mean, bundle.std).shape == images.shape
