"""Katib `kubeflow.org/v1beta1` Experiments: load, default, validate, lint, search-space model.

    from kubetune.spec import load_experiment, check
    exp = load_experiment("experiment.yaml")      # SpecError lists every problem, with field paths
    errors, warnings = check(exp)
"""
from __future__ import annotations

from .algorithms import EXTRA_ALGORITHMS, AlgorithmContext, register_algorithm
from .decode import register_extension_field
from .defaults import apply_defaults
from .errors import Problem, SpecError
from .experiment import Algorithm, Experiment, Objective
from .extensions import extension_problems
from .fixed_product import NAME as _FIXED_PRODUCT  # noqa: F401  (registers kubetune's fixed-product)
from .lint import lint
from .load import experiment_from_dict, load_documents, load_experiment, load_experiments
from .space import Parameter, parse_parameters
from .validate import validate


def check(exp: Experiment) -> tuple[list[Problem], list[Problem]]:
    """(errors, warnings) for an Experiment: Katib's validation of its current spec, then lint.
    Errors include those of kubetune's extensions (kubetune.spec.extensions)."""
    errors = validate(exp.spec, exp.name, exp.namespace) + extension_problems(exp)
    return errors, lint(exp)


__all__ = [
    "EXTRA_ALGORITHMS", "Algorithm", "AlgorithmContext", "Experiment", "Objective", "Parameter", "Problem",
    "SpecError", "apply_defaults", "check", "experiment_from_dict", "lint", "load_documents",
    "load_experiment", "load_experiments", "parse_parameters", "register_algorithm", "register_extension_field", "validate",
]
