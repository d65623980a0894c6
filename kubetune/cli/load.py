"""Experiment files for `validate`, `run` and `convert katib`: a Katib Experiment YAML, or a
kubetune SearchSpace file, which stands for the Experiment it compiles to."""
from __future__ import annotations

from .common import UserError


def space_targets(path: str) -> list:
    """A SearchSpace file validates as the Experiment it compiles to; [] for other files."""
    from kubetune.convert.optuna_space_format import is_space_file

    return [compiled_space(path)] if is_space_file(path) else []


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
    """The one Experiment a file holds (renamed to `name` if given); ConfigMap templates are read
    from `config_maps` (read_config_maps)."""
    from kubetune.algorithms import service_errors
    from kubetune.convert.optuna_space_format import is_space_file
    from kubetune.experiment import SpecError, experiment_from_dict, load_experiments

    if is_space_file(path):  # an Optuna-style SearchSpace: run the Experiment it compiles to
        return compiled_space(path, name)
    try:
        experiments = load_experiments(path, service_checks=service_errors, config_maps=config_maps)
    except SpecError as e:
        raise UserError(str(e)) from None
    except OSError as e:
        raise UserError(f"{path}: {e.strerror or e}") from None
    if len(experiments) > 1:
        raise UserError(f"{path}: holds {len(experiments)} Experiments; `kubetune run` takes one per file")
    exp = experiments[0]
    if name:
        raw = dict(exp.raw)
        raw["metadata"] = {**(raw.get("metadata") or {}), "name": name}
        exp = experiment_from_dict(raw, source=path, service_checks=service_errors, config_maps=config_maps)
    return exp


def compiled_space(path: str, name: str | None = None):
    """The Experiment a SearchSpace file compiles to."""
    from kubetune.convert import ConvertError
    from kubetune.algorithms import service_errors
    from kubetune.convert.optuna_space_compile import compile_space_file
    from kubetune.experiment import SpecError, experiment_from_dict

    try:
        document = compile_space_file(path)
        if name:
            document["metadata"]["name"] = name
        return experiment_from_dict(document, source=path, service_checks=service_errors)
    except (ConvertError, SpecError) as e:
        raise UserError(str(e)) from None
