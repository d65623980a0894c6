"""YAML text read the one way the trainer reads it: `yaml.safe_load`, a ConfigError naming the source."""

from __future__ import annotations

from typing import Any

import yaml

from trainer.errors import ConfigError


def parse_yaml(text: str, source: str) -> Any:
    """yaml.safe_load(text); invalid YAML -> ConfigError "<source>: not valid YAML (<why>)"."""
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{source}: not valid YAML ({exc})") from None
