"""Decode one image file into a uint8 [C, H, W] array at the training size.

Training, the cache, and inference all go through `decode_image`, so a model sees the same
pixels at predict time as during training.
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageOps

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".webp", ".gif", ".tif", ".tiff")

_HIGH_DEPTH_MODES = ("I", "I;16", "I;16B", "I;16L", "I;16N", "F")


def is_image_file(name: str) -> bool:
    return name.lower().endswith(IMAGE_EXTENSIONS)


def _to_8bit(image: Image.Image) -> Image.Image:
    """16-bit/float images (TIFF, medical PNG) scaled to 0..255; Pillow's convert would clip them."""
    values = np.asarray(image, dtype=np.float64)
    lo, hi = float(values.min()), float(values.max())
    scaled = np.zeros_like(values) if hi <= lo else (values - lo) * (255.0 / (hi - lo))
    return Image.fromarray(np.rint(scaled).astype(np.uint8), mode="L")


def _to_channels(image: Image.Image, channels: int) -> Image.Image:
    if image.mode in _HIGH_DEPTH_MODES:
        image = _to_8bit(image)
    if image.mode == "P" and "transparency" in image.info:
        image = image.convert("RGBA")  # avoids Pillow's palette-transparency warning
    if image.mode in ("RGBA", "LA", "PA"):
        # Transparent pixels become white, the usual background of cut-out images and icons.
        background = Image.new("RGBA", image.size, (255, 255, 255, 255))
        image = Image.alpha_composite(background, image.convert("RGBA"))
    target = "L" if channels == 1 else "RGB"
    return image if image.mode == target else image.convert(target)


def decode_image(path: str, image_size: int, channels: int) -> np.ndarray:
    """Whole image (EXIF orientation applied) resized to image_size x image_size, as uint8 [C, H, W].

    The whole image is kept (aspect ratio is not preserved) so nothing at the borders is lost;
    Pillow's bilinear resize antialiases when shrinking. Raises on unreadable/corrupt files.
    """
    with Image.open(path) as image:
        # JPEG only: decode at a reduced DCT scale that is still >= the target size (much faster).
        image.draft("L" if channels == 1 else "RGB", (image_size, image_size))
        image = ImageOps.exif_transpose(image)  # also forces the full decode, so truncation raises here
        image = _to_channels(image, channels)
        if image.size != (image_size, image_size):
            image = image.resize((image_size, image_size), Image.Resampling.BILINEAR)
        array = np.asarray(image, dtype=np.uint8)
    array = array[None, :, :] if array.ndim == 2 else array.transpose(2, 0, 1)
    return np.array(array, order="C")  # one copy: contiguous and writable (torch.from_numpy wants that)


def describe_failure(error: BaseException) -> str:
    text = str(error).strip() or "unreadable"
    return f"{type(error).__name__}: {text}"
