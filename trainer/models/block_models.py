"""Registry entries for block-assembled networks: `yaml` (a file/dict) and `cells` (flat params)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from torch import nn

from trainer.errors import ConfigError
from trainer.models.blocks.builder import build_network
from trainer.models.blocks.cells import cells_param_types, cells_to_yaml
from trainer.models.registry import register_model


@register_model("yaml", family="blocks")
def build_yaml(
    num_classes: int,
    *,
    config: str | os.PathLike | Mapping[str, Any] | None = None,
    in_channels: int | None = None,
    image_size: int | None = None,
    width_multiple: float | None = None,
    depth_multiple: float | None = None,
) -> nn.Module:
    """Block network from `config`: a YAML file path, a bundled example name, YAML text or a dict."""
    if config is None:
        raise ConfigError("model 'yaml' needs config= (a YAML file path, a bundled example name or a dict)")
    return build_network(config, num_classes, in_channels=in_channels, image_size=image_size,
                         width_multiple=width_multiple, depth_multiple=depth_multiple)


@register_model("cells", family="cells", extra_kwargs=cells_param_types())
def build_cells(num_classes: int, *, image_size: int | None = None, **params: Any) -> nn.Module:
    """Normal/Reduction Cell network from flat trial parameters (see blocks/cells.py)."""
    return build_network(cells_to_yaml(**params), num_classes, image_size=image_size)
