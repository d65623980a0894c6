"""ConfigMap trial templates read from local files (`--configmap FILE`).

An Experiment may keep its trial workload in a ConfigMap (spec.trialTemplate.configMap: configMapName,
configMapNamespace, templatePath). Katib's webhook and controller read it from the cluster
(manifest/generator.go GetTrialTemplate: the raw string `data[templatePath]`); here the user gives
the ConfigMap's YAML (e.g. Katib's manifests/v1beta1/components/controller/trial-templates.yaml), so
`kubetune validate` checks its placeholders as the webhook does and `kubetune run` runs it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

import yaml

from .access import as_dict as _d
from .access import as_str as _s
from .errors import Problem, SpecError, error, kind_of, show

T = "spec.trialTemplate"
TEMPLATE_TEXT_KEY = "kubetune.io/configMapTemplate"  # Experiment.trial_template: the text read locally


@dataclass
class ConfigMaps:
    """ConfigMaps by (namespace, name); a ConfigMap written without a namespace matches any
    namespace (kubectl puts it in the current one)."""

    maps: dict[tuple[str, str], dict[str, str]] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)

    def find(self, namespace: str, name: str) -> dict[str, str] | None:
        return self.maps.get((namespace, name), self.maps.get(("", name)))

    def names(self) -> list[str]:
        return sorted(f"{ns}/{n}" if ns else n for ns, n in self.maps)


def load_config_maps(paths: Iterable[str | Path]) -> ConfigMaps:
    """Every `kind: ConfigMap` document (or List item) of the files; SpecError naming the file."""
    from .load import load_documents

    out = ConfigMaps()
    for path in paths:
        out.files.append(str(path))
        found = 0
        for doc, label in load_documents(Path(path)):
            items = doc.get("items") if doc.get("kind") == "List" else [doc]
            for item in items if isinstance(items, list) else []:
                if _d(item).get("kind") != "ConfigMap":
                    continue
                meta, data = _d(item.get("metadata")), item.get("data")
                if not _s(meta.get("name")):
                    raise SpecError([error("metadata.name", "a ConfigMap needs a name")], label)
                if data is not None and not (isinstance(data, dict) and all(
                        isinstance(k, str) and isinstance(v, str) for k, v in data.items())):
                    raise SpecError([error("data", f"found {kind_of(data)}; a ConfigMap's data maps keys to strings",
                                           "write each template as a string: `key: |` then the YAML")], label)
                out.maps[(_s(meta.get("namespace")), meta["name"])] = dict(data or {})
                found += 1
        if not found:
            raise SpecError([error("kind", "no ConfigMap in the file", "give the ConfigMap that holds the trial "
                                                                       "template (kind: ConfigMap, data: {...})")],
                            str(path))
    return out


def config_map_template(config_map: dict, config_maps: ConfigMaps) -> tuple[str | None, list[Problem]]:
    """The template text spec.trialTemplate.configMap points at, or Katib's error when the ConfigMap
    or its key is missing."""
    namespace, name = _s(config_map.get("configMapNamespace")), _s(config_map.get("configMapName"))
    key = _s(config_map.get("templatePath"))
    data = config_maps.find(namespace, name)
    if data is None:
        return None, [error(f"{T}.configMap", f"unable to parse spec.trialTemplate: ConfigMap {namespace}/{name} "
                                              f"not found in {', '.join(config_maps.files)}",
                            f"ConfigMaps there: {', '.join(config_maps.names()) or 'none'}")]
    if key not in data:
        return None, [error(f"{T}.configMap.templatePath", f"unable to parse spec.trialTemplate: TemplatePath "
                                                           f"{show(key)} not found in ConfigMap {namespace}/{name}",
                            f"its keys: {', '.join(sorted(data)) or 'none'}")]
    return data[key], []


_ANY_PLACEHOLDER = re.compile(r"\$\{[^}\n]*\}")
_TOKEN = re.compile(r"kubetunePlaceholder(\d+)x")


def parsed_template(text: str) -> dict | None:
    """A ConfigMap template's workload as a mapping with its placeholders kept verbatim; None when it
    does not parse or is not a mapping. Katib substitutes the placeholders before it parses the
    text (`${...}` is YAML flow syntax), so they are parsed as stand-in tokens and put back."""
    found: list[str] = []
    tokens = _ANY_PLACEHOLDER.sub(lambda m: found.append(m.group(0)) or f"kubetunePlaceholder{len(found) - 1}x", text)
    try:
        template = yaml.safe_load(tokens)
    except yaml.YAMLError:
        return None
    return _restored(template, found) if isinstance(template, dict) else None


def _restored(node: Any, found: list[str]) -> Any:
    if isinstance(node, str):
        return _TOKEN.sub(lambda m: found[int(m.group(1))], node)
    if isinstance(node, dict):
        return {_restored(k, found): _restored(v, found) for k, v in node.items()}
    if isinstance(node, list):
        return [_restored(v, found) for v in node]
    return node
