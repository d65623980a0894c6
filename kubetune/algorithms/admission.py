"""The whole check of an Experiment: what a Katib cluster rejects, then lint.

    from kubetune.algorithms import check
    errors, warnings = check(exp)

This mirrors Katib. Its webhook admits the spec (kubetune.experiment.validate, stage A, which
`load_experiment` already applies); then the suggestion service's ValidateAlgorithmSettings and
the early-stopping service's ValidateEarlyStoppingSettings judge the settings (stage B,
katib-semantics 2.2: here, the algorithm modules of this package); a rejection there fails the
Experiment. `check` adds kubetune's extension errors and lint: the generic traps
(kubetune.experiment.lint) and the algorithm-aware ones (`_lint`).

To have stage B reported together with the webhook rules' errors when loading (one SpecError
listing every problem, as `kubetune validate` prints it), load with
`load_experiments(path, service_checks=service_errors)`.
"""
from __future__ import annotations

from kubetune.algorithms._checks import ALGORITHM_PATH, EARLY_STOPPING_PATH, AlgorithmContext
from kubetune.algorithms._lint import algorithm_lint
from kubetune.algorithms.earlystopping import early_stopping_errors
from kubetune.algorithms.registry import settings_errors
from kubetune.experiment.access import as_dict, as_str
from kubetune.experiment.errors import Problem
from kubetune.experiment.extensions import extension_problems
from kubetune.experiment.lint import lint as generic_lint
from kubetune.experiment.types import Experiment
from kubetune.experiment.validate import settings_of, validate


def service_errors(spec: dict) -> list[Problem]:
    """Stage B for a defaulted spec: what the algorithm's and the early-stopping algorithm's
    services reject. Errors only; an unknown name is the webhook rules' error."""
    problems = []
    algorithm = as_dict(spec.get("algorithm"))
    name = as_str(algorithm.get("algorithmName"))
    if name:
        problems += settings_errors(AlgorithmContext(name, settings_of(algorithm), spec, ALGORITHM_PATH))
    es = spec.get("earlyStopping")
    if isinstance(es, dict):
        es_name = as_str(es.get("algorithmName"))
        if es_name:
            problems += early_stopping_errors(AlgorithmContext(es_name, settings_of(es), spec, EARLY_STOPPING_PATH))
    return problems


def lint(exp: Experiment) -> list[Problem]:
    """Every warning for `exp`: the generic traps, then the algorithm-aware ones."""
    return generic_lint(exp) + algorithm_lint(exp)


def check(exp: Experiment) -> tuple[list[Problem], list[Problem]]:
    """(errors, warnings): Katib's webhook rules on the current spec (it may have been edited
    after loading), the services' settings checks, kubetune's extensions; then lint."""
    spec = exp.spec if isinstance(exp.spec, dict) else {}
    errors = validate(spec, exp.name, exp.namespace) + service_errors(spec) + extension_problems(exp)
    return errors, lint(exp)

