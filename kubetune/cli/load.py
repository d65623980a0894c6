"""Experiment files for `validate`, `run` and `convert katib`: a Katib Experiment YAML, or a
kubetune SearchSpace file, which stands for the Experiment it compiles to."""
from __future__ import annotations

from .common import UserError


def space_targets(path: str) -> list:
    """A SearchSpace file validates as the Experiment it compiles to; [] for other files."""
    from kubetune.convert.optuna_space_format import is_space_file

    return [compiled_space(path)] if is_space_file(path) else []


def load_one(path: str, name: str | None = None):
    """The one Experiment a file holds (renamed to `name` if given)."""
    from kubetune.algorithms import service_errors
    from kubetune.convert.optuna_space_format import is_space_file
    from kubetune.experiment import SpecError, experiment_from_dict, load_experiments

    if is_space_file(path):  # an Optuna-style SearchSpace: run the Experiment it compiles to
        return compiled_space(path, name)
    try:
        experiments = load_experiments(path, service_checks=service_errors)
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
        exp = experiment_from_dict(raw, source=path, service_checks=service_errors)
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
