"""Registry contract: names, kwargs, errors, string coercion, adding a family."""

from __future__ import annotations

import subprocess
import sys

import pytest
import torch
from torch import nn

from trainer.errors import ConfigError
from trainer.models import create_model, list_models, model_kwargs, register_model
from trainer.models import registry
from trainer.models.families import FAMILIES
from trainer.models.registry import model_family, resolve_model_name

EXPECTED = {
    *(f"efficientnet-b{i}" for i in range(8)),
    "vit", "resnet18", "resnet50", "mobilenet_v3_small", "mobilenet_v3_large", "tv_efficientnet_b0",
    "yaml", "cells",
}


def test_all_contract_names_are_registered() -> None:
    assert EXPECTED <= set(list_models())
    assert list_models() == sorted(list_models())
    assert set(list_models(family="efficientnet")) == {f"efficientnet-b{i}" for i in range(8)}


def test_unknown_model_lists_valid_names() -> None:
    with pytest.raises(ValueError, match="unknown model 'effnet'") as err:
        create_model("effnet", 3)
    assert "efficientnet-b0" in str(err.value) and "vit" in str(err.value)


def test_resolve_model_name_suggests_close_names() -> None:
    with pytest.raises(ConfigError, match="unknown model 'resnet19'.*did you mean resnet18"):
        resolve_model_name("resnet19", ["resnet18", "resnet50", "vit"])


def test_unknown_kwarg_is_named() -> None:
    with pytest.raises(ValueError, match="'vt_dim'") as err:
        create_model("vit", 3, image_size=32, vt_dim=64)
    assert "dim" in str(err.value)  # the valid names are listed


@pytest.mark.parametrize("bad", [0, -1, "two", 2.5])
def test_num_classes_must_be_positive_int(bad: object) -> None:
    with pytest.raises(ValueError, match="num_classes"):
        create_model("resnet18", bad)  # type: ignore[arg-type]


def test_model_kwargs_are_the_builder_keywords() -> None:
    assert {"image_size", "patch_size", "patch_num", "dim", "depth", "heads", "mlp_dim", "dropout",
            "emb_dropout", "channels"} <= model_kwargs("vit")
    assert {"alpha", "beta", "gamma", "phi", "scaling", "dropout", "drop_connect", "image_size"} <= model_kwargs(
        "efficientnet-b3")
    assert {"n_stages", "n_repeat", "N", "normal_cell", "reduction_cell", "n_repeat_3", "normal_cell_2"} <= model_kwargs("cells")
    assert "num_classes" not in model_kwargs("resnet18")


def test_strings_from_katib_are_converted_to_the_annotated_types() -> None:
    model = create_model("vit", "3", image_size="16", patch_num="2", dim="16", depth="1", heads="2",
                         mlp_dim="8.0", dim_head="8", dropout="0.1", pool="mean")
    assert model.mlp_head.out_features == 3
    assert model(torch.zeros(2, 3, 16, 16)).shape == (2, 3)


@pytest.mark.parametrize(("key", "value"), [("dim", "abc"), ("depth", "1.5"), ("dropout", "high")])
def test_unconvertible_string_names_the_kwarg(key: str, value: str) -> None:
    with pytest.raises(ValueError, match=f"'{key}'"):
        create_model("vit", 3, image_size=16, patch_num=2, **{key: value})


@pytest.fixture
def scratch_registry():
    before = dict(registry._REGISTRY)
    yield
    registry._REGISTRY.clear()
    registry._REGISTRY.update(before)


def test_a_family_is_one_registered_function(scratch_registry: None) -> None:
    @register_model("test-mlp", family="test")
    def build(num_classes: int, *, hidden: int = 4, in_channels: int = 3) -> nn.Module:
        return nn.Sequential(nn.Flatten(), nn.LazyLinear(hidden), nn.ReLU(), nn.Linear(hidden, num_classes))

    assert "test-mlp" in list_models() and list_models(family="test") == ["test-mlp"]
    assert model_kwargs("test-mlp") == {"hidden", "in_channels"}
    model = create_model("test-mlp", 2, hidden="5")
    assert model[1].out_features == 5
    with pytest.raises(ValueError, match="already registered"):
        @register_model("test-mlp", family="test")
        def other(num_classes: int) -> nn.Module:  # noqa: ARG001
            return nn.Identity()


def test_builder_must_take_num_classes_first(scratch_registry: None) -> None:
    with pytest.raises(TypeError, match="num_classes"):
        @register_model("test-bad", family="test")
        def build(classes: int) -> nn.Module:  # noqa: ARG001
            return nn.Identity()


def test_the_families_table_is_what_the_builders_register() -> None:
    for name, family in FAMILIES.items():
        assert list_models(family=name) == sorted(family.models)


def test_a_builtin_name_keeps_its_family(scratch_registry: None) -> None:
    with pytest.raises(ValueError, match="'vit' belongs to family 'vit'"):
        register_model("vit", family="test")


def test_model_family_of_any_spelling(scratch_registry: None) -> None:
    assert [model_family(n) for n in ("Efficientnet_b4", "efficientnet", "VIT", "tv-efficientnet-b0", "yaml",
                                      "cells")] == ["efficientnet", "efficientnet", "vit", "torchvision", "blocks",
                                                    "cells"]
    assert model_family("no-such-model") == ""

    @register_model("test-mlp", family="test")
    def build(num_classes: int) -> nn.Module:  # noqa: ARG001
        return nn.Identity()

    assert model_family("test_mlp") == "test"


def test_model_families_are_known_without_importing_torch() -> None:
    # trainer.config and kubetune's pipeline steps ask for a model's family; that must stay cheap.
    code = ("import sys; from trainer.models import model_family; "
            "assert model_family('efficientnet-b0') == 'efficientnet'; assert 'torch' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
