"""EfficientNet: compound scaling (seed 000) and kwargs validation."""

from __future__ import annotations

import math

import pytest
import torch

from trainer.models import compound_resolution, count_params, create_model, parse_scaling

B0_REPEATS = [1, 2, 2, 3, 3, 4, 1]  # efficientnet-b0 stage repeats


def test_compound_resolution_formula() -> None:
    assert compound_resolution(1.15, 2) == round(224 * 1.15**2) == 296
    assert compound_resolution(1.0, 5) == 224
    assert compound_resolution(1.2, 1, base=100) == 120
    with pytest.raises(ValueError, match="gamma"):
        compound_resolution(0.0, 1)


def test_compound_scaling_sets_depth_width_and_resolution() -> None:
    alpha, beta, gamma, phi = 1.2, 1.1, 1.15, 2.0
    model = create_model("efficientnet-b0", 4, alpha=alpha, beta=beta, gamma=gamma, phi=phi)
    gp = model._global_params
    assert gp.depth_coefficient == pytest.approx(alpha**phi)
    assert gp.width_coefficient == pytest.approx(beta**phi)
    assert gp.image_size == 296
    # depth: each stage repeats ceil(alpha**phi * r) times (b0 has 16 blocks, here 26)
    assert len(model._blocks) == sum(math.ceil(alpha**phi * r) for r in B0_REPEATS) == 26
    # width: stem 32 -> 32 * 1.21 = 38.7 -> 40 and head 1280 * 1.21 = 1548.8 -> 1552 (multiples of 8)
    assert model._conv_stem.out_channels == 40
    assert model._conv_head.out_channels == 1552
    assert model._fc.out_features == 4


def test_phi_zero_is_b0() -> None:
    scaled = create_model("efficientnet-b0", 2, phi=0, image_size=32)
    plain = create_model("efficientnet-b0", 2, image_size=32)
    assert count_params(scaled) == count_params(plain)
    assert scaled._global_params.image_size == 32


def test_scaling_triple_string_equals_separate_coefficients() -> None:
    assert parse_scaling("1.2,1.1,1.15") == (1.2, 1.1, 1.15)
    a = create_model("efficientnet-b0", 2, scaling="1.2, 1.1, 1.15", phi="1", image_size=32)
    b = create_model("efficientnet-b0", 2, alpha=1.2, beta=1.1, gamma=1.15, image_size=32)
    assert count_params(a) == count_params(b) > count_params(create_model("efficientnet-b0", 2, image_size=32))


def test_paper_coefficients_are_the_defaults_with_phi() -> None:
    model = create_model("efficientnet-b0", 2, phi=1, image_size=32)
    assert model._global_params.depth_coefficient == pytest.approx(1.2)
    assert model._global_params.width_coefficient == pytest.approx(1.1)


def test_resolution_default_follows_gamma_and_image_size_overrides() -> None:
    assert create_model("efficientnet-b0", 2, gamma=1.5, alpha=1, beta=1)._global_params.image_size == 336
    assert create_model("efficientnet-b0", 2, gamma=1.5, image_size=64)._global_params.image_size == 64
    assert create_model("efficientnet-b3", 2)._global_params.image_size == 300  # the variant's own


def test_variant_coefficients_without_scaling() -> None:
    gp = create_model("efficientnet-b3", 2, image_size=32)._global_params
    assert (gp.width_coefficient, gp.depth_coefficient, gp.dropout_rate) == (1.2, 1.4, 0.3)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"scaling": "1.2,1.1"}, "scaling must be 'alpha,beta,gamma'"),
        ({"scaling": "1.2,1.1,x"}, "scaling"),
        ({"scaling": "1.2,1.1,1.15", "alpha": 1.3}, "not both"),
        ({"alpha": -1.0}, "alpha must be > 0"),
        ({"dropout": 1.5}, "dropout"),
        ({"drop_connect": -0.1}, "drop_connect"),
        ({"phi": "inf"}, "phi"),
    ],
)
def test_bad_scaling_kwargs(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        create_model("efficientnet-b0", 2, image_size=32, **kwargs)


def test_dropout_and_drop_connect_are_applied() -> None:
    model = create_model("efficientnet-b0", 2, image_size=32, dropout=0.0, drop_connect=0.0)
    model.train()
    x = torch.randn(2, 3, 32, 32)
    assert torch.allclose(model(x), model(x))  # nothing random left in train mode except BN stats
