"""Vision Transformer (vit-pytorch `ViT`) with the seed-001 search space.

The seed searches `patch-num` (patches per side) rather than the patch size, so both are accepted:
patch_size = image_size // patch_num. vit-pytorch gives each head its own `dim_head` (default 64),
so `dim` need not be divisible by `heads`; `dim_head="auto"` splits `dim` across the heads instead
(the classic ViT layout), which then requires dim % heads == 0.
"""

from __future__ import annotations

from torch import nn

from trainer.errors import ConfigError
from trainer.models.registry import register_model

__all__ = ["build_vit", "resolve_patch_size"]

DEFAULT_PATCH_SIZE = 16


def resolve_patch_size(image_size: int, patch_size: int | None, patch_num: int | None) -> int:
    """The patch size for a square image, from patch_size or patch_num (patches per side)."""
    if patch_num is not None:
        if patch_num < 1:
            raise ConfigError(f"vit: patch_num must be >= 1, found {patch_num}")
        if image_size % patch_num:
            raise ConfigError(
                f"vit: image_size {image_size} is not divisible by patch_num {patch_num} "
                f"(patches per side); valid patch_num: {_divisors(image_size)}"
            )
        derived = image_size // patch_num
        if patch_size is not None and patch_size != derived:
            raise ConfigError(
                f"vit: patch_size {patch_size} contradicts patch_num {patch_num} "
                f"(image_size {image_size} // patch_num = {derived}); give only one of them"
            )
        return derived
    size = DEFAULT_PATCH_SIZE if patch_size is None else patch_size
    if size < 1:
        raise ConfigError(f"vit: patch_size must be >= 1, found {size}")
    if image_size % size:
        given = "patch_size" if patch_size is not None else "the default patch_size"
        raise ConfigError(
            f"vit: image_size {image_size} is not divisible by {given} {size}; "
            f"valid patch sizes: {_divisors(image_size)}"
        )
    return size


def _divisors(n: int) -> list[int]:
    return [d for d in range(1, n + 1) if n % d == 0]


@register_model("vit", family="vit")
def build_vit(
    num_classes: int,
    *,
    image_size: int = 224,
    patch_size: int | None = None,
    patch_num: int | None = None,
    dim: int = 128,
    depth: int = 6,
    heads: int = 8,
    mlp_dim: int = 256,
    dim_head: int | str = 64,
    dropout: float = 0.0,
    emb_dropout: float = 0.0,
    channels: int | None = None,
    in_channels: int | None = None,
    pool: str = "cls",
) -> nn.Module:
    """vit-pytorch ViT. `channels` (vit-pytorch's name) and `in_channels` are the same thing."""
    from vit_pytorch import ViT

    for name, value in (("image_size", image_size), ("dim", dim), ("depth", depth), ("heads", heads), ("mlp_dim", mlp_dim)):
        if value < 1:
            raise ConfigError(f"vit: {name} must be >= 1, found {value}")
    if channels is not None and in_channels is not None and channels != in_channels:
        raise ConfigError(f"vit: channels {channels} and in_channels {in_channels} disagree; give one")
    n_channels = next((c for c in (channels, in_channels) if c is not None), 3)
    if n_channels < 1:
        raise ConfigError(f"vit: channels must be >= 1, found {n_channels}")
    head_dim = _resolve_dim_head(dim_head, dim, heads)
    for name, value in (("dropout", dropout), ("emb_dropout", emb_dropout)):
        if not 0 <= value < 1:
            raise ConfigError(f"vit: {name} must be in [0, 1), found {value}")
    if pool not in ("cls", "mean"):
        raise ConfigError(f"vit: pool must be 'cls' or 'mean', found {pool!r}")
    patch = resolve_patch_size(image_size, patch_size, patch_num)
    return ViT(
        image_size=image_size,
        patch_size=patch,
        num_classes=num_classes,
        dim=dim,
        depth=depth,
        heads=heads,
        mlp_dim=mlp_dim,
        dim_head=head_dim,
        dropout=dropout,
        emb_dropout=emb_dropout,
        channels=n_channels,
        pool=pool,
    )


def _resolve_dim_head(dim_head: int | str, dim: int, heads: int) -> int:
    if isinstance(dim_head, str):
        text = dim_head.strip().lower()
        if text == "auto":
            if dim % heads:
                raise ConfigError(
                    f"vit: dim {dim} is not divisible by heads {heads} (dim_head='auto' splits dim across "
                    f"heads); choose dim a multiple of heads or a fixed dim_head"
                )
            return dim // heads
        try:
            dim_head = int(text)
        except ValueError:
            raise ConfigError(f"vit: dim_head must be a positive integer or 'auto', found {dim_head!r}") from None
    if isinstance(dim_head, bool) or dim_head < 1:
        raise ConfigError(f"vit: dim_head must be a positive integer or 'auto', found {dim_head!r}")
    return dim_head
