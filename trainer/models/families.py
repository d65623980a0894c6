"""The built-in model families: which model names each holds, and the options that configure it.

A family with options has a TrainConfig section of the same name (`--vit.depth`, `efficientnet:`
in YAML); its option dataclass lives beside its builder (efficientnet_options.py, vit_options.py,
block_options.py). The builder modules register exactly these names under these families (the
registry refuses a built-in name under another family), so this table is the one answer to "which
family is this model", and it imports no torch: the trainer's config and kubetune's pipeline steps
ask it without loading any model code. Use `trainer.models.registry.model_family(name)`, which
also knows models registered at run time and the seeds' spellings.
"""

from __future__ import annotations

from dataclasses import dataclass

from trainer.models import efficientnet_options
from trainer.models.block_options import BlocksArgs
from trainer.models.vit_options import ViTArgs


@dataclass(frozen=True)
class Family:
    name: str                    # also the name of its config section, when it has options
    models: tuple[str, ...]      # built-in model names
    options: type | None = None  # dataclass of the section's keys (`<name>.<key>`)
    free_options: bool = False   # `<name>.<key>` for any keyword its builder accepts (no dataclass)


FAMILIES: dict[str, Family] = {f.name: f for f in (
    Family("efficientnet", efficientnet_options.VARIANTS, options=efficientnet_options.EfficientNetArgs),
    Family("vit", ("vit",), options=ViTArgs),
    Family("torchvision", ("resnet18", "resnet50", "mobilenet_v3_small", "mobilenet_v3_large", "tv_efficientnet_b0")),
    Family("blocks", ("yaml",), options=BlocksArgs),
    Family("cells", ("cells",), free_options=True),
)}

# built-in model name -> family name
BUILTIN_FAMILY: dict[str, str] = {model: f.name for f in FAMILIES.values() for model in f.models}
