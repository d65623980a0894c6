"""YAML block networks: the lecture's example shapes, scaling, classifier, and bad input."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch
import yaml
from torch import nn

from trainer.models import count_params, create_model
from trainer.models.blocks import build_network, example_names, module_names
from trainer.models.blocks.layers import make_divisible


def net(*backbone: list, **top: Any) -> dict[str, Any]:
    return {"input_channel": 3, "depth_multiple": 1.0, "width_multiple": 1.0, "backbone": list(backbone), **top}


def test_modules_of_the_lecture_are_registered() -> None:
    assert {"Conv", "DWConv", "Bottleneck", "InvertedResidualv2", "InvertedResidualv3", "MBConv", "MaxPool",
            "AvgPool", "GlobalAvgPool", "Flatten", "Linear"} <= set(module_names())


@pytest.mark.parametrize("name", ["example", "mobilenetv2", "mobilenetv3", "tiny_mobilenet", "cells_fixed",
                                  "cells_growing"])
def test_bundled_examples_build_and_track_shapes(name: str) -> None:
    assert name in example_names()
    model = create_model("yaml", 5, config=name, image_size=32)
    shapes: list[tuple[int, ...]] = []
    hooks = [layer.register_forward_hook(lambda m, i, o: shapes.append(tuple(o.shape))) for layer in model.layers]
    out = model(torch.randn(2, 3, 32, 32))
    for h in hooks:
        h.remove()
    assert out.shape == (2, 5)
    out.sum().backward()
    # the builder's shape bookkeeping (used for early errors) matches the real tensors
    for row, shape in zip(model.summary, shapes):
        if len(shape) == 4:
            assert shape[1:] == (row["out_channel"], row["out_size"], row["out_size"]), row
        else:
            assert shape[1] == row["out_channel"], row


def test_lecture_example_layers() -> None:
    model = create_model("yaml", 10, config="example")
    conv1, pool1 = model.layers[0], model.layers[1]
    assert isinstance(conv1.conv, nn.Conv2d) and conv1.conv.kernel_size == (5, 5) and conv1.conv.padding == (0, 0)
    assert conv1.conv.out_channels == 8  # 6 rounded up to a multiple of 8, as the lecture's generators do
    assert isinstance(pool1, nn.MaxPool2d) and pool1.kernel_size == 2
    assert model.layers[-1].out_features == 10


def test_yaml_file_and_text_and_dict_build_the_same(tmp_path: Path) -> None:
    cfg = net([1, "Conv", [16, 3, 2]], [2, "InvertedResidualv2", [24, 6, 2]], [1, "GlobalAvgPool", []])
    path = tmp_path / "model.yaml"
    path.write_text(yaml.safe_dump(cfg))
    counts = {count_params(create_model("yaml", 4, config=c)) for c in (cfg, str(path), path.read_text())}
    assert len(counts) == 1


def test_last_linear_becomes_the_classifier() -> None:
    model = build_network(net([1, "Conv", [8, 3]], [1, "GlobalAvgPool", []], [1, "Flatten", []],
                              [1, "Linear", [32, "ReLU"]], [1, "Linear", [10]]), num_classes=3)
    assert model.layers[-1].out_features == 3
    assert model.layers[-2][0].out_features == 32  # hidden Linear untouched
    assert model.config["backbone"][-1] == [1, "Linear", [3]]


def test_classifier_is_added_when_missing() -> None:
    model = build_network(net([1, "Conv", [8, 3, 2]]), num_classes=4)
    names = [row["module"] for row in model.summary]
    assert names == ["Conv", "GlobalAvgPool", "Flatten", "Linear"]
    assert model(torch.randn(2, 3, 16, 16)).shape == (2, 4)
    # already pooled: no second GlobalAvgPool
    pooled = build_network(net([1, "Conv", [8, 3]], [1, "GlobalAvgPool", []]), num_classes=4)
    assert [row["module"] for row in pooled.summary] == ["Conv", "GlobalAvgPool", "Flatten", "Linear"]


def test_flatten_without_global_pool_needs_the_image_size() -> None:
    cfg = net([1, "Conv", [8, 3, 2]], [1, "Flatten", []], [1, "Linear", [10]])
    with pytest.raises(ValueError, match=r"backbone\[2\] \(Linear\): its input size depends on the image size"):
        build_network(cfg, num_classes=2)
    model = build_network(cfg, num_classes=2, image_size=16)
    assert model.layers[-1].in_features == 8 * 8 * 8
    assert model(torch.randn(2, 3, 16, 16)).shape == (2, 2)


def test_width_multiple_scales_and_rounds_channels() -> None:
    cfg = net([1, "Conv", [16, 3]], [1, "InvertedResidualv2", [40, 6, 1]], width_multiple=0.5)
    model = build_network(cfg, num_classes=2)
    assert model.layers[0].conv.out_channels == make_divisible(16 * 0.5) == 8
    assert model.summary[1]["out_channel"] == make_divisible(40 * 0.5) == 24  # 20 -> 24
    wider = build_network(cfg, num_classes=2, width_multiple=2.0)  # kwarg wins over the file
    assert wider.layers[0].conv.out_channels == 32


def test_depth_multiple_scales_repeats_above_one() -> None:
    cfg = net([1, "Conv", [8, 3]], [3, "Bottleneck", [8]], [4, "DWConv", [8, 3]], depth_multiple=0.5)
    model = build_network(cfg, num_classes=2)
    assert [row["repeat"] for row in model.summary[:3]] == [1, 2, 2]  # round(1.5)=2, round(2)=2, 1 stays
    assert len(model.layers[1]) == 2


def test_stride_applies_to_the_first_repeat_only() -> None:
    model = build_network(net([3, "InvertedResidualv2", [16, 6, 2]]), num_classes=2, image_size=32)
    assert model.summary[0]["out_size"] == 16


def test_args_by_name_and_in_channels_override() -> None:
    cfg = net([1, "MBConv", {"expansion": 4, "out_channel": 16, "stride": 2, "kernel_size": 5}], input_channel=3)
    model = create_model("yaml", 2, config=cfg, in_channels=1)
    assert model.layers[0].block[0].conv.in_channels == 1
    assert model(torch.randn(2, 1, 16, 16)).shape == (2, 2)


def test_activation_names_are_passed_as_args() -> None:
    model = build_network(net([1, "Conv", [8, 3, 1, None, 1, "Hardswish"]], [1, "DWConv", [8, 3, 1, None, "silu"]],
                              [1, "Bottleneck", [8, True, 1, 0.5, "ReLU6"]]), num_classes=2)
    assert isinstance(model.layers[0].act, nn.Hardswish)
    assert isinstance(model.layers[1].act, nn.SiLU)
    assert isinstance(model.layers[2].cv1.act, nn.ReLU6)


BAD: list[tuple[dict[str, Any], str]] = [
    (net([1, "Conv", [16, 3]], [1, "Conv", [16, 3]], [1, "Conv", [16, 3]], [1, "MBConv", [6, 16, 5]]),
     r"backbone\[3\] \(MBConv\): arg 2 'stride' must be 1 or 2, found 5"),
    (net([1, "Conv", [16, 3]], [1, "SuperConv", [16]]),
     r"backbone\[1\]: unknown module 'SuperConv'; valid modules: .*AvgPool.*MBConv"),
    (net([1, "Conv", [16, 3, 1, None, 1, "ReLU", 7]]), r"backbone\[0\] \(Conv\): takes at most 6 args"),
    (net([1, "InvertedResidualv2", [16, 6]]), r"backbone\[0\] \(InvertedResidualv2\): missing arg 2 'stride'"),
    (net([1, "Conv", [16, 3, 1, None, 1, "Mish"]]), r"backbone\[0\] \(Conv\): arg 5 'activation' must be one of ReLU, ReLU6, Hardswish"),
    (net([1, "Conv", ["sixteen", 3]]), r"backbone\[0\] \(Conv\): arg 0 'out_channel' must be an integer, found 'sixteen'"),
    (net([1, "Conv", [16, 3]], [0, "Conv", [16, 3]]), r"backbone\[1\]: repeat must be an integer >= 1, found 0"),
    (net([1, "Conv", [16, 3]], [1, "Linear", [10]]), r"backbone\[1\] \(Linear\): needs a flat input"),
    (net([1, "GlobalAvgPool", []], [1, "Flatten", []], [1, "Conv", [8, 1]]), r"backbone\[2\] \(Conv\): needs a feature map"),
    (net([1, "Conv", [16, 3]], [1, "Conv", [24, 3, 1, None, 5]]), r"backbone\[1\] \(Conv\): arg 4 'groups' must divide"),
    (net([1, "InvertedResidualv3", [4, 4, 16, 0, 0, 1]]), r"backbone\[0\] \(InvertedResidualv3\): arg 0 'kernel_size' must be an odd integer"),
    (net([1, "MaxPool", [3, 2, 2]]), r"backbone\[0\] \(MaxPool\): arg 2 'padding' must be at most"),
    (net([1, "Conv", [16, 3]], [1, "MBConv", {"expansion": 4, "channels": 8}]), r"backbone\[1\] \(MBConv\): unknown arg\(s\) \['channels'\]"),
    (net([1, "Conv", [16, 3]], ["Conv", [16, 3]]), r"backbone\[1\]: expected \[repeat, module, args\]"),
    (net([1, "Conv", [16, 3]], layers=3), r"unknown key\(s\) \['layers'\]"),
    ({"backbone": []}, r"'backbone' must be a non-empty list"),
    (net([1, "Conv", [16, 3]], width_multiple=0), r"width_multiple must be a number > 0, found 0"),
]


@pytest.mark.parametrize(("cfg", "message"), BAD, ids=[m[:40] for _, m in BAD])
def test_bad_yaml_is_rejected_with_the_layer_named(cfg: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        build_network(cfg, num_classes=2)


def test_too_small_image_names_the_layer() -> None:
    cfg = net([1, "Conv", [8, 3, 2]], [1, "MaxPool", [2]], [1, "MaxPool", [2]], [1, "MaxPool", [2]])
    build_network(cfg, num_classes=2, image_size=16)
    with pytest.raises(ValueError, match=r"backbone\[3\] \(MaxPool\): the 1x1 feature map \(image_size 8\) would become empty"):
        build_network(cfg, num_classes=2, image_size=8)


def test_bad_file_errors_name_the_file(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="file not found: 'nope.yaml'.*bundled examples: .*mobilenetv2"):
        create_model("yaml", 2, config="nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("backbone: [[1, Conv, [16, 3, 9]], [1, MBConv, [6, 16, 3]]]\n")
    with pytest.raises(ValueError, match=rf"{bad}: backbone\[1\] \(MBConv\): arg 2 'stride'"):
        create_model("yaml", 2, config=str(bad))
    with pytest.raises(ValueError, match="needs config="):
        create_model("yaml", 2)
