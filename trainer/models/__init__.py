"""Model zoo of the trial program: registry, families, complexity, pretrained weights.

    from trainer.models import create_model, list_models
    model = create_model("efficientnet-b0", num_classes=10, phi=1.0)

What lives where: `registry` (register_model, create_model, model_family, the seeds' name
spellings), `families` (which built-in model is in which family, and the family's options),
one builder module per family (efficientnet, vit, torchvision_models, block_models over blocks/)
with its options beside it (efficientnet_options, vit_options, block_options), `complexity`
(params, MACs), `pretrained` (load_pretrained). Families: efficientnet-b0..b7 (efficientnet-pytorch,
compound scaling), vit (vit-pytorch), torchvision classifiers, `yaml` block networks and `cells`
(the Optuna lecture's macro structure).

Importing this package (or `registry`, `families`, the *_options modules) imports no torch, so the
trainer's config and kubetune's pipeline steps can ask about models cheaply; the names below
that need torch load on first use.
"""

from importlib import import_module

from trainer.models.registry import create_model, list_models, model_family, model_kwargs, register_model

# name -> module, imported on first access (these pull in torch)
_LAZY = {
    "load_pretrained": "trainer.models.pretrained",
    "count_params": "trainer.models.complexity",
    "count_macs": "trainer.models.complexity",
    "compound_resolution": "trainer.models.efficientnet",
    "compound_multipliers": "trainer.models.efficientnet",
    "parse_scaling": "trainer.models.efficientnet",
    "cells_to_yaml": "trainer.models.blocks.cells",
}

__all__ = ["create_model", "list_models", "model_kwargs", "model_family", "register_model", *_LAZY]


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'trainer.models' has no attribute {name!r}")
