"""Training augmentation presets (torchvision.transforms.v2 on uint8 [C, H, W] tensors).

Presets (seed 002 searched over Base/Affine/Gaussian; the rest are torchvision's policies):
  base            light random crop after edge padding (up to 1/8 of the side). No horizontal
                  flip: it changes the label of digits and text (a mirrored 2 or 7 is not a digit),
                  so flipping is left to the policies below for data where it is safe.
  affine          base's shift plus RandomAffine (rotation, translation, scale, shear).
  gaussian        GaussianBlur and additive gaussian noise (each half the time), rounded and
                  clamped back into uint8.
  randaugment, autoaugment, trivialaugment   torchvision's RandAugment, AutoAugment (ImageNet
                  policy) and TrivialAugmentWide.
  none            identity.
Every preset keeps dtype uint8 and shape [C, image_size, image_size], for C = 1 or 3.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torchvision.transforms import v2

AUGMENT_PRESETS = ("base", "affine", "gaussian", "randaugment", "autoaugment", "trivialaugment", "none")


class UInt8GaussianNoise(torch.nn.Module):
    """Additive gaussian noise for uint8 images (v2.GaussianNoise only takes float images)."""

    def __init__(self, max_std: float = 10.0):
        super().__init__()
        self.max_std = max_std

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        std = float(torch.empty(()).uniform_(0.0, self.max_std))
        noisy = image.to(torch.float32) + torch.randn(image.shape) * std
        return noisy.round_().clamp_(0, 255).to(torch.uint8)


def _pad(image_size: int) -> int:
    return max(1, image_size // 8)


def build_augment(name: str, image_size: int) -> Callable[[torch.Tensor], torch.Tensor] | None:
    """The preset's transform for uint8 [C, H, W] tensors (C = 1 or 3), or None for 'none'."""
    if name not in AUGMENT_PRESETS:
        raise ValueError(f"unknown augmentation preset {name!r}; valid presets: {', '.join(AUGMENT_PRESETS)}")
    if name == "none":
        return None
    crop = v2.RandomCrop(image_size, padding=_pad(image_size), padding_mode="edge")
    if name == "base":
        return crop
    if name == "affine":
        return v2.Compose([crop, v2.RandomAffine(degrees=10, translate=(0.1, 0.1), scale=(0.9, 1.1), shear=5)])
    if name == "gaussian":
        kernel = max(3, (image_size // 16) | 1)  # odd, grows with the image
        return v2.Compose([
            v2.RandomApply([v2.GaussianBlur(kernel_size=kernel, sigma=(0.1, 1.5))], p=0.5),
            v2.RandomApply([UInt8GaussianNoise()], p=0.5),
        ])
    if name == "randaugment":
        return v2.RandAugment()
    if name == "autoaugment":
        return v2.AutoAugment(v2.AutoAugmentPolicy.IMAGENET)
    return v2.TrivialAugmentWide()
