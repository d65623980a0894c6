"""ViT: patch size / patch count, divisibility errors, dim/heads compatibility."""

from __future__ import annotations

import pytest
import torch

from trainer.models import count_params, create_model

SMALL = {"dim": 32, "depth": 1, "heads": 2, "mlp_dim": 32}


def test_patch_num_is_patches_per_side() -> None:
    model = create_model("vit", 2, image_size=32, patch_num=4, **SMALL)
    assert model.patch_size == (8, 8)
    assert model.pos_embedding.shape[0] == 4 * 4 + 1  # patches + cls token
    same = create_model("vit", 2, image_size=32, patch_size=8, **SMALL)
    assert count_params(model) == count_params(same)


def test_seed_search_space_values_are_valid() -> None:
    # seed 001: image_size 300 with patch-num 15/10/6/5 all divide; heads 12 with dim 64 is fine
    # because vit-pytorch gives every head dim_head features.
    model = create_model("vit", 2, image_size=300, patch_num=15, dim=64, depth=1, heads=12, mlp_dim=16)
    assert model.patch_size == (20, 20)


def test_image_not_divisible_by_patch_size_names_both() -> None:
    with pytest.raises(ValueError) as err:
        create_model("vit", 2, image_size=30, patch_size=16, **SMALL)
    assert "image_size 30" in str(err.value) and "patch_size 16" in str(err.value)
    assert "15" in str(err.value)  # lists the valid patch sizes


def test_image_not_divisible_by_patch_num_names_both() -> None:
    with pytest.raises(ValueError, match="image_size 32 is not divisible by patch_num 5"):
        create_model("vit", 2, image_size=32, patch_num=5, **SMALL)


def test_default_patch_size_must_divide_too() -> None:
    with pytest.raises(ValueError, match="image_size 300 is not divisible by the default patch_size 16"):
        create_model("vit", 2, image_size=300, **SMALL)


def test_patch_size_and_patch_num_must_agree() -> None:
    with pytest.raises(ValueError, match="contradicts"):
        create_model("vit", 2, image_size=32, patch_size=4, patch_num=4, **SMALL)
    assert create_model("vit", 2, image_size=32, patch_size=8, patch_num=4, **SMALL).patch_size == (8, 8)


def test_dim_head_auto_needs_dim_divisible_by_heads() -> None:
    with pytest.raises(ValueError) as err:
        create_model("vit", 2, image_size=32, patch_num=4, dim=30, depth=1, heads=4, mlp_dim=8, dim_head="auto")
    assert "dim 30" in str(err.value) and "heads 4" in str(err.value)
    model = create_model("vit", 2, image_size=32, patch_num=4, dim=32, depth=1, heads=4, mlp_dim=8, dim_head="auto")
    assert model.transformer.layers[0][0].to_qkv.out_features == 3 * 32


@pytest.mark.parametrize(("key", "value"), [("dim", 0), ("heads", 0), ("depth", 0), ("pool", "max"), ("dropout", 1.0)])
def test_bad_values_are_named(key: str, value: object) -> None:
    kwargs = {"image_size": 32, "patch_num": 4, **SMALL, key: value}
    with pytest.raises(ValueError, match=key):
        create_model("vit", 2, **kwargs)


def test_channels_alias() -> None:
    model = create_model("vit", 2, image_size=16, patch_num=2, channels=1, **SMALL)
    assert model(torch.zeros(2, 1, 16, 16)).shape == (2, 2)
    with pytest.raises(ValueError, match="disagree"):
        create_model("vit", 2, image_size=16, patch_num=2, channels=1, in_channels=3, **SMALL)
