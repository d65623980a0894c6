"""Building a TrainConfig from ordered assignments (flags, `--set`, `--config` files, a saved config).

Layers, lowest first: defaults < checkpoint config (with --resume, applied by the trainer) <
`--config FILE` < other flags and `--set` in command-line order. `--gamma` means
`efficientnet.gamma` for an EfficientNet and the LR-decay factor `lr_gamma` otherwise (seed 000 vs
seed 001), so it is resolved once the model is known; so are flat keywords of the model's builder.
An option read by one schedule or loss only (lr_gamma, milestones, smoothing, ...) selects that
schedule or loss when none was given (IMPLIED_CHOICES), so a searched value always has an effect.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

from trainer.config.coercion import coerce, parse_scalar
from trainer.config.schema import (ALIASES, CONTEXT_KEYS, FREE_SECTIONS, IGNORED_KEYS, INTERNAL, SPECS, TrainConfig,
                                   close_matches, known_names, norm_key)
from trainer.config.validation import validate
from trainer.errors import ConfigError
from trainer.models.registry import match_kwarg, model_family, resolve_model_name
from trainer.yaml_text import parse_yaml


@dataclass
class Assignment:
    key: str        # as written by the user (flag or YAML key)
    value: Any      # raw value
    source: str     # where it came from, for error messages


def flatten_yaml(data: Any, source: str, prefix: str = "") -> list[Assignment]:
    """A (nested) mapping of config keys -> assignments with dotted keys."""
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: expected a mapping of config keys, got {type(data).__name__}")
    out: list[Assignment] = []
    for k, v in data.items():
        key = prefix + str(k)
        canon = ALIASES.get(norm_key(key))
        leaf_takes_mapping = canon is not None and SPECS[canon].base_type is Any
        if isinstance(v, dict) and not leaf_takes_mapping:
            out.extend(flatten_yaml(v, source, key + "."))
        else:
            out.append(Assignment(key, v, source))
    return out


def load_config_file(path: str) -> list[Assignment]:
    p = Path(path)
    if not p.is_file():
        raise ConfigError(f"--config: file not found: {path}")
    data = parse_yaml(p.read_text(encoding="utf-8"), f"--config {path}")
    if data is None:
        return []
    return flatten_yaml(data, path)


def _set(cfg: TrainConfig, key: str, value: Any) -> None:
    obj: Any = cfg
    parts = key.split(".")
    for part in parts[:-1]:
        obj = getattr(obj, part)
    setattr(obj, parts[-1], value)


def _apply_dict(cfg: TrainConfig, data: dict[str, Any], source: str) -> None:
    """Overlay a nested dict (a checkpoint's saved config); keys this version lacks are ignored."""
    for a in flatten_yaml(data, source):
        key = norm_key(a.key)
        if key.startswith(("cells.", "model_args.")) or key in INTERNAL:
            section, _, name = a.key.partition(".")   # the saved spelling (kwargs may be upper case)
            if name:
                getattr(cfg, section)[name] = a.value
            continue
        canon = ALIASES.get(key)
        if canon is not None and canon == a.key:
            try:
                _set(cfg, canon, coerce(SPECS[canon], a.value))
            except ValueError as exc:
                raise ConfigError(f"{source}: {canon}: {exc}") from None


def _model_kwarg_names(model: str) -> set[str] | None:
    try:
        from trainer.models import registry
        return set(registry.model_kwargs(resolve_model_name(model, registry.list_models())))
    except (ImportError, ValueError):
        return None


def build_config(assignments: Iterable[Assignment], base: dict[str, Any] | None = None) -> TrainConfig:
    """Defaults, then `base` (a saved config), then each assignment in order."""
    cfg = TrainConfig()
    if base:
        _apply_dict(cfg, base, "checkpoint config")
    deferred: list[Assignment] = []
    given: set[str] = set()   # canonical keys the assignments set
    for a in assignments:
        key = norm_key(a.key)
        if key in IGNORED_KEYS:
            continue
        if key in CONTEXT_KEYS:
            deferred.append(a)
            continue
        section, dot, name = key.partition(".")
        if dot and section in FREE_SECTIONS:
            # keep the user's spelling: builder kwargs may be upper case (the lecture's `N`)
            cfg.cells[a.key.strip().lstrip("-").partition(".")[2].replace("-", "_")] = parse_scalar(a.value)
            continue
        canon = ALIASES.get(key)
        if canon is None:
            deferred.append(a)   # maybe a keyword of the chosen model; decided below
            continue
        try:
            _set(cfg, canon, coerce(SPECS[canon], a.value))
        except ValueError as exc:
            raise ConfigError(f"{a.source}: {canon}: {exc}") from None
        given.add(canon)
    for a in deferred:
        key = norm_key(a.key)
        if key == "gamma":
            target = "efficientnet.gamma" if model_family(cfg.model) == "efficientnet" else "lr_gamma"
            try:
                _set(cfg, target, coerce(SPECS[target], a.value))
            except ValueError as exc:
                raise ConfigError(f"{a.source}: gamma (as {target}): {exc}") from None
            given.add(target)
            continue
        kwargs = _model_kwarg_names(cfg.model) if "." not in key else None
        match = match_kwarg(key, kwargs or ())
        if match is not None:
            cfg.model_args[match] = parse_scalar(a.value)
            continue
        hint = close_matches(key, known_names() + sorted(kwargs or ()))
        raise ConfigError(f"{a.source}: unknown config key {a.key!r}"
                          + (f"; did you mean {', '.join(hint)}?" if hint else "")
                          + " (`python -m trainer train --help` lists every key)")
    imply_choices(cfg, given)
    validate(cfg)
    return cfg


# An option that only one schedule or loss reads selects it when the schedule or loss itself was not
# given (first match wins): `--gamma 0.7` alone decays the LR by 0.7 every epoch, as seed 001's
# StepLR(step_size=1, gamma) meant to; `--smoothing 0.1` alone trains with label smoothing.
IMPLIED_CHOICES = (("milestones", "scheduler", "step"), ("lr_gamma", "scheduler", "steplr"),
                   ("step_size", "scheduler", "steplr"), ("min_lr", "scheduler", "cosine"),
                   ("pct_start", "scheduler", "onecycle"), ("focal_gamma", "loss", "focal"),
                   ("smoothing", "loss", "label_smoothing"))


def imply_choices(cfg: TrainConfig, given: set[str]) -> None:
    for option, choice_key, choice in IMPLIED_CHOICES:
        if option in given and choice_key not in given and cfg.get(choice_key) == SPECS[choice_key].default:
            _set(cfg, choice_key, choice)
            given.add(choice_key)


def config_json(cfg: TrainConfig) -> str:
    return json.dumps(cfg.to_dict(), indent=2, sort_keys=False, default=str)
