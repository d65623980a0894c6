"""Model zoo of the trial program: registry, families, complexity, pretrained weights.

    from trainer.models import create_model, list_models
    model = create_model("efficientnet-b0", num_classes=10, phi=1.0)

Families: efficientnet-b0..b7 (efficientnet-pytorch, compound scaling), vit (vit-pytorch),
torchvision classifiers, `yaml` block networks and `cells` (the Optuna lecture's macro structure).
"""

from trainer.models.blocks.cells import cells_to_yaml
from trainer.models.complexity import count_macs, count_params
from trainer.models.efficientnet import compound_multipliers, compound_resolution, parse_scaling
from trainer.models.registry import (
    create_model,
    list_models,
    load_pretrained,
    model_family,
    model_kwargs,
    register_model,
)

__all__ = [
    "create_model", "list_models", "model_kwargs", "model_family", "register_model", "load_pretrained",
    "count_params", "count_macs", "compound_resolution", "compound_multipliers", "parse_scaling", "cells_to_yaml",
]
