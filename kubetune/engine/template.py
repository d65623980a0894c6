"""Trial template -> the workload of one trial, as Katib's experiment controller builds it.

Katib substitutes `${trialParameters.<name>}` by plain text replacement on the inline trialSpec
serialised as JSON (or on the raw YAML text of a ConfigMap template), then sets the workload's
metadata.name/namespace to the trial's (katib-semantics 6.2). We do the same, with two deliberate
differences: values are JSON-escaped before they are spliced into the JSON, so a value holding `"`,
`\\` or a newline arrives verbatim instead of breaking the JSON (Katib would fail the trial); and
every placeholder is replaced in one pass, so a value that itself holds a placeholder arrives
verbatim (Katib's result depends on Go's map order). A ConfigMap template (its text read from a
local file: kubetune.experiment.configmaps) gets Katib's raw replacement into the YAML text.
"""
from __future__ import annotations

import json
import re
import secrets
from dataclasses import dataclass

import yaml

from kubetune.experiment.configmaps import TEMPLATE_TEXT_KEY

# Katib's trial-name alphabet (pkg/controller.v1beta1/experiment/suggestion: rand.String of k8s utilrand).
NAME_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"
_METADATA_REF = re.compile(r"^\$\{trialSpec\.(Name|Namespace|Kind|APIVersion|Labels\[(.+)\]|Annotations\[(.+)\])\}$")


class TemplateError(ValueError):
    """The trial template cannot produce a workload for this assignment (Katib: trial generation error)."""


def new_trial_name(experiment: str, taken: set[str] | frozenset[str] = frozenset()) -> str:
    while True:
        name = f"{experiment}-" + "".join(secrets.choice(NAME_ALPHABET) for _ in range(8))
        if name not in taken:
            return name


def template_workload(trial_template: dict) -> dict | str:
    """The unsubstituted workload: the inline trialSpec (dict) or a ConfigMap template's YAML text."""
    if "trialSpec" in trial_template:
        return trial_template["trialSpec"]
    if isinstance(trial_template.get(TEMPLATE_TEXT_KEY), str):
        return trial_template[TEMPLATE_TEXT_KEY]
    raise TemplateError(
        "spec.trialTemplate.configMap: a ConfigMap template lives on the cluster; give its ConfigMap "
        "(`--configmap FILE`, e.g. Katib's trial-templates.yaml) or inline it as spec.trialTemplate.trialSpec"
    )


def _yaml_workload(text: str, what: str) -> dict:
    """A ConfigMap template's text as an object (Katib: ConvertStringToUnstructured)."""
    try:
        workload = yaml.safe_load(text)
    except (yaml.YAMLError, RecursionError) as e:
        raise TemplateError(f"spec.trialTemplate.configMap: {what} is not valid YAML: {e}") from None
    if not isinstance(workload, dict):
        raise TemplateError(f"spec.trialTemplate.configMap: {what} is not a Kubernetes object")
    return workload


def resolve_trial_parameters(
    trial_template: dict, assignments: dict[str, str], trial_name: str, namespace: str
) -> dict[str, str]:
    """trialParameter name -> value for this trial (katib-semantics 6.2)."""
    workload = template_workload(trial_template)
    if isinstance(workload, str):
        workload = _yaml_workload(workload, "the template")
    meta = workload.get("metadata") or {}
    values: dict[str, str] = {}
    consumed: set[str] = set()
    for i, tp in enumerate(trial_template.get("trialParameters") or []):
        name, ref = tp.get("name"), str(tp.get("reference", ""))
        m = _METADATA_REF.match(ref)
        if m:
            what = m.group(1)
            if what == "Name":
                values[name] = trial_name
            elif what == "Namespace":
                values[name] = namespace
            elif what == "Kind":
                values[name] = str(workload.get("kind", ""))
            elif what == "APIVersion":
                values[name] = str(workload.get("apiVersion", ""))
            else:
                key = m.group(2) or m.group(3)
                source = (meta.get("labels") if m.group(2) else meta.get("annotations")) or {}
                if key not in source:
                    raise TemplateError(
                        f"spec.trialTemplate.trialParameters[{i}].reference: {ref} names "
                        f"metadata key {key!r}, which the trialSpec's metadata does not have"
                    )
                values[name] = str(source[key])
        elif ref in assignments:
            values[name] = assignments[ref]
            consumed.add(ref)
        else:
            raise TemplateError(
                f"spec.trialTemplate.trialParameters[{i}].reference: {ref!r} is neither a parameter "
                f"of this trial ({', '.join(sorted(assignments)) or 'none'}) nor a ${{trialSpec.*}} reference"
            )
    unused = sorted(set(assignments) - consumed)
    if unused:
        raise TemplateError(
            f"spec.trialTemplate.trialParameters: parameter(s) {', '.join(unused)} are not referenced "
            "by any trialParameter (Katib fails trial generation for this)"
        )
    return values


def substitute(text: str, values: dict[str, str]) -> str:
    """Every `${trialParameters.<name>}` of `text` replaced by its value in ONE pass: a value that
    itself holds a placeholder arrives verbatim. (Katib replaces name after name while iterating a
    Go map, so there such a value is expanded or not depending on the map's order.)"""
    if not values:
        return text
    table = {"${trialParameters.%s}" % name: value for name, value in values.items()}
    pattern = re.compile("|".join(re.escape(p) for p in sorted(table, key=len, reverse=True)))
    return pattern.sub(lambda m: table[m.group(0)], text)


def render_workload(trial_template: dict, assignments: dict[str, str], trial_name: str, namespace: str) -> dict:
    """The substituted workload object for one trial."""
    values = resolve_trial_parameters(trial_template, assignments, trial_name, namespace)
    source = template_workload(trial_template)
    if isinstance(source, str):  # Katib's raw replacement into the YAML text
        workload = _yaml_workload(substitute(source, values), f"the template for trial {trial_name}")
    else:
        workload = json.loads(substitute(json.dumps(source),
                                         {name: json.dumps(value)[1:-1] for name, value in values.items()}))
    workload.setdefault("metadata", {})
    workload["metadata"]["name"] = trial_name
    workload["metadata"]["namespace"] = namespace
    return workload


@dataclass(frozen=True)
class PrimaryContainer:
    """What the local engine runs: the primary container of the trial's workload."""

    container: dict  # a Kubernetes Container (for TrainJob: synthesised from spec.trainer)
    pod_spec: dict  # the pod spec holding it (volumes); {} for TrainJob
    kind: str
    gpus: int  # nvidia.com/gpu limit of the container (per process)
    active_deadline_seconds: float | None


def _pod_specs(workload: dict) -> list[tuple[str, dict]]:
    kind = workload.get("kind", "")
    spec = workload.get("spec") or {}
    if kind == "Job":
        return [("template", (spec.get("template") or {}).get("spec") or {})]
    for key in ("pytorchReplicaSpecs", "tfReplicaSpecs", "xgbReplicaSpecs", "mpiReplicaSpecs"):
        replicas = spec.get(key)
        if isinstance(replicas, dict):
            # Master/Chief/Launcher first: that is the replica Katib's primaryPodLabels select.
            order = sorted(replicas, key=lambda r: r not in ("Master", "Chief", "Launcher"))
            return [(r, ((replicas[r] or {}).get("template") or {}).get("spec") or {}) for r in order]
    return []


def _gpu_limit(container: dict) -> int:
    resources = container.get("resources") or {}
    for section in ("limits", "requests"):
        value = (resources.get(section) or {}).get("nvidia.com/gpu")
        if value is not None:
            return int(str(value))
    return 0


def primary_container(workload: dict, primary_container_name: str) -> PrimaryContainer:
    kind = workload.get("kind", "")
    spec = workload.get("spec") or {}
    if kind == "TrainJob":
        trainer = spec.get("trainer") or {}
        container = {
            "name": primary_container_name,
            "image": trainer.get("image", ""),
            "command": trainer.get("command") or [],
            "args": trainer.get("args") or [],
            "env": trainer.get("env") or [],
            "resources": trainer.get("resourcesPerNode") or {},
        }
        return PrimaryContainer(container, {}, kind, _gpu_limit(container), None)
    for _, pod_spec in _pod_specs(workload):
        for container in pod_spec.get("containers") or []:
            if container.get("name") == primary_container_name:
                deadline = spec.get("activeDeadlineSeconds")
                if deadline is None:
                    deadline = pod_spec.get("activeDeadlineSeconds")
                if deadline is None:
                    deadline = (spec.get("runPolicy") or {}).get("activeDeadlineSeconds")
                return PrimaryContainer(
                    container, pod_spec, kind, _gpu_limit(container),
                    float(deadline) if deadline is not None else None,
                )
    if not _pod_specs(workload):
        raise TemplateError(
            f"spec.trialTemplate.trialSpec: kind {kind!r} cannot run locally; supported: Job, "
            "PyTorchJob, TFJob, XGBoostJob, MPIJob, TrainJob"
        )
    names = [c.get("name") for _, p in _pod_specs(workload) for c in p.get("containers") or []]
    raise TemplateError(
        f"spec.trialTemplate.primaryContainerName: no container named {primary_container_name!r} "
        f"in the trialSpec (containers: {', '.join(map(str, names)) or 'none'})"
    )

