"""The plain-Katib form of a kubetune Experiment (`kubetune convert katib`).

Of kubetune's extensions (kubetune.experiment.extensions) only `fixed-product` stops an Experiment from
running on Katib: Katib has no such algorithm. Its Katib form is the one the NNI reference gives
for the FixedProductTuner (nni-semantics 8.4): `grid` over ONE categorical parameter `scaling`
whose list holds the allowed "alpha,beta,gamma" triples, in NNI 1.x order, with each triple's
exact floats; the trainer takes it as `--scaling=a,b,g` (efficientnet-* models). Katib's grid
visits every listed triple once, in its own (random) order; when alpha, beta and gamma are the
only parameters and maxTrialCount is smaller than the number of triples, the list is cut to the
first maxTrialCount triples, so the run covers the same set NNI would have run.

The kubetune.io/conditions and kubetune.io/objectives annotations are kept: Katib ignores them
(flattened space; single objective) and `kubetune run` of the output still uses them.

`services_form` (`kubetune convert katib --services`) is the form for a Katib whose katib-config
registers kubetune's own services (docs/cluster.md): the algorithm is kept (fixed-product too) and
the extension annotations become `kubetune.*` algorithm settings, the only part of the
Experiment a suggestion service receives (kubetune.experiment.extension_form).
"""
from __future__ import annotations

import copy
import math
import re
from typing import Any

from .errors import ConvertError, Note

SCALING = "scaling"
SCALING_FLAG = "--scaling"
PLACEHOLDER_RE = re.compile(r"\$\{trialParameters\.([^}]+)\}")


def katib_form(document: dict, source: str = "<experiment>") -> tuple[dict, list[Note]]:
    """(the document as plain Katib runs it, notes on what changed)."""
    spec = document.get("spec") or {}
    algorithm = (spec.get("algorithm") or {}).get("algorithmName")
    if algorithm != "fixed-product":
        return copy.deepcopy(document), []
    return _fixed_product_grid(document, source)


def services_form(document: dict, source: str = "<experiment>") -> tuple[dict, list[Note]]:
    """(the document for Katib with kubetune's services, notes on what moved)."""
    from kubetune.experiment.extension_form import SETTING_FOR, settings_form

    out = copy.deepcopy(document)
    metadata = out.get("metadata") if isinstance(out.get("metadata"), dict) else {}
    spec = out.get("spec") if isinstance(out.get("spec"), dict) else {}
    algorithm = spec.get("algorithm") if isinstance(spec.get("algorithm"), dict) else {}
    annotations = metadata.get("annotations") if isinstance(metadata.get("annotations"), dict) else {}
    kept, settings, moved = settings_form(annotations, algorithm.get("algorithmSettings") or [])
    if not moved:
        return out, []
    if kept:
        metadata["annotations"] = kept
    else:
        metadata.pop("annotations", None)
    algorithm["algorithmSettings"] = settings
    return out, [Note("spec.algorithm.algorithmSettings", f"annotation {name} -> setting {SETTING_FOR[name]} "
                                                          "(what kubetune's Katib suggestion service receives)")
                 for name in moved]


def _fixed_product_grid(document: dict, source: str) -> tuple[dict, list[Note]]:
    from kubetune.algorithms import service_errors
    from kubetune.algorithms.fixed_product import SCALING_PARAMETERS, fixed_product_assignments
    from kubetune.experiment import SpecError, experiment_from_dict

    try:
        exp = experiment_from_dict(document, source=source, service_checks=service_errors)
    except SpecError as exc:
        raise ConvertError([str(exc)]) from None
    settings = exp.algorithm.settings
    if "product" not in settings:
        raise ConvertError([f"{source}: spec.algorithm.algorithmSettings: fixed-product needs the setting product"])
    parameters = exp.parameters
    if any(p.name == SCALING for p in parameters):
        raise ConvertError([f"{source}: spec.parameters: a parameter is already named {SCALING!r}"])
    try:
        configs = fixed_product_assignments(parameters, float(settings["product"]),
                                            float(settings.get("tolerance", "0.1")))
    except ValueError as exc:
        raise ConvertError([f"{source}: {exc}"]) from None
    triples = list(dict.fromkeys(",".join(c[k] for k in SCALING_PARAMETERS) for c in configs))
    others = [p for p in parameters if p.name not in SCALING_PARAMETERS]
    notes = [Note("spec.algorithm", f"fixed-product -> grid over {SCALING!r}: {len(triples)} allowed "
                                    "(alpha, beta, gamma) triples in NNI 1.x order; Katib visits them in its own "
                                    "order")]
    out = copy.deepcopy(document)
    spec = out["spec"]
    max_trials = spec.get("maxTrialCount")
    if not others and isinstance(max_trials, int) and max_trials < len(triples):
        notes.append(Note("spec.parameters", f"kept the first {max_trials} of {len(triples)} triples "
                                             "(maxTrialCount), the ones NNI would have run"))
        triples = triples[:max_trials]
    grid_points = len(triples) * math.prod(len(p.grid_values()) for p in others)
    spec["maxTrialCount"] = min(max_trials, grid_points) if isinstance(max_trials, int) else grid_points
    if isinstance(spec.get("maxFailedTrialCount"), int):
        spec["maxFailedTrialCount"] = min(spec["maxFailedTrialCount"], spec["maxTrialCount"])
    spec["algorithm"] = {"algorithmName": "grid"}
    raw_params = [p for p in spec["parameters"] if p.get("name") not in SCALING_PARAMETERS]
    spec["parameters"] = [{"name": SCALING, "parameterType": "categorical",
                           "feasibleSpace": {"list": triples}}] + raw_params
    template = spec["trialTemplate"]
    dropped = {tp["name"] for tp in template.get("trialParameters") or []
               if tp.get("reference") in SCALING_PARAMETERS}
    template["trialParameters"] = [{"name": SCALING, "reference": SCALING,
                                    "description": "alpha,beta,gamma (compound scaling)"}] + [
        tp for tp in template.get("trialParameters") or [] if tp["name"] not in dropped]
    container = _primary_container(template, source)
    replaced = False
    for key in ("command", "args"):
        if isinstance(container.get(key), list):
            container[key], found = _drop_scaling_args(container[key], dropped)
            replaced = replaced or found
    if not replaced:
        raise ConvertError([f"{source}: the trial's args pass no ${{trialParameters.*}} of alpha/beta/gamma as "
                            "--flag=VALUE or --flag VALUE; cannot rewrite them into --scaling"])
    container["args"] = list(container.get("args") or []) + [f"{SCALING_FLAG}=${{trialParameters.{SCALING}}}"]
    notes.append(Note("trialTemplate", f"the alpha/beta/gamma flags -> {SCALING_FLAG}=a,b,g (the trainer's "
                                       "efficientnet models split it)"))
    return out, notes


def _primary_container(template: dict, source: str) -> dict:
    name = template.get("primaryContainerName")
    trial_spec = template.get("trialSpec") or {}
    pod = (((trial_spec.get("spec") or {}).get("template") or {}).get("spec") or {})
    for container in pod.get("containers") or []:
        if container.get("name") == name:
            return container
    raise ConvertError([f"{source}: spec.trialTemplate: only a Job whose primary container is {name!r} can be "
                        "rewritten"])


def _drop_scaling_args(argv: list[Any], names: set[str]) -> tuple[list[Any], bool]:
    """argv without the flags that pass one of `names` (`--x=${..}` or `--x`, `${..}`)."""
    out: list[Any] = []
    found = False
    for arg in argv:
        refs = set(PLACEHOLDER_RE.findall(arg)) if isinstance(arg, str) else set()
        if refs & names:
            found = True
            if not arg.startswith("-") and out and isinstance(out[-1], str) and out[-1].startswith("-"):
                out.pop()  # the flag before a bare value
            continue
        out.append(arg)
    return out, found
