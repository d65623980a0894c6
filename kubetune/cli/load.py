"""Experiment files for `validate`, `run` and `submit`: a Katib Experiment YAML, or a kubetune
SearchSpace file, which stands for the Experiment it compiles to; the YAML is parsed once. Then the
whole check of each Experiment, printed the one way all three commands print it."""
from __future__ import annotations

import sys
from pathlib import Path

from .common import UserError


def read_experiments(path: str, config_maps=None, *, name: str | None = None, search_spaces: bool = True) -> list:
    """The Experiments a file holds: every `kind: Experiment` document, or (with `search_spaces`)
    the one a SearchSpace file compiles to. `name` (`--name`) renames the file's one Experiment
    before it is checked; a file holding several is refused. ConfigMap trial templates are read
    from `config_maps` (read_config_maps). Raises SpecError (every problem of the file) or
    UserError."""
    from kubetune.algorithms import service_errors
    from kubetune.convert.optuna_space_format import is_space_document
    from kubetune.experiment import experiments_from_documents, load_documents

    documents = load_documents(Path(path))
    if search_spaces and documents and is_space_document(documents[0][0]):
        return [compiled_space(path, documents, name)]
    if name:
        count = sum(doc.get("kind") == "Experiment" for doc, _ in documents)
        if count > 1:
            raise UserError(f"{path}: --name needs a file with one Experiment; it holds {count}")
        documents = [(with_name(doc, name) if doc.get("kind") == "Experiment" else doc, label)
                     for doc, label in documents]
    return experiments_from_documents(documents, path, service_checks=service_errors, config_maps=config_maps)


def with_name(document: dict, name: str) -> dict:
    """A copy of an Experiment document under metadata.name `name` (`--name`)."""
    return {**document, "metadata": {**(document.get("metadata") or {}), "name": name}}


def add_configmap_option(parser) -> None:
    parser.add_argument("--configmap", action="append", default=[], metavar="FILE",
                        help="a ConfigMap YAML holding trial templates (e.g. Katib's trial-templates.yaml): "
                             "spec.trialTemplate.configMap is read from it (repeatable)")


def read_config_maps(paths: list[str] | None):
    """The ConfigMaps of `--configmap` files; None when none is given."""
    from kubetune.experiment import SpecError
    from kubetune.experiment.configmaps import load_config_maps

    if not paths:
        return None
    try:
        return load_config_maps(paths)
    except SpecError as e:
        raise UserError(str(e)) from None


def load_one(path: str, name: str | None = None, config_maps=None):
    """The one Experiment a file holds (renamed to `name` if given), for `kubetune run`."""
    from kubetune.experiment import SpecError

    try:
        experiments = read_experiments(path, config_maps, name=name)
    except SpecError as e:
        raise UserError(str(e)) from None
    if len(experiments) > 1:
        raise UserError(f"{path}: holds {len(experiments)} Experiments; `kubetune run` takes one per file")
    return experiments[0]


def compiled_space(path: str, documents: list[tuple[dict, str]], name: str | None = None):
    """The Experiment a SearchSpace file (its parsed `documents`) compiles to."""
    from kubetune.algorithms import service_errors
    from kubetune.convert import ConvertError
    from kubetune.convert.optuna_space_compile import compile_space, compile_space_file
    from kubetune.experiment import SpecError, experiment_from_dict

    try:
        # one document, as compile_space_file requires (it says what is wrong with several)
        document = compile_space(documents[0][0], source=path) if len(documents) == 1 else compile_space_file(path)
        if name:
            document = with_name(document, name)
        return experiment_from_dict(document, source=path, service_checks=service_errors)
    except (ConvertError, SpecError) as e:
        raise UserError(str(e)) from None


def report_check(path: str, exp, strict: bool) -> tuple[int, int]:
    """The whole check of `exp` (kubetune.algorithms.check), each problem printed to stderr as
    `FILE: NAME: error|warning: PROBLEM` (with `strict` a warning is an error). Returns (the
    problems that stop the command: errors, plus warnings when strict; the warnings)."""
    from kubetune.algorithms import check

    errors, warnings = check(exp)
    for problem in errors + warnings:
        label = "error" if strict or problem in errors else "warning"
        print(f"{path}: {exp.name}: {label}: {problem}", file=sys.stderr)
    return len(errors) + (len(warnings) if strict else 0), len(warnings)
