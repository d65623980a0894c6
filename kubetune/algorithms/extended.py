"""The suggester of a whole Experiment: its algorithm, with kubetune's extensions applied.

`build_suggester(exp, seed)` is what both executors call: the local engine (`kubetune run`) and
Katib's gRPC Suggestion service (`kubetune serve suggestion`, which rebuilds an Experiment from
the request). It is `make_suggester` for the Experiment's algorithm, asked define-by-run when
conditions are given, and replaced by NSGA-II over the listed metrics when objectives are given -
from the `kubetune.io/*` annotations or their settings form (kubetune.experiment.extension_form).
"""
from __future__ import annotations

from optuna.samplers import NSGAIISampler

from kubetune.algorithms.base import Suggester, SuggestionError, objective_direction
from kubetune.algorithms.define_by_run import DefineByRunSuggester
from kubetune.algorithms.optuna_study import OptunaSuggester
from kubetune.algorithms.registry import make_suggester
from kubetune.algorithms.settings import int_setting
from kubetune.algorithms.space import SearchSpace
from kubetune.experiment.extension_form import Extensions, parse_extensions
from kubetune.experiment.types import Experiment
from kubetune.experiment.validate import settings_of


def experiment_extensions(exp: Experiment) -> Extensions:
    """The Experiment's conditions and objectives, from either form, with their errors."""
    algorithm = exp.spec.get("algorithm") if isinstance(exp.spec.get("algorithm"), dict) else {}
    return parse_extensions(exp.annotations, settings_of(algorithm), exp.parameters, exp.metric_names,
                            exp.objective.type)


def build_suggester(exp: Experiment, seed: int | None = None) -> Suggester:
    """The suggester for `exp`; SuggestionError for what it cannot run."""
    parameters = exp.parameters
    found = experiment_extensions(exp)
    if found.errors:
        raise SuggestionError("; ".join(found.errors))
    conditions, objectives = found.conditions, found.objectives
    algorithm = exp.algorithm
    base = make_suggester(algorithm.name, algorithm.settings, parameters, exp.objective.type,
                          exp.metric_names, seed)
    if conditions is None and objectives is None:
        return base
    if objectives is not None:
        nsga_seed = int_setting(algorithm.settings, "random_state", seed)
        population = objectives.population_size
        return DefineByRunSuggester(
            "nsga2", SearchSpace(parameters), conditions,
            [objective_direction(d) for d in objectives.directions],
            lambda count, trials: NSGAIISampler(population_size=population, seed=nsga_seed),
            metrics=objectives.metrics)
    if not isinstance(base, OptunaSuggester):
        raise SuggestionError(f"conditional parameters need an Optuna-backed algorithm; {algorithm.name} "
                              "samples a fixed space")
    return DefineByRunSuggester.conditional(base, conditions)
