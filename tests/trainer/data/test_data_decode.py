import numpy as np
import pytest
from PIL import Image

from trainer.data import IMAGE_EXTENSIONS, decode_image, list_images


@pytest.mark.parametrize("ext", IMAGE_EXTENSIONS)
@pytest.mark.parametrize("channels", [1, 3])
def test_every_listed_extension_decodes_to_the_requested_shape(tmp_path, ext, channels):
    rng = np.random.default_rng(0)
    path = tmp_path / f"img{ext}"
    Image.fromarray(rng.integers(0, 256, (30, 40, 3), dtype=np.uint8)).save(path)
    assert list_images(tmp_path) == [str(path)]
    pixels = decode_image(str(path), 16, channels)
    assert pixels.dtype == np.uint8 and pixels.shape == (channels, 16, 16) and pixels.flags.writeable


def test_sixteen_bit_and_transparent_images_are_scaled_not_clipped(tmp_path):
    deep = np.linspace(0, 60000, 16 * 16).reshape(16, 16).astype(np.uint16)
    Image.fromarray(deep).save(tmp_path / "deep.png")
    pixels = decode_image(str(tmp_path / "deep.png"), 16, 1)
    assert pixels.min() == 0 and pixels.max() == 255  # full range, not all 255

    rgba = np.zeros((16, 16, 4), dtype=np.uint8)
    rgba[:8, :, :] = (255, 0, 0, 255)  # top half opaque red, bottom half transparent
    Image.fromarray(rgba, mode="RGBA").save(tmp_path / "cut.png")
    pixels = decode_image(str(tmp_path / "cut.png"), 16, 3)
    assert tuple(pixels[:, 2, 2]) == (255, 0, 0) and tuple(pixels[:, 14, 2]) == (255, 255, 255)


def test_exif_orientation_is_applied(tmp_path):
    wide = np.zeros((20, 40, 3), dtype=np.uint8)
    wide[:, :20] = 255  # left half white
    image = Image.fromarray(wide)
    exif = image.getexif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise on display
    image.save(tmp_path / "rotated.jpg", exif=exif, quality=95)
    pixels = decode_image(str(tmp_path / "rotated.jpg"), 20, 1)[0].astype(int)
    assert pixels[:10].mean() > 200 and pixels[10:].mean() < 50  # white ends up on top
