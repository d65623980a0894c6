"""The `train` command line: a hand-written parser (flags in any spelling the schema accepts) and `--help`.

The same key is written `--vit.depth 4`, `--vit-depth=4`, `--set vit.depth=4`, or in a `--config`
YAML file either `vit: {depth: 4}` or `vit.depth: 4`. `-` and `_` are interchangeable in names;
booleans accept `--flag`, `--flag=false`, `--flag no`, `--no-flag`. Values stay raw strings here
(Katib substitutes them into argv); trainer.config.build converts them in command-line order.
"""

from __future__ import annotations

import typing
from dataclasses import dataclass
from typing import Any

from trainer.booleans import FALSE_WORDS, TRUE_WORDS
from trainer.config.build import Assignment, load_config_file
from trainer.config.schema import ALIASES, GROUP_TITLES, IGNORED_KEYS, SHORT_FLAGS, SPECS, FieldSpec, norm_key
from trainer.errors import ConfigError


@dataclass
class ParsedArgs:
    assignments: list[Assignment]
    positional: list[str]
    help: bool = False
    print_config: bool = False


def parse_cli(argv: list[str]) -> ParsedArgs:
    """Parse `train` arguments into ordered assignments (config files first)."""
    files: list[Assignment] = []
    flags: list[Assignment] = []
    positional: list[str] = []
    result = ParsedArgs([], positional)
    i = 0

    def take_value(flag: str) -> str:
        nonlocal i
        if i + 1 >= len(argv):
            raise ConfigError(f"{flag}: missing value")
        i += 1
        return argv[i]

    while i < len(argv):
        tok = argv[i]
        if tok in ("-h", "--help"):
            result.help = True
        elif tok == "--print-config":
            result.print_config = True
        elif tok == "--":
            positional.extend(argv[i + 1:])
            break
        elif not tok.startswith("-") or _is_number(tok):
            positional.append(tok)
        else:
            name, eq, inline = tok.partition("=")
            raw_name = name
            if not name.startswith("--") and len(name) == 2 and name[1] in SHORT_FLAGS:
                name = "--" + SHORT_FLAGS[name[1]]
            key = norm_key(name)
            if key == "config":
                files.extend(load_config_file(inline if eq else take_value(raw_name)))
            elif key == "set":
                item = inline if eq else take_value(raw_name)
                k, eq2, v = item.partition("=")
                if not eq2 or not k.strip():
                    raise ConfigError(f"--set expects key=value, got {item!r}")
                flags.append(Assignment(k.strip(), v, f"--set {k.strip()}"))
            else:
                canon = ALIASES.get(key)
                negated = canon is None and key.startswith("no_") and ALIASES.get(key[3:]) is not None
                spec = SPECS[canon] if canon else SPECS[ALIASES[key[3:]]] if negated else None
                is_bool = (spec is not None and spec.base_type is bool) or key == "request_from_nni"
                if negated and spec is not None and spec.base_type is bool:
                    if eq:
                        raise ConfigError(f"{raw_name} takes no value")
                    flags.append(Assignment(spec.key, False, raw_name))
                elif is_bool and not eq:
                    nxt = argv[i + 1] if i + 1 < len(argv) else None
                    if nxt is not None and nxt.lower() in TRUE_WORDS | FALSE_WORDS:
                        i += 1
                        flags.append(Assignment(name.lstrip("-"), nxt, raw_name))
                    else:
                        flags.append(Assignment(name.lstrip("-"), True, raw_name))
                else:
                    # the user's spelling is kept (model kwargs may be upper case); build_config normalises
                    flags.append(Assignment(name.lstrip("-"), inline if eq else take_value(raw_name), raw_name))
        i += 1
    result.assignments = files + flags
    return result


def _is_number(tok: str) -> bool:
    try:
        float(tok)
        return True
    except ValueError:
        return False


def help_text(prog: str = "python -m trainer train") -> str:
    lines = [f"usage: {prog} [--config FILE] [--set KEY=VALUE ...] [--KEY VALUE ...] [--print-config] [DATA]",
             "",
             "Every KEY is also a YAML key in --config files (nested `vit: {depth: 4}` or dotted `vit.depth: 4`).",
             "`-` and `_` are interchangeable; booleans accept --flag, --flag=false, --no-flag.",
             "Values may be strings as Katib passes them ('0.01', '3', 'true').",
             "--gamma: efficientnet.gamma for efficientnet models, else lr_gamma (the seeds use both).",
             "Metric lines (stdout, one per epoch, Katib StdOut format): unprefixed names are validation",
             "metrics (accuracy, loss, top5, f1), train_* are training metrics.",
             ""]
    for group, title in GROUP_TITLES.items():
        lines.append(f"{title}:")
        for spec in SPECS.values():
            if spec.group != group:
                continue
            flag = "--" + spec.key.replace("_", "-")
            typ = _type_name(spec)
            default = "" if spec.default in (None, "", [], {}) else f" [default: {_fmt_default(spec.default)}]"
            alias = ""
            if spec.aliases:
                alias = " (aliases: " + ", ".join("--" + a.replace("_", "-") for a in spec.aliases) + ")"
            lines.append(f"  {flag} {typ}")
            lines.append(f"      {spec.help}{default}{alias}")
        if group == "model":
            lines.append("  --cells.NAME VALUE")
            lines.append("      keyword NAME of the `cells` model (any name its builder accepts)")
            lines.append("  --NAME VALUE")
            lines.append("      any other keyword argument of the chosen model's builder")
        lines.append("")
    lines.append("ignored for seed compatibility: " + ", ".join("--" + k.replace("_", "-") for k in IGNORED_KEYS))
    return "\n".join(lines)


def _type_name(spec: FieldSpec) -> str:
    if spec.choices:
        return "{" + ",".join(spec.choices) + "}"
    base = spec.base_type
    if base is bool:
        return "[BOOL]"
    if typing.get_origin(base) is list:
        return "LIST"
    return {int: "INT", float: "FLOAT", str: "STR"}.get(base, "VALUE")


def _fmt_default(v: Any) -> str:
    if isinstance(v, list):
        return ",".join(str(x) for x in v)
    return str(v).lower() if isinstance(v, bool) else str(v)
