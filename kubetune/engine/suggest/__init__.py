"""Suggestion algorithms of the local engine, under Katib's names and settings.

The engine calls `make_suggester(...)` once per experiment (and again after a restart), then
`suggester.suggest(count, trials)` whenever it has free slots, exactly as Katib's controller calls
a suggestion service's GetSuggestions (katib-semantics 3.4). Which library backs each name:

| Katib name           | Katib's service    | kubetune backend                           | module
|----------------------|--------------------|--------------------------------------------|----------
| random               | hyperopt           | optuna RandomSampler                       | optuna_*
| tpe                  | hyperopt           | optuna TPESampler, hyperopt's gamma/startup| optuna_*
| multivariate-tpe     | optuna             | optuna TPESampler(multivariate=True)       | optuna_*
| cmaes                | goptuna            | optuna CmaEsSampler (package `cmaes`)      | optuna_*
| bayesianoptimization | scikit-optimize    | optuna GPSampler (GP + log-EI)             | optuna_*
| grid                 | optuna GridSampler | own enumerator, GridSampler's order rule   | grid
| sobol                | goptuna Sobol      | scipy.stats.qmc.Sobol (QMCSampler's engine)| sobol
| hyperband            | Katib's own code   | own code, all brackets, state in labels    | hyperband
| fixed-product        | (kubetune only)    | NNI 1.x FixedProductTuner order            | fixed_product

(optuna_* = `optuna_algorithms`, on top of `optuna_study`, which keeps the in-memory study in step
with the trial list.)

Types are in `base`, the registry in `registry`, the per-parameter sampling and string formats in
`space` (including the kubetune extension `kubetune.allow_normal: "true"`, a truncated normal for
algorithms whose Katib service rejects normal/logNormal).

Which settings are valid is decided by `kubetune.spec.algorithms` (the same rules as `kubetune
validate`), and which distributions each Katib algorithm follows, ignores or rejects, per Katib
version, by `kubetune.spec.distributions` (the table lint reads too; evidence: Katib's
skopt/goptuna/optuna/hyperopt services, PRs #2666 and #2689). Here the multivariate-tpe, cmaes,
sobol and bayesianoptimization factories call `space.check_distributions`, which refuses what the
newest Katib rejects (normal/logNormal; goptuna also int logUniform) unless kubetune.allow_normal
is set; the samplers follow the declared distribution, as Katib master does since PR #2689 (Katib
v0.19.0 ignored it in skopt and goptuna, which lint reports). grid samples its step grid and
hyperband the declared distribution without that check. This package otherwise checks only what
is sampling-specific (hyperband's resource values). Adding an algorithm:

    kubetune.spec.algorithms.register_algorithm("fixed-product", check_fixed_product)  # settings
    kubetune.engine.suggest.register_algorithm("fixed-product", make_fixed_product)    # sampling
"""

from kubetune.engine.suggest.base import (
    ACTIVE_STATES,
    FINISHED_STATES,
    TRIAL_STATES,
    Suggester,
    Suggestion,
    SuggestionError,
    TrialView,
    objective_direction,
)
from kubetune.engine.suggest.fixed_product import make_fixed_product
from kubetune.engine.suggest.grid import grid_size, make_grid
from kubetune.engine.suggest.hyperband import (
    LABEL_BRACKET,
    LABEL_PARENT,
    LABEL_ROUND,
    hyperband_plan,
    make_hyperband,
)
from kubetune.engine.suggest.optuna_algorithms import (
    make_bayesianoptimization,
    make_cmaes,
    make_multivariate_tpe,
    make_random,
    make_tpe,
)
from kubetune.engine.suggest.registry import (
    AlgorithmRequest,
    check_settings,
    make_suggester,
    register_algorithm,
    registered_algorithms,
    validate_algorithm,
)
from kubetune.engine.suggest.sobol import make_sobol

for _name, _factory in (
    ("random", make_random),
    ("tpe", make_tpe),
    ("multivariate-tpe", make_multivariate_tpe),
    ("cmaes", make_cmaes),
    ("bayesianoptimization", make_bayesianoptimization),
    ("grid", make_grid),
    ("sobol", make_sobol),
    ("fixed-product", make_fixed_product),  # kubetune's own (kubetune.spec.fixed_product)
    ("hyperband", make_hyperband),
):
    register_algorithm(_name, _factory, replace=True)

__all__ = [
    "ACTIVE_STATES",
    "FINISHED_STATES",
    "TRIAL_STATES",
    "AlgorithmRequest",
    "LABEL_BRACKET",
    "LABEL_PARENT",
    "LABEL_ROUND",
    "Suggester",
    "Suggestion",
    "SuggestionError",
    "TrialView",
    "check_settings",
    "grid_size",
    "hyperband_plan",
    "make_suggester",
    "objective_direction",
    "register_algorithm",
    "registered_algorithms",
    "validate_algorithm",
]
