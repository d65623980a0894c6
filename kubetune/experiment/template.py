"""Trial-template text helpers shared by validation and lint (katib-semantics 6.2, rules 13-18)."""
from __future__ import annotations

import json
import re
from typing import Any

PLACEHOLDER = "${{trialParameters.{}}}"
PLACEHOLDER_RE = re.compile(r"\$\{trialParameters\..+?\}")  # TrialTemplateParamReplaceFormatRegex
META_RE = re.compile(r"\$\{trialSpec\.(.+?)\}")  # TrialTemplateMetaReplaceFormatRegex
META_PARSE_RE = re.compile(r"(.+)\[(.+)]")  # TrialTemplateMetaParseFormatRegex
META_KEYS = ("Name", "Namespace", "Kind", "APIVersion", "Annotations", "Labels")
DUMMY_VALUE = "test-value"

# Things that look like a placeholder but are not substituted by Katib.
NEAR_MISS_RE = re.compile(
    r"\$\(\s*trialParameters\.[^)]*\)"  # Tekton style $(trialParameters.x)
    r"|\$\{\s+trialParameters\.[^}]*\}"  # ${ trialParameters.x }
    r"|\$\{trialParameter\.[^}]*\}"  # singular
    r"|\$\{trialparameters\.[^}]*\}"  # wrong case
    r"|(?<!\$)\{trialParameters\.[^}]*\}"  # missing $
    r"|\$trialParameters\.[\w-]+"  # missing braces
)


def template_text(trial_spec: dict) -> str:
    """The inline trialSpec serialised as Go's json.Marshal would (sorted keys, <>& escaped)."""
    text = json.dumps(trial_spec, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return (text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


def is_meta_reference(reference: str) -> bool:
    """Katib's isMetaKey: ${trialSpec.Name}, ${trialSpec.Labels[key]}, ... (unanchored)."""
    match = META_RE.search(reference)
    if not match:
        return False
    key = match.group(1)
    if key in META_KEYS:
        return True
    sub = META_PARSE_RE.search(key)
    return bool(sub) and sub.group(1) in META_KEYS


def meta_reference_parts(reference: str) -> tuple[str, str | None] | None:
    """('Labels', 'app') for ${trialSpec.Labels[app]}, ('Name', None) for ${trialSpec.Name}."""
    match = META_RE.search(reference)
    if not match:
        return None
    key = match.group(1)
    if key in META_KEYS:
        return key, None
    sub = META_PARSE_RE.search(key)
    if sub and sub.group(1) in META_KEYS:
        return sub.group(1), sub.group(2)
    return None


def containers(workload: Any) -> list[tuple[str, dict]]:
    """Every (path, container) found anywhere in a workload (Job, TFJob, PyTorchJob, ...)."""
    found: list[tuple[str, dict]] = []

    def walk(node: Any, path: str, depth: int) -> None:
        if depth > 30:
            return
        if isinstance(node, dict):
            for key, value in node.items():
                child = f"{path}.{key}"
                if key == "containers" and isinstance(value, list):
                    for i, c in enumerate(value):
                        if isinstance(c, dict):
                            found.append((f"{child}[{i}]", c))
                else:
                    walk(value, child, depth + 1)
        elif isinstance(node, list):
            for i, value in enumerate(node):
                walk(value, f"{path}[{i}]", depth + 1)

    walk(workload, "spec.trialTemplate.trialSpec", 0)
    return found
