"""Image data for trials: sources (ImageFolder, CSV), splits, decoded cache, augmentation.

See docs/dev/trainer-interfaces.md ("trainer/data/") for the contract.
"""

from .config import DataBundle, DataConfig
from .datasets import ImageDataset, InferenceDataset
from .decode import IMAGE_EXTENSIONS, decode_image
from .digits import write_digits
from .errors import DataError
from .prepare import prepare_data
from .sampling import class_weighted_sampler
from .sources import list_images
from .splits import group_split, random_split, stratified_split
from .stats import normalize_batch
from .transforms import AUGMENT_PRESETS, build_augment

__all__ = [
    "AUGMENT_PRESETS",
    "IMAGE_EXTENSIONS",
    "DataBundle",
    "DataConfig",
    "DataError",
    "ImageDataset",
    "InferenceDataset",
    "build_augment",
    "class_weighted_sampler",
    "decode_image",
    "group_split",
    "list_images",
    "normalize_batch",
    "prepare_data",
    "random_split",
    "stratified_split",
    "write_digits",
]
