"""`cells`: the lecture's Normal/Reduction Cell macro structure from flat trial parameters."""

from __future__ import annotations

import pytest
import torch
import yaml
from torch import nn

from trainer.models import cells_to_yaml, count_params, create_model

TINY = {"base_channels": 8, "image_size": 32}


def test_macro_structure_stage_by_stage() -> None:
    cfg = cells_to_yaml(n_stages=3, n_repeat=2, normal_cell="DWConv", reduction_cell="MaxPool", base_channels=8,
                        channel_growth=2)
    modules = [(r, m) for r, m, _ in cfg["backbone"]]
    assert modules == [(1, "Conv"), (2, "DWConv"), (1, "MaxPool"), (2, "DWConv"), (1, "MaxPool"), (2, "DWConv"),
                       (1, "MaxPool"), (1, "GlobalAvgPool"), (1, "Flatten")]
    assert [args[0] for _, m, args in cfg["backbone"] if m == "DWConv"] == [8, 16, 32]
    model = create_model("cells", 3, n_stages=3, n_repeat=2, normal_cell="DWConv", reduction_cell="MaxPool", **TINY)
    assert [row["out_size"] for row in model.summary[:7]] == [16, 16, 8, 8, 4, 4, 2]
    assert model(torch.randn(2, 3, 32, 32)).shape == (2, 3)


def test_round_trip_through_a_yaml_file() -> None:
    params = {"n_stages": 2, "N": 2, "normal_cell": "InvertedResidualv3", "normal_kernel": 5, "normal_expansion": 3,
              "reduction_cell": "MBConv", "activation": "Hardswish", "base_channels": 8, "channel_growth": 1.5,
              "width_multiple": 1.5, "head_channels": 32, "dropout": 0.2}
    cfg = cells_to_yaml(**params)
    text = yaml.safe_dump(cfg, sort_keys=False)
    assert yaml.safe_load(text) == cfg
    torch.manual_seed(0)
    from_params = create_model("cells", 4, image_size=32, **params)
    torch.manual_seed(0)
    from_yaml = create_model("yaml", 4, config=text, image_size=32)
    assert count_params(from_params) == count_params(from_yaml)
    assert from_params.config == from_yaml.config
    x = torch.randn(2, 3, 32, 32)
    from_params.eval(), from_yaml.eval()
    assert torch.equal(from_params(x), from_yaml(x))
    # and the resolved config of the built model rebuilds the same network again
    assert count_params(create_model("yaml", 4, config=from_params.config)) == count_params(from_params)


def test_activation_reaches_every_cell() -> None:
    model = create_model("cells", 2, normal_cell="Conv", reduction_cell="Conv", activation="ReLU6", **TINY)
    acts = {type(m) for m in model.modules() if isinstance(m, (nn.ReLU, nn.ReLU6, nn.Hardswish, nn.SiLU))}
    assert acts == {nn.ReLU6}
    v3 = cells_to_yaml(normal_cell="InvertedResidualv3", activation="Hardswish")
    assert v3["backbone"][1][2][4] is True  # use_hs


def test_per_stage_overrides_grow_n_and_vary_cells() -> None:
    cfg = cells_to_yaml(n_stages=3, n_repeat=1, n_repeat_2=2, n_repeat_3=3, normal_cell_2="MBConv",
                        reduction_cell_3="AvgPool", activation_1="SiLU")
    body = cfg["backbone"][1:7]
    assert [(r, m) for r, m, _ in body] == [(1, "Conv"), (1, "MaxPool"), (2, "MBConv"), (1, "MaxPool"), (3, "Conv"),
                                           (1, "AvgPool")]
    assert cfg["backbone"][0][2][-1] == "SiLU"  # the stem follows stage 1
    assert body[4][2][-1] == "ReLU"


def test_zero_normal_cells_keeps_only_reductions() -> None:
    cfg = cells_to_yaml(n_stages=2, n_repeat=0, reduction_cell="InvertedResidualv2")
    assert [m for _, m, _ in cfg["backbone"]] == ["Conv", "InvertedResidualv2", "InvertedResidualv2",
                                                  "GlobalAvgPool", "Flatten"]


def test_fixed_normal_args_are_used_verbatim() -> None:
    cfg = cells_to_yaml(n_stages=1, normal_cell="Conv", normal_args="[24, 1, 1]")
    assert cfg["backbone"][1] == [1, "Conv", [24, 1, 1]]


def test_katib_strings_build() -> None:
    model = create_model("cells", "2", n_stages="2", n_repeat="1", normal_cell="Bottleneck", normal_expansion="0.5",
                         reduction_cell="DWConv", activation="hardswish", base_channels="8", width_multiple="1.0",
                         image_size="32")
    assert model(torch.randn(2, 3, 32, 32)).shape == (2, 2)


def test_depth_and_width_multiples_pass_to_the_builder() -> None:
    model = create_model("cells", 2, n_stages=1, n_repeat=4, normal_cell="Conv", depth_multiple=0.5,
                         width_multiple=2.0, **TINY)
    assert model.summary[1]["repeat"] == 2
    assert model.summary[1]["out_channel"] == 16


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"normal_cell": "MaxPool"}, "normal_cell 'MaxPool' cannot be a normal cell; valid: Conv, DWConv"),
        ({"reduction_cell": "Bottleneck"}, "reduction_cell 'Bottleneck' cannot be a reduction cell"),
        ({"normal_cell_2": "Linear"}, "normal_cell_2 'Linear' cannot be a normal cell"),
        ({"n_repeat_4": 2}, "n_repeat_4 given but n_stages is 3"),
        ({"depth_3": 2}, "unknown parameter 'depth_3'"),
        ({"n_repeat": 2, "N": 3}, "disagree"),
        ({"normal_kernel": 4}, "normal_kernel must be odd"),
        ({"n_stages": 7}, "n_stages must be an integer in 1..6"),
        ({"activation": "tanh"}, "activation must be one of"),
        ({"base_channels": 0}, "base_channels must be an integer >= 1"),
        ({"n_repeat_2": -1}, "n_repeat_2 must be an integer >= 0"),
    ],
)
def test_bad_cell_parameters(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        cells_to_yaml(**kwargs)


def test_unknown_kwarg_through_the_registry() -> None:
    with pytest.raises(ValueError, match="'n_cells'"):
        create_model("cells", 2, n_cells=3)
