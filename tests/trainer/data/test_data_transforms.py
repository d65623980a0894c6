import pytest
import torch

from trainer.data import AUGMENT_PRESETS, DataConfig, build_augment, prepare_data


@pytest.mark.parametrize("channels", [1, 3])
@pytest.mark.parametrize("preset", AUGMENT_PRESETS)
def test_every_preset_returns_uint8_images_of_the_same_shape(preset, channels):
    torch.manual_seed(0)
    image = torch.randint(0, 256, (channels, 32, 32), dtype=torch.uint8)
    transform = build_augment(preset, 32)
    for _ in range(5):
        out = image if transform is None else transform(image)
        assert out.dtype == torch.uint8 and out.shape == (channels, 32, 32)
    if preset != "none":
        changed = any(not torch.equal(transform(image), image) for _ in range(10))
        assert changed, f"{preset} never changed the image"


def test_unknown_preset_lists_the_valid_ones():
    with pytest.raises(ValueError, match="valid presets: base, affine, gaussian, randaugment"):
        build_augment("mixup", 32)
    with pytest.raises(ValueError, match="augment must be one of base, affine"):
        DataConfig(path="x", augment="BaseAugmentation")


def test_base_preset_shifts_without_mirroring():
    # A left-heavy image must stay left-heavy: base never flips (a mirrored digit is another symbol).
    image = torch.zeros((1, 32, 32), dtype=torch.uint8)
    image[:, :, :8] = 255
    transform = build_augment("base", 32)
    torch.manual_seed(1)
    for _ in range(50):
        out = transform(image).float()
        assert out[:, :, :16].sum() > out[:, :, 16:].sum()


def test_only_the_train_dataset_is_augmented(digits_dir):
    bundle = prepare_data(DataConfig(str(digits_dir), image_size=16, augment="affine"))
    assert bundle.val.transform is None and bundle.test.transform is None
    torch.manual_seed(0)
    draws = [bundle.train[0][0] for _ in range(5)]
    assert any(not torch.equal(draws[0], d) for d in draws[1:])
    assert all(d.dtype == torch.uint8 and d.shape == (3, 16, 16) for d in draws)
    assert torch.equal(bundle.val[0][0], bundle.val[0][0])
