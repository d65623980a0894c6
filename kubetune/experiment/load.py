"""Read Experiment YAML (files or text, multi-document) into validated Experiment objects.

Loading = decode with Katib's types (1.1) -> apply the webhook defaults (1.2-1.5) -> validate
(the webhook rules, 2.1) -> build the kubeflow-katib-api model. Any error raises SpecError listing
every problem at once, prefixed by the file name.

`service_checks` adds the suggestion services' settings checks (stage B, 2.2), which this part
does not know: pass `kubetune.algorithms.service_errors` to have them reported together with the
webhook rules' errors, as `kubetune validate` does.
"""
from __future__ import annotations

import copy
import os
from pathlib import Path
from typing import Any, Callable

import yaml

from .configmaps import ConfigMaps, config_map_template
from .decode import decode_experiment
from .defaults import apply_defaults
from .errors import Problem, SpecError, error, kind_of
from .types import Experiment
from .validate import validate

YAML_SUFFIXES = (".yaml", ".yml", ".json")

# More admission rules on the defaulted spec: errors, as kubetune.algorithms.service_errors returns.
ServiceChecks = Callable[[dict], list[Problem]]


def _is_file(source: Any) -> bool:
    return isinstance(source, Path) or (
        isinstance(source, str) and "\n" not in source and (
            os.path.isfile(source) or source.endswith(YAML_SUFFIXES)))


def _read(source: str | Path) -> tuple[str | bytes, str]:
    """(content, display name). A Path, or a one-line str naming an existing/YAML file, is a file."""
    if _is_file(source):
        path = Path(source)
        try:
            return path.read_bytes(), str(source)
        except OSError as exc:
            raise SpecError([error("", f"cannot read file: {exc.strerror or exc}")], str(source)) from None
    if isinstance(source, (str, bytes)):
        return source, "<text>"
    raise SpecError([error("", f"expected a file path or YAML text, found {kind_of(source)}")], "<input>")


def load_documents(source: str | Path) -> list[tuple[dict, str]]:
    """Every non-empty YAML document as (mapping, label); label is the file name, with
    `#<n>` (1-based document number) appended when the file holds several documents."""
    content, name = _read(source)
    try:
        documents = list(yaml.safe_load_all(content))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{name}:{mark.line + 1}:{mark.column + 1}" if mark else name
        what = " ".join(p for p in (exc.context, exc.problem) if p) or "invalid YAML"
        raise SpecError([error("", f"invalid YAML: {what}")], where) from None
    except yaml.YAMLError as exc:
        raise SpecError([error("", f"invalid YAML: {exc}")], name) from None
    except RecursionError:
        raise SpecError([error("", "invalid YAML: nested too deeply")], name) from None
    non_empty = [(i, d) for i, d in enumerate(documents, 1) if d is not None]
    multi = len(documents) > 1
    out = []
    for i, doc in non_empty:
        label = f"{name}#{i}" if multi else name
        if not isinstance(doc, dict):
            raise SpecError([error("", f"a Kubernetes object must be a mapping, found {kind_of(doc)}")], label)
        out.append((doc, label))
    return out


def load_experiments(source: str | Path, *, service_checks: ServiceChecks | None = None,
                     config_maps: ConfigMaps | None = None) -> list[Experiment]:
    """Every `kind: Experiment` document of a file/text (other kinds are skipped). `config_maps`:
    the ConfigMaps that ConfigMap trial templates are read from (kubetune.experiment.configmaps)."""
    name = str(source) if _is_file(source) else "<text>"
    return experiments_from_documents(load_documents(source), name, service_checks=service_checks,
                                      config_maps=config_maps)


def experiments_from_documents(documents: list[tuple[dict, str]], name: str, *,
                               service_checks: ServiceChecks | None = None,
                               config_maps: ConfigMaps | None = None) -> list[Experiment]:
    """`load_experiments` of documents already parsed by `load_documents` (`name`: the input's
    name, for the error when none is an Experiment)."""
    experiments = [experiment_from_dict(doc, label, service_checks=service_checks, config_maps=config_maps)
                   for doc, label in documents if doc.get("kind") == "Experiment"]
    if not experiments:
        kinds = sorted({str(d.get("kind")) for d, _ in documents})
        found = f"found kind {', '.join(kinds)}" if kinds else "the input is empty"
        raise SpecError([error("kind", f"no Experiment in the input; {found}",
                               "a Katib Experiment has apiVersion: kubeflow.org/v1beta1 and kind: Experiment")],
                        name)
    return experiments


def load_experiment(source: str | Path, *, service_checks: ServiceChecks | None = None) -> Experiment:
    """The first Experiment of a file/text."""
    return load_experiments(source, service_checks=service_checks)[0]


def experiment_from_dict(d: dict, source: str = "<dict>", *, service_checks: ServiceChecks | None = None,
                         config_maps: ConfigMaps | None = None) -> Experiment:
    """Decode, default, validate (and run `service_checks` on) and type one Experiment document;
    SpecError on any error."""
    if not isinstance(d, dict):
        raise SpecError([error("", f"an Experiment must be a mapping, found {kind_of(d)}")], source)
    try:
        decoded, problems = decode_experiment(d)
    except RecursionError:
        raise SpecError([error("", "nested too deeply")], source) from None
    errors = [p for p in problems if p.is_error]
    warnings = [p for p in problems if not p.is_error]
    if errors:  # Katib rejects a document that does not decode before running any rule
        raise SpecError(errors + warnings, source)
    defaulted = apply_defaults(decoded)
    metadata = defaulted.get("metadata") or {}
    name = metadata.get("name") or ""
    namespace = metadata.get("namespace") or "default"
    errors = validate(defaulted["spec"], name, namespace, config_maps)
    if service_checks is not None:
        errors += service_checks(defaulted["spec"])
    if errors:
        raise SpecError(errors + warnings, source)
    model = _build_model(defaulted, source, warnings)
    config_map = (defaulted["spec"].get("trialTemplate") or {}).get("configMap")
    text = config_map_template(config_map, config_maps)[0] if config_map and config_maps else None
    return Experiment(name=name, namespace=namespace, raw=copy.deepcopy(d), spec=defaulted["spec"],
                      model=model, source=source, load_warnings=warnings, config_map_template=text)


def _build_model(document: dict, source: str, warnings: list[Problem]) -> Any:
    from .katib_models import V1beta1Experiment

    try:
        return V1beta1Experiment.from_dict(document)
    except Exception as exc:  # pydantic.ValidationError and friends: our decode missed something
        raise SpecError([error("", f"kubeflow-katib-api rejected the Experiment: {exc}")] + warnings,
                        source) from None
