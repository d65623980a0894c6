"""From the config to the model: its input size, its builder kwargs, the model and its size.

Only the option section of the model's family (trainer.models.families) reaches the builder;
sections of other families are reported as ignored.
"""

from __future__ import annotations

import logging
from typing import Any

from torch import nn

from trainer import distributed as dist
from trainer.config.schema import FREE_SECTIONS, SECTIONS, TrainConfig
from trainer.errors import ConfigError
from trainer.models import registry
from trainer.report import log

logger = logging.getLogger("trainer")


def _load_block_config(value: Any) -> Any:
    """Read a block network (file, bundled example name, YAML text) into a dict here, so the
    checkpoint holds the network itself rather than a path that predict/export may not see."""
    from trainer.models.blocks.builder import load_config
    return load_config(value)[0]


def input_size(cfg: TrainConfig) -> int:
    """The resolution the model trains at. Seed 000's compound scaling: for an EfficientNet with a
    resolution coefficient gamma (`efficientnet.gamma`, or the third number of `scaling`),
    `image_size` is the base resolution and the input is base * gamma**phi (phi default 1), as the
    seed's `int(gamma * 224)`; otherwise it is `image_size` itself."""
    from trainer.models.efficientnet import compound_resolution, parse_scaling
    if registry.model_family(cfg.model) != "efficientnet":
        return cfg.image_size
    gamma, phi = cfg.efficientnet.gamma, cfg.efficientnet.phi
    scaling = cfg.model_args.get("scaling")
    if scaling is not None:
        gamma = parse_scaling(scaling)[2]
    if gamma is None:
        return cfg.image_size
    return compound_resolution(float(gamma), float(phi if phi is not None else 1.0), base=cfg.image_size)


def _family_sections(cfg: TrainConfig) -> dict[str, dict[str, Any]]:
    """The values set in each family's config section (unset dataclass options are None)."""
    sections = {name: {k: v for k, v in vars(getattr(cfg, name)).items() if v is not None} for name in SECTIONS}
    sections.update({name: dict(getattr(cfg, name)) for name in FREE_SECTIONS})
    return sections


def model_kwargs_for(cfg: TrainConfig, name: str, channels: int) -> dict[str, Any]:
    """The kwargs create_model gets: shared ones the builder accepts + the model family's section."""
    accepted = registry.model_kwargs(name)
    kw: dict[str, Any] = {}
    if "image_size" in accepted:
        kw["image_size"] = input_size(cfg)
    if "in_channels" in accepted:
        kw["in_channels"] = channels
    elif "channels" in accepted:
        kw["channels"] = channels
    elif channels != 3:
        raise ConfigError(f"model {name!r} has no in_channels argument; it cannot take {channels}-channel images")
    if cfg.dropout is not None:
        if "dropout" not in accepted:
            raise ConfigError(f"dropout: model {name!r} has no dropout argument; accepted: {', '.join(sorted(accepted))}")
        kw["dropout"] = cfg.dropout
    section = registry.model_family(name)
    sections = _family_sections(cfg)
    for sec, values in sections.items():
        if sec != section and values and dist.is_main():
            log(f"ignoring {', '.join(sec + '.' + k for k in values)}: model {name} is not in the {sec} family")
    for k, v in sections.get(section, {}).items():
        key = registry.match_kwarg(k, accepted)
        if key is None:
            raise ConfigError(f"{section}.{k}: model {name!r} does not take {k!r}; accepted: {', '.join(sorted(accepted))}")
        kw[key] = _load_block_config(v) if section == "blocks" and key == "config" else v
    kw.update(cfg.model_args)
    return kw


def build_model(name: str, num_classes: int, kwargs: dict[str, Any]) -> nn.Module:
    try:
        return registry.create_model(name, num_classes, **kwargs)
    except ConfigError:
        raise
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"model {name!r} with {kwargs}: {exc}") from None


def model_complexity(model: nn.Module, channels: int, image_size: int) -> tuple[int, int]:
    from trainer.models import complexity
    params = int(complexity.count_params(model))
    try:
        macs = int(complexity.count_macs(model, (1, channels, image_size, image_size)))
    except Exception as exc:   # complexity is informative; never fail a trial over it
        logger.warning("could not count MACs: %s", exc)
        macs = 0
    return params, macs
