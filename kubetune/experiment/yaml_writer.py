"""The one YAML writer for Experiment documents that people read: `kubetune convert optuna`,
`convert nni` and `convert katib` all print through `dump_experiment`, so their files look alike.

Short lists and mappings of scalars go on one line (flow style), multi-line strings (the
kubetune.io/conditions annotation) as `|` blocks, keys in the document's order, lists indented
under their key. Comments are what PyYAML cannot write: header lines, and lines above each entry of
spec.parameters (the NNI converter explains there how each parameter was translated).
"""
from __future__ import annotations

import json
import re
from typing import Iterable, Mapping

import yaml

FLOW_LIMIT = 90  # a list or mapping longer than this (as JSON) is written one item per line


class _Dumper(yaml.SafeDumper):
    def increase_indent(self, flow: bool = False, indentless: bool = False):  # indent lists under their key
        return super().increase_indent(flow, False)


def _scalars(items: Iterable) -> bool:
    return all(isinstance(x, (str, int, float, bool)) or x is None for x in items)


def _represent_str(dumper: yaml.SafeDumper, data: str):
    style = "|" if "\n" in data else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


def _represent_list(dumper: yaml.SafeDumper, data: list):
    flow = _scalars(data) and len(json.dumps(data)) <= FLOW_LIMIT
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flow)


def _represent_dict(dumper: yaml.SafeDumper, data: dict):
    flow = bool(data) and _scalars(data.values()) and len(json.dumps(data)) <= FLOW_LIMIT and not any(
        isinstance(v, str) and "\n" in v for v in data.values())  # a block string cannot sit in a flow mapping
    return dumper.represent_mapping("tag:yaml.org,2002:map", data, flow_style=flow)


_Dumper.add_representer(str, _represent_str)
_Dumper.add_representer(list, _represent_list)
_Dumper.add_representer(dict, _represent_dict)


def dump_experiment(document: dict, header: Iterable[str] = (),
                    parameter_comments: Mapping[str, list[str]] | None = None) -> str:
    """YAML text of `document` after the `# `-prefixed `header` lines; `parameter_comments` maps a
    parameter name to the comment lines written above its entry in spec.parameters."""
    body = yaml.dump(document, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=10**9)
    head = "".join(f"# {line}\n" if line else "#\n" for line in header)
    if parameter_comments:
        body = _comment_parameters(body, parameter_comments)
    return head + body


def _comment_parameters(body: str, comments: Mapping[str, list[str]]) -> str:
    out = []
    in_parameters = False
    for line in body.splitlines():
        if line == "  parameters:":
            in_parameters = True
        elif in_parameters and line.startswith("  ") and not line.startswith("   "):
            in_parameters = False  # the next key of spec
        match = re.match(r"^(\s*)- name: (.*)$", line) if in_parameters else None
        if match:
            name = yaml.safe_load(match.group(2))
            out += [f"{match.group(1)}# {text}" for text in comments.get(str(name), [])]
        out.append(line)
    return "\n".join(out) + "\n"
