"""The vit family's options, the `vit.<key>` config section (seed 001). No torch (see vit.py for the builder)."""

from __future__ import annotations

from dataclasses import dataclass

from trainer.options import option


@dataclass
class ViTArgs:
    """vit-pytorch ViT kwargs (seed 001)."""

    patch_size: int | None = option(None, "patch size in pixels (or give patch_num)", group="model")
    patch_num: int | None = option(None, "patches per side; patch_size = image_size / patch_num",
                                   group="model", aliases=("patch_num",))
    dim: int | None = option(None, "token dimension", group="model", aliases=("vt_dim",))
    depth: int | None = option(None, "transformer blocks", group="model", aliases=("vt_depth",))
    heads: int | None = option(None, "attention heads", group="model", aliases=("vt_heads", "vt_head"))
    mlp_dim: int | None = option(None, "MLP hidden size", group="model", aliases=("mlp_dim",))
    emb_dropout: float | None = option(None, "embedding dropout", group="model", aliases=("emb_dropout",))
