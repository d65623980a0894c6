"""The `train` configuration: every option as a `--flag` and as a YAML key.

    from trainer.config import build_config, parse_cli
    cfg = build_config(parse_cli(["--model", "vit", "--vit.depth", "4", "--lr", "3e-4"]).assignments)

What lives where: `schema` (TrainConfig, the option tables SPECS / ALIASES, the choice lists the
factories build from), `coercion` (raw strings and YAML values -> typed values), `argv` (the
command-line parser and `--help`), `build` (assignments, `--config` files and a saved config ->
TrainConfig), `validation` (range and consistency checks). The model families' own sections
(`efficientnet.*`, `vit.*`, `blocks.*`, `cells.*`) are declared beside their builders in
trainer/models/. No torch is imported here, so `--help` and config errors are fast.
"""

from trainer.config.argv import ParsedArgs, help_text, parse_cli
from trainer.config.build import Assignment, build_config, config_json
from trainer.config.schema import TrainConfig

__all__ = ["Assignment", "ParsedArgs", "TrainConfig", "build_config", "config_json", "help_text", "parse_cli"]
